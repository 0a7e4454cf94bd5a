"""Finish a run whose harness process ended abruptly (`--recover`), or whose host went away (`--resume`).

The workload may end the process itself (os._exit, a signal it sends itself, the kernel's OOM
killer). The harness cannot finish the run then, so the host starts a second harness that reads
the checkpoint the first one kept, makes the reports from session.bin (memray writes it as it goes)
and writes summary.json with how the process ended. What was measured before the end is kept.

`memray-cli recover RUN_DIR` (--resume) finishes a run whose host went away, on the host it runs on: from
the summary a harness wrote without its host (HOST_LOST) or with reports missing (REPORTS_MISSING), or
from the checkpoint of a harness that ended with its host, or from session.bin alone. The reports are
made again, the workload's own outcome is restored when it had finished, and the summary says so.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any, Optional

from .. import events, interrupts
from ..config import Config
from ..contract import contract
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


# Summaries `memray-cli recover` finishes (with a checkpoint or session.bin alone, also none).
RESUMABLE = ("HOST_LOST", "REPORTS_MISSING")


def resume(cfg: Config) -> int:
    """Finish a run whose host went away: the reports from session.bin, the summary from what the run kept."""
    stop = interrupts.current()
    stop.install()
    stop.enter(interrupts.SOFT)  # a first Ctrl-C stops nothing: the run is being finished
    saved, during = _saved(cfg.out_dir)
    outcome, note = _resumed_outcome(saved, during)
    attach = saved is not None and isinstance(saved.get("attach"), dict)  # the service's processes, each its capture
    if attach:
        from ..attach.attach_run import AttachRun

        run: Run = AttachRun.resumed(cfg, saved)
    else:
        run = Run.resumed(cfg, saved) if saved is not None else Run(cfg)
        outcome.requests = [r for r in (saved or {}).get("requests") or [] if isinstance(r, dict)]  # their heap figures are read again
    if outcome.error_details is None:
        run.summary.drop_section("error_details")
    source = "the processes' captures" if attach else "session.bin"
    events.step("recover", "finishing the run from %s (%s)" % (source, note))
    exit_code = run.finish_from_capture(outcome)
    host_lost = run.summary.get("host_lost")
    if isinstance(host_lost, dict):
        run.summary.set_section("host_lost", dict(host_lost, recovered_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    made = "the reports a capture lacked were made from it" if attach else "the reports were made again from session.bin"
    run.warn("finished by `memray-cli recover` on this host: %s; %s, the host's signals were not collected" % (note, made))
    return run.write(exit_code)


def _saved(out_dir: str) -> tuple[Optional[dict[str, Any]], str]:
    """(the summary content the run kept, where its workload was): the harness's own summary when it is
    one to finish, else the checkpoint, else nothing."""
    try:
        with open(os.path.join(out_dir, contract().files.summary), encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError):
        summary = None
    if isinstance(summary, dict) and summary.get("error_code") in RESUMABLE:
        host_lost = summary.get("host_lost")
        if summary.get("error_code") == "HOST_LOST" and isinstance(host_lost, dict):
            return summary, str(host_lost.get("during") or "workload")
        return summary, "reports"
    saved = checkpoint.load(out_dir)
    if saved is not None:
        return saved["summary"], "reports" if saved.get("phase") == "reports" else "workload"
    return None, "unknown"


def _resumed_outcome(saved: Optional[dict[str, Any]], during: str) -> tuple[Outcome, str]:
    """How the workload ended, as far as the run kept it, and a note saying what happened."""
    if saved is None:
        outcome = Outcome()
        outcome.fail("only the capture of this run was left (no summary, no checkpoint): its end is unknown; the reports were made from session.bin", 3)
        outcome.code = "HOST_LOST"
        outcome.error_details = {"type": "HostLost", "message": "nothing but session.bin was left", "traceback": ""}
        return outcome, "only session.bin was left"
    host_lost = saved.get("host_lost") if isinstance(saved.get("host_lost"), dict) else None
    if during == "reports":
        own = host_lost.get("outcome") if host_lost and isinstance(host_lost.get("outcome"), dict) else saved
        return _outcome_of(own), "the workload had ended before the host went away"
    outcome = Outcome()
    reason = host_lost.get("reason") if host_lost else "the harness ended with it"
    if saved.get("error_code") == "HOST_LOST" and saved.get("error"):
        outcome.fail(str(saved["error"]), int(saved.get("exit_code") or 3))
    else:
        outcome.fail(
            "the harness ended during the workload without finishing (its host, memray-cli, went away too: %s); "
            "the reports were made from the capture until then" % reason,
            3,
        )
    outcome.code = "HOST_LOST"
    outcome.error_details = {"type": "HostLost", "message": str(reason), "traceback": ""}
    return outcome, "the host went away during the workload, which was stopped there"


def _outcome_of(saved: dict[str, Any]) -> Outcome:
    """The workload's outcome as a summary recorded it (exit_code, error, error_code, error_details)."""
    code = saved.get("error_code")
    outcome = Outcome(exit_code=int(saved.get("exit_code") or 0), error=saved.get("error"), error_details=saved.get("error_details") or None)
    if code in RESUMABLE:  # a failure of the run, not of the workload: the workload itself succeeded
        outcome.error, outcome.error_details = None, None
    elif code and code != "WORKLOAD_FAILED":
        outcome.code = code
    return outcome
