"""Finish a run whose harness process ended abruptly (`--recover`).

The workload may end the process itself (os._exit, a signal it sends itself, the kernel's OOM
killer). The harness cannot finish the run then, so the host starts a second harness that reads
the checkpoint the first one kept, makes the reports from session.bin (memray writes it as it goes)
and writes summary.json with how the process ended. What was measured before the end is kept.
"""

from __future__ import annotations

import re

from .. import events
from ..config import Config
from ..errors import HarnessError, announce
from ..workloads.outcome import Outcome
from . import checkpoint
from .runner import Run

# The workload ran (a capture exists) once the checkpoint reached one of these phases.
CAPTURED = ("workload", "reports")


def exit_status(ended: str) -> int:
    """The process's exit status from the host's description ("exit code 7", "signal 9 (SIGKILL)")."""
    match = re.search(r"signal (\d+)", ended)
    if match:
        return 128 + int(match.group(1))
    match = re.search(r"exit code (\d+)", ended)
    return int(match.group(1)) if match else 1


def abrupt_end(ended: str) -> Outcome:
    """The workload's outcome: it ended the harness process. Exit status 0 (os._exit(0)) is a success,
    as it is for `python script.py`; what the harness could not measure at the end is said."""
    outcome = Outcome()
    status = exit_status(ended)
    if status == 0:
        outcome.warnings.append(
            "the workload ended the harness process itself (%s, e.g. os._exit(0)); the reports were made from the capture by a second harness, "
            "and what is measured after the workload (rss_after, the object census) is missing" % ended
        )
        return outcome
    outcome.fail("the workload ended the harness process abruptly (%s); the reports are made from the capture up to that point" % ended, status)
    outcome.error_details = {"type": "AbruptExit", "message": ended, "traceback": ""}
    return outcome


def recover(cfg: Config, ended: str) -> int:
    saved = checkpoint.load(cfg.out_dir)
    if saved is None:
        err = HarnessError("HARNESS_FAILED", "nothing to recover in %s: the harness ended (%s) before it kept any state" % (cfg.out_dir, ended))
        announce(err)
        return err.exit_code
    run = Run.resumed(cfg, saved["summary"])
    if str(saved.get("phase")) not in CAPTURED:
        return run.write(run.fail(HarnessError("HARNESS_FAILED", "the harness ended (%s) before the workload started" % ended)))
    events.step("recover", "the harness ended abruptly (%s): finishing the run from session.bin" % ended)
    exit_code = run.finish_from_capture(abrupt_end(ended))
    events.say("memray-harness: recovered the run after %s" % ended)
    return run.write(exit_code)
