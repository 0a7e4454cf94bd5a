"""What runs under memray: the workload kinds of contract.json's mode rules and what they need."""
