"""Stop the main thread from another thread, whatever the workload did to its signal handlers.

The --timeout watchdog (workloads/timeouts.py) and the host link (host_link.py) run in threads of their
own; the workload runs in the main thread and may install handlers of its own (SIGALRM, SIGINT), sit
in a blocking call, or catch exceptions. stop(exc_type) raises exc_type in the main thread, two ways:

* a wake-up signal sent to the main thread alone (pthread_kill): it ends a blocking call (EINTR) and
  our handler raises. SIGURG is ignored by default, so a workload that resets it to its default
  cannot be killed by it;
* PyThreadState_SetAsyncExc (ctypes) as the backstop, BACKSTOP_SECONDS later if the exception has not
  been raised yet: it is raised at the main thread's next bytecode, also inside a handler the
  workload put in place of ours.

Whoever sends must cancel(exc_type) once the window it stops is over: what was sent and not yet
raised is then dropped, so it never lands in the harness's own code after the workload.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Optional

BACKSTOP_SECONDS = 0.3
WAKE_SIGNAL: Optional[int] = getattr(signal, "SIGURG", None)

ExcType = type  # an exception class (SetAsyncExc instantiates it without arguments)

try:  # CPython's API; absent (or ctypes missing) elsewhere: the wake-up signal alone
    import ctypes

    _set_async_exc: Optional[Callable[..., int]] = ctypes.pythonapi.PyThreadState_SetAsyncExc
except (ImportError, AttributeError):
    _set_async_exc = None


class MainThreadStop:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Optional[ExcType] = None
        self._async_set = False
        # Run first by the wake-up handler (in the main thread): the host link's parent check, which
        # the parent-death signal (the same signal) asks for.
        self.on_wake: list[Callable[[], None]] = []

    @property
    def main_ident(self) -> Optional[int]:
        return threading.main_thread().ident

    def install(self) -> None:
        """Our handler for the wake-up signal (main thread only; again after a workload's imports)."""
        if WAKE_SIGNAL is None or threading.current_thread() is not threading.main_thread():
            return
        with contextlib.suppress(ValueError, OSError):
            signal.signal(WAKE_SIGNAL, self._on_wake)

    def stop(self, exc_type: ExcType) -> None:
        """From any thread: raise exc_type in the main thread as soon as it can be."""
        with self._lock:
            self._pending = exc_type
        ident = self.main_ident
        if WAKE_SIGNAL is not None and ident is not None and hasattr(signal, "pthread_kill"):
            with contextlib.suppress(OSError, ValueError):
                signal.pthread_kill(ident, WAKE_SIGNAL)
        if _set_async_exc is not None and threading.current_thread() is not threading.main_thread():
            timer = threading.Timer(BACKSTOP_SECONDS, self._backstop, args=(exc_type,))
            timer.daemon = True
            timer.start()

    def cancel(self, exc_type: ExcType) -> None:
        """Drop exc_type if it was sent and not raised yet (the window it was meant for is over)."""
        with self._lock:
            if self._pending is exc_type:
                self._take_locked()

    def take(self) -> Optional[ExcType]:
        """What was sent and not raised yet (now taken: it will not be raised again)."""
        with self._lock:
            return self._take_locked()

    def _take_locked(self) -> Optional[ExcType]:
        exc, self._pending = self._pending, None
        if self._async_set and _set_async_exc is not None and self.main_ident is not None:
            _set_async_exc(ctypes.c_ulong(self.main_ident), None)  # NULL: clears a pending async exception
        self._async_set = False
        return exc

    def _backstop(self, exc_type: ExcType) -> None:
        with self._lock:
            if self._pending is exc_type and _set_async_exc is not None and self.main_ident is not None:
                _set_async_exc(ctypes.c_ulong(self.main_ident), ctypes.py_object(exc_type))
                self._async_set = True

    def _on_wake(self, signum: int, frame: object) -> None:
        for hook in list(self.on_wake):
            hook()
        exc = self.take()
        if exc is not None:
            raise exc()


_current = MainThreadStop()


def current() -> MainThreadStop:
    return _current
