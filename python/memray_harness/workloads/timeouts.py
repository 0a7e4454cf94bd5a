"""Bound an in-process workload (timeout_seconds) with a watchdog thread, not with the workload's signals.

A SIGALRM timer is the workload's to take: a script that installs its own SIGALRM handler (or uses
signal.alarm itself) ran to its end whatever --timeout said. The watchdog is a thread of the harness:
at the deadline it stops the main thread (main_thread.py: a wake-up signal our handler turns into
WorkloadTimeout, and an asynchronous exception as the backstop), and again every RETRY_SECONDS while
the workload goes on (one that catches BaseException and carries on is stopped again).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Optional

from .. import main_thread

RETRY_SECONDS = 1.0


class WorkloadTimeout(BaseException):
    """BaseException so a workload's `except Exception` cannot swallow it."""


class Watchdog:
    """Stops the main thread with WorkloadTimeout once `seconds` have passed, until disarmed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memray-harness-timeout", daemon=True)

    def start(self) -> None:
        main_thread.current().install()
        self._thread.start()

    def _run(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.fired = True
        while not self._done.is_set():
            main_thread.current().stop(WorkloadTimeout)
            self._done.wait(RETRY_SECONDS)

    def disarm(self) -> None:
        """No WorkloadTimeout from now on (also one sent and not raised yet). A WorkloadTimeout that lands
        while disarming is dropped: the workload is over either way."""
        while True:
            try:
                self._done.set()
                if self._thread.is_alive():
                    self._thread.join()  # it sends nothing more: what it sent can now be dropped for good
                main_thread.current().cancel(WorkloadTimeout)
                return
            except WorkloadTimeout:
                continue


@contextlib.contextmanager
def time_limit(seconds: Optional[float]) -> Iterator[Optional[Watchdog]]:
    """WorkloadTimeout in the main thread once `seconds` have passed inside the block (main thread only)."""
    if seconds is None or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield None
        return
    watchdog = Watchdog(float(seconds))
    watchdog.start()
    try:
        yield watchdog
    finally:
        watchdog.disarm()
