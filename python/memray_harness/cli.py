"""`python -m memray_harness --config FILE` (the TypeScript side's entry point)."""

from __future__ import annotations

import argparse
import os
import traceback
from typing import Optional

from . import events, host_link
from .config import load_config
from .contract import ContractError, contract
from .errors import HarnessError, announce
from .run.runner import run

# contract.json holds the exit codes; without it, the environment's code (core's ExitCode 3).
CONTRACT_UNREADABLE_EXIT = 3


def main(argv: Optional[list[str]] = None) -> int:
    """The run, then the `end` event: the host's sign that this harness finished (nothing after it)."""
    events.open_channel()  # before the workload can close or redirect fd 2
    code = _main(argv)
    events.end(code)
    return code


def _main(argv: Optional[list[str]]) -> int:
    parser = argparse.ArgumentParser(prog="python -m memray_harness", description="Run a workload under memray and write summary.json + reports.")
    parser.add_argument("--config", required=True, help="config.json (docs/harness-protocol.md)")
    parser.add_argument("--recover", metavar="ENDED", help="finish a run whose harness ended abruptly, e.g. 'exit code 7' or 'signal 9 (SIGKILL)'")
    parser.add_argument("--resume", action="store_true", help="finish a run whose host went away (memray-cli recover): from session.bin and what the run kept")
    parser.add_argument("--host-stdin", action="store_true", help="stdin is a pipe the host holds open for the whole run: its end means the host is gone")
    args = parser.parse_args(argv)
    # Before anything else reads or replaces fd 0: the pipe is the host link's alone.
    host_stdin = host_link.take_stdin() if args.host_stdin else None
    events.emit("started", pid=os.getpid())  # the host forwards Ctrl-C/SIGTERM to this pid
    try:
        # No summary.json when this fails: without a usable config, TypeScript writes the fallback.
        cfg = load_config(args.config)
        host_link.start(cfg.out_dir, host_stdin)
        if args.recover or args.resume:
            from .run.recover import recover, resume

            return resume(cfg) if args.resume else recover(cfg, args.recover)
        if contract().mode(cfg.mode).workload == "attach":  # the service's own processes: attach/
            from .attach.attach_run import AttachRun

            return AttachRun(cfg).execute()
        return run(cfg)
    except ContractError as exc:
        events.say("memray-harness: %s" % exc)
        return CONTRACT_UNREADABLE_EXIT
    except HarnessError as exc:
        announce(exc)
        return exc.exit_code
    except Exception as exc:  # a harness bug outside the run's own guards
        events.say(traceback.format_exc().rstrip())
        err = HarnessError("HARNESS_FAILED", "harness error: %s: %s" % (type(exc).__name__, exc))
        announce(err)
        return err.exit_code
