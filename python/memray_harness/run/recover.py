"""Finish a run whose harness process ended abruptly (`--recover`).

The workload may end the process itself (os._exit, a signal it sends itself, the kernel's OOM
killer). The harness cannot finish the run then, so the host starts a second harness that reads
the state the first one kept, makes the reports from session.bin (memray writes it as it goes) and
writes summary.json with how the process ended. What was measured before the end is kept.
"""

from __future__ import annotations

import re
import sys
import time

from .. import events
from ..analysis import leak_verdict
from ..config import Config
from ..contract import contract
from ..errors import HarnessError, announce
from ..measurement.capture import Capture, import_memray
from ..workloads.outcome import Outcome
from . import checkpoint
from .runner import Run

# The workload ran (a capture exists) once the state reached one of these phases.
CAPTURED = ("workload", "reports")


def exit_status(ended: str) -> int:
    """The process's exit status from the host's description ("exit code 7", "signal 9 (SIGKILL)")."""
    match = re.search(r"signal (\d+)", ended)
    if match:
        return 128 + int(match.group(1))
    match = re.search(r"exit code (\d+)", ended)
    return int(match.group(1)) if match else 1


def recover(cfg: Config, ended: str) -> int:
    saved = checkpoint.load(cfg.out_dir)
    if saved is None:
        err = HarnessError("HARNESS_FAILED", "nothing to recover in %s: the harness ended (%s) before it kept any state" % (cfg.out_dir, ended))
        announce(err)
        return err.exit_code
    run = Run(cfg)
    run.summary.update(saved["summary"])
    phase = str(saved.get("phase"))
    if phase not in CAPTURED:
        err = HarnessError("HARNESS_FAILED", "the harness ended (%s) before the workload started" % ended)
        return run.write(run.fail(err))
    events.step("recover", "the harness ended abruptly (%s): finishing the run from session.bin" % ended)
    memray, _ = import_memray()
    capture = Capture(memray, cfg.out_dir)
    capture.started = True
    outcome = Outcome()
    outcome.fail(
        "the workload ended the harness process abruptly (%s); the reports are made from the capture up to that point" % ended, exit_status(ended) or 1
    )
    outcome.error_details = {"type": "AbruptExit", "message": ended, "traceback": ""}
    run.summary["duration_seconds"] = saved["summary"].get("duration_seconds")
    run.t0 = time.perf_counter() - float(run.summary["duration_seconds"] or 0)
    run.summary["exit_code"] = outcome.exit_code
    run.summary["error"] = outcome.error
    run.summary["error_code"] = outcome.error_code
    run.summary["error_details"] = outcome.error_details
    run.workload_done = False  # the host's signals were collected around the first harness
    run._guard("reports", lambda: run._reports(memray, capture))
    run._guard("requests", lambda: run._requests(outcome))
    run.summary["leak_indicators"] = leak_verdict.leak_indicators(run.summary["requests"])
    print("memray-harness: recovered the run after %s" % ended, file=sys.stderr)
    return run.write(contract().exit_code(run.summary["error_code"]))
