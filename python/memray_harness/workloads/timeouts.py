"""Bound an in-process workload with SIGALRM (main thread, Unix); a no-op elsewhere."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Optional


class WorkloadTimeout(BaseException):
    """BaseException so a workload's `except Exception` cannot swallow it."""


@contextlib.contextmanager
def time_limit(seconds: Optional[float]) -> Iterator[None]:
    usable = seconds is not None and seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise WorkloadTimeout("workload exceeded timeout_seconds=%s" % seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
