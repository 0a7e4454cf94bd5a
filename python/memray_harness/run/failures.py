"""How the run's failures are described: harness bugs, a workload that escaped its runner, a summary.json
that cannot be written, the space left on a full disk."""

from __future__ import annotations

import errno
import os
import traceback

from ..errors import HarnessError
from ..workloads.outcome import Outcome


def unexpected(exc: BaseException, where: str) -> HarnessError:
    """A harness bug as HARNESS_FAILED, with the traceback's tail in error_details."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    message = "harness error %s: %s: %s" % (where, type(exc).__name__, exc)
    return HarnessError("HARNESS_FAILED", message, {"type": type(exc).__name__, "message": str(exc), "traceback": tb[-4000:]})


def workload_crash(exc: BaseException) -> Outcome:
    """An exception that escaped the workload runner (a harness bug, or Ctrl-C between requests)."""
    outcome = Outcome()
    if isinstance(exc, Exception):
        err = unexpected(exc, "during the workload")
        outcome.fail(err.message, err.exit_code)
        outcome.code, outcome.error_details = err.code, err.details
    else:  # KeyboardInterrupt, SystemExit: the workload was stopped, the capture is kept
        outcome.fail("workload interrupted: %s" % type(exc).__name__)
        outcome.error_details = {"type": type(exc).__name__, "message": str(exc), "traceback": ""}
    return outcome


def summary_write_error(out_dir: str, exc: OSError) -> HarnessError:
    if exc.errno == errno.ENOSPC:
        return HarnessError("DISK_FULL", "cannot write summary.json in %s: the disk is full (%s free)" % (out_dir, free_space(out_dir)))
    return HarnessError("OUTPUT_NOT_WRITABLE", "cannot write summary.json in %s: %s" % (out_dir, exc))


def free_space(path: str) -> str:
    try:
        st = os.statvfs(path)
        return "%d KB" % (st.f_bavail * st.f_frsize // 1024)
    except OSError:
        return "unknown"
