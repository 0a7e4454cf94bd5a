"""Ctrl-C (SIGINT) and SIGTERM during a run: nothing measured is lost.

The first signal stops the workload: a script or a single request is interrupted at once
(KeyboardInterrupt); a request sequence finishes the current request and stops; serving stops.
The Tracker then ends normally, the reports are made from the partial capture and summary.json
records the interruption. Once the workload is over the first signal stops nothing more: every
report is made; a second abandons the remaining ones (the host's third kills the process); the
summary is still written. Signal state is process-wide, so this is one module-level instance.

The loss of the host (host_link.py) stops the workload the same way as a first signal (HostLost, a
KeyboardInterrupt, raised in the main thread from the watching thread through main_thread.py), but is
no signal: it is never counted towards abandoning the reports, and the run's code is HOST_LOST.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Optional

from . import main_thread

# What each phase does with a signal: raise KeyboardInterrupt in the main thread, or only record it
# (the phase polls `requested`); "soft" raises from the second signal on.
RAISE, SOFT, RECORD = "raise", "soft", "record"

_CODES = {"SIGINT": "INTERRUPTED", "SIGTERM": "TERMINATED"}
HOST_LOST = "HOST_LOST"


class HostLost(KeyboardInterrupt):
    """The host went away: the workload stops as on a first Ctrl-C (what catches that catches this)."""


class Interrupts:
    def __init__(self) -> None:
        self.received: list[str] = []
        self.mode = RAISE
        self.stopped = threading.Event()
        # Why the host is gone (host_link.py), once it is.
        self.host_lost: Optional[str] = None

    @property
    def first(self) -> Optional[str]:
        return self.received[0] if self.received else None

    @property
    def requested(self) -> bool:
        """Whether the workload should stop: a signal came, or the host is gone."""
        return bool(self.received) or self.host_lost is not None

    @property
    def code(self) -> Optional[str]:
        """The contract error code of the first signal (INTERRUPTED or TERMINATED), else HOST_LOST when
        the host is gone."""
        if self.received:
            return _CODES.get(self.received[0])
        return HOST_LOST if self.host_lost is not None else None

    def describe(self) -> str:
        if not self.received and self.host_lost is not None:
            return "the loss of its host (%s)" % self.host_lost
        name = self.first or "a signal"
        return "%s (Ctrl-C)" % name if name == "SIGINT" else name

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)
        main_thread.current().install()

    def lose_host(self, reason: str) -> None:
        """From any thread, once: the host is gone. The workload stops (HostLost in the main thread while
        the phase raises); after it, nothing more stops: the run is finished without the host."""
        if self.host_lost is not None:
            return
        self.host_lost = reason
        self.stopped.set()
        if self.mode == RAISE:
            main_thread.current().stop(HostLost)

    def enter(self, mode: str) -> None:
        """From now on, for the rest of the run (the workload is over): no HostLost sent meanwhile lands."""
        self.mode = mode
        if mode != RAISE:
            main_thread.current().cancel(HostLost)

    def _handle(self, signum: int, frame: object) -> None:
        self.received.append(signal.Signals(signum).name)
        self.stopped.set()
        if self.mode == RAISE or (self.mode == SOFT and len(self.received) > 1):
            raise KeyboardInterrupt(self.received[-1])

    @contextlib.contextmanager
    def phase(self, mode: str) -> Iterator[None]:
        previous = self.mode
        self.enter(mode)
        try:
            yield
        finally:
            self.mode = previous


_current = Interrupts()


def current() -> Interrupts:
    return _current
