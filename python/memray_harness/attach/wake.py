"""Waking an idle service while a debugger waits to inject into it.

memray's injection through gdb or lldb stops a process at its next allocation (malloc, PyMem_*, a
pending call): a worker blocked in select()/accept() on its listening socket allocates only when it
wakes up, which for an idle gunicorn sync worker is its heartbeat (up to half its timeout, 15 s by
default). While injections are pending, an empty TCP connection to the service's own port on
127.0.0.1 every WAKE_INTERVAL seconds wakes the workers waiting on that socket; the service accepts
it, reads EOF and closes it, as servers do with a client that went away. Nothing is sent.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Optional

WAKE_INTERVAL = 0.5
CONNECT_TIMEOUT = 0.5


class Waker:
    """Connects to 127.0.0.1:port every WAKE_INTERVAL s until stopped (or max_attempts); counts them."""

    def __init__(self, port: int, max_attempts: int) -> None:
        self.port = port
        self.max_attempts = max_attempts
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memray-cli-wake", daemon=True)

    def __enter__(self) -> Waker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=CONNECT_TIMEOUT + WAKE_INTERVAL + 1)

    def _run(self) -> None:
        for _ in range(self.max_attempts):
            if self._stop.wait(WAKE_INTERVAL):
                return
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=CONNECT_TIMEOUT):
                self.connections += 1


def waker(port: Optional[int], needed: bool, max_seconds: float) -> contextlib.AbstractContextManager[object]:
    """A Waker when a debugger will inject and the service's port is known; else nothing happens."""
    if not needed or not port:
        return contextlib.nullcontext()
    return Waker(int(port), max_attempts=max(1, int(max_seconds / WAKE_INTERVAL)))
