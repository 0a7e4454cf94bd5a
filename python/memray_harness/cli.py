"""`python -m memray_harness --config FILE` (the TypeScript side's entry point)."""
from __future__ import annotations

import argparse
import sys
import traceback
from typing import List, Optional

from .config import load_config
from .contract import ContractError
from .errors import HarnessError, announce
from .runner import run

# contract.json holds the exit codes; without it, the environment's code (core's ExitCode 3).
CONTRACT_UNREADABLE_EXIT = 3


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m memray_harness",
                                     description="Run a workload under memray and write summary.json + reports.")
    parser.add_argument("--config", required=True, help="config.json (docs/harness-protocol.md)")
    args = parser.parse_args(argv)
    try:
        # No summary.json when this fails: without a usable config, TypeScript writes the fallback.
        return run(load_config(args.config))
    except ContractError as exc:
        print("memray-harness: %s" % exc, file=sys.stderr)
        return CONTRACT_UNREADABLE_EXIT
    except HarnessError as exc:
        announce(exc)
        return exc.exit_code
    except Exception as exc:  # a harness bug outside the run's own guards
        traceback.print_exc()
        err = HarnessError("HARNESS_FAILED", "harness error: %s: %s" % (type(exc).__name__, exc))
        announce(err)
        return err.exit_code
