"""Ctrl-C (SIGINT) and SIGTERM during a run: nothing measured is lost.

The first signal stops the workload: a script or a single request is interrupted at once
(KeyboardInterrupt); a request sequence finishes the current request and stops; serving stops.
The Tracker then ends normally, the reports are made from the partial capture and summary.json
records the interruption. Once the workload is over the first signal stops nothing more: every
report is made; a second abandons the remaining ones (the host's third kills the process); the
summary is still written. Signal state is process-wide, so this is one module-level instance.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Optional

# What each phase does with a signal: raise KeyboardInterrupt in the main thread, or only record it
# (the phase polls `requested`); "soft" raises from the second signal on.
RAISE, SOFT, RECORD = "raise", "soft", "record"

_CODES = {"SIGINT": "INTERRUPTED", "SIGTERM": "TERMINATED"}


class Interrupts:
    def __init__(self) -> None:
        self.received: list[str] = []
        self.mode = RAISE
        self.stopped = threading.Event()

    @property
    def first(self) -> Optional[str]:
        return self.received[0] if self.received else None

    @property
    def requested(self) -> bool:
        return bool(self.received)

    @property
    def code(self) -> Optional[str]:
        """The contract error code of the first signal (INTERRUPTED or TERMINATED)."""
        return _CODES.get(self.first or "")

    def describe(self) -> str:
        name = self.first or "a signal"
        return "%s (Ctrl-C)" % name if name == "SIGINT" else name

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        self.received.append(signal.Signals(signum).name)
        self.stopped.set()
        if self.mode == RAISE or (self.mode == SOFT and len(self.received) > 1):
            raise KeyboardInterrupt(self.received[-1])

    @contextlib.contextmanager
    def phase(self, mode: str) -> Iterator[None]:
        previous, self.mode = self.mode, mode
        try:
            yield
        finally:
            self.mode = previous


_current = Interrupts()


def current() -> Interrupts:
    return _current
