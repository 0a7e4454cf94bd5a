"""memray_harness: the code memray-cli runs inside the target (stdlib + memray, Python >= 3.9).

Contract: docs/harness-protocol.md; core's tables arrive as contract.json (contract.py). Entry
points: `python -m memray_harness --config FILE` and the standalone `memray-runner.py`.
"""

__version__ = "0.1.0"
