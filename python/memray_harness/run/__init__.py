"""One profiling run: its phases, summary.json, the checkpoint kept for --recover, and recovery."""
