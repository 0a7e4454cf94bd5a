"""The measurement window: RSS (and, when it must, tracemalloc) around a memray Tracker.

tracemalloc_* figures: with a capture whose Python allocators memray traces, they are derived from
that capture after the run (reports/derived_tracemalloc.py: tracemalloc beside memray's own hooks doubled the capture's
cost); tracemalloc itself runs only when there is no such capture (memray missing, a live run,
trace_python_allocators off) or when the config asks for it (`tracemalloc: true`).
`memory.tracemalloc_source` says which: "tracemalloc" or "memray".
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import tracemalloc
from types import ModuleType
from typing import Any, Callable, Optional, TypeVar

from ..contract import contract
from . import rss

T = TypeVar("T")


class Capture:
    """One measurement window. memory() returns the summary's `memory` block.

    Use run(fn): memray only knows Python frames pushed after tracking starts, and a frame that
    was already active when the Tracker started and returns while it runs corrupts the stacks
    of everything recorded afterwards (memray 1.20). So the Tracker is entered with a bare
    `with tracker:` in run(), which stays on the stack until tracking ends, and the workload
    (and any server thread) starts inside it.
    """

    def __init__(
        self,
        memray: Optional[ModuleType],
        out_dir: str,
        native_traces: bool = True,
        trace_python_allocators: bool = True,
        destination: Any = None,
        track_object_lifetimes: bool = False,
        gc_before_stop: bool = False,
        real_tracemalloc: bool = False,
    ) -> None:
        self.memray = memray
        self.session_path = os.path.join(out_dir, contract().artifact("session_bin").file)
        self.native_traces = native_traces
        self.trace_python_allocators = trace_python_allocators
        self.destination = destination
        self.track_object_lifetimes = track_object_lifetimes
        self.gc_before_stop = gc_before_stop
        self.tracker: Any = None
        self.started = False
        self.ended = False
        self.rss_before: Optional[int] = None
        self.rss_after: Optional[int] = None
        self.rss_source = ""
        self.tm_before = 0
        self.tm_current: Optional[int] = None
        self.tm_peak: Optional[int] = None
        self.surviving_objects: Optional[tuple] = None
        self._own_tracemalloc = False
        # Real tracemalloc only without a capture to derive its figures from, or when asked.
        self.use_tracemalloc = bool(real_tracemalloc or memray is None or not trace_python_allocators or destination is not None)
        # Called once the window is open (the runner checkpoints its state there).
        self.on_start: Optional[Callable[[], None]] = None
        self._pid = os.getpid()

    @classmethod
    def existing(cls, memray: Optional[ModuleType], out_dir: str) -> Capture:
        """The capture an earlier harness process wrote into out_dir (recovery): there to report on,
        nothing left to measure."""
        capture = cls(memray, out_dir)
        capture.started = True
        return capture

    def session_problem(self) -> Optional[str]:
        """Why session.bin cannot be reported on (deleted, unreadable, empty), or None."""
        try:
            with open(self.session_path, "rb") as f:
                if not f.read(16):
                    return "file %s is empty" % self.session_path
        except OSError as exc:
            return "file %s is gone or unreadable (%s)" % (self.session_path, exc.strerror or exc)
        return None

    def _make_tracker(self) -> Any:
        memray = self.memray
        kwargs: dict[str, Any] = {
            "native_traces": self.native_traces,
            "trace_python_allocators": self.trace_python_allocators,
        }
        if self.track_object_lifetimes:
            kwargs["track_object_lifetimes"] = True
        if self.destination is None:
            # overwrite: a re-used out_dir must not make the Tracker refuse to start.
            kwargs["destination"] = memray.FileDestination(self.session_path, overwrite=True)
        else:
            kwargs["destination"] = self.destination
        return memray.Tracker(**kwargs)

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """fn(*args) inside the window; the window is closed whatever fn does."""
        self._begin()
        try:
            with self.tracker if self.tracker is not None else contextlib.nullcontext():
                self._entered()
                try:
                    result = fn(*args, **kwargs)
                except BaseException:
                    self._exit_if_forked_child(1)
                    raise
                else:
                    self._exit_if_forked_child(_exit_code_of(result))
                    return result
                finally:
                    self._leaving()
        finally:
            self.end()

    def _exit_if_forked_child(self, code: int) -> None:
        """A process the workload forked that returns here must not finish the run a second time
        (reports, summary): only the original process does. The child ends as it would have."""
        if os.getpid() != self._pid:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)

    def _begin(self) -> None:
        # tracemalloc first: started inside the Tracker, its own bookkeeping would be
        # attributed to the workload's lines in memray's reports.
        if self.use_tracemalloc and not tracemalloc.is_tracing():
            tracemalloc.start()
            self._own_tracemalloc = True
        self.rss_before, self.rss_source = rss.current_rss()
        self.started = True
        if self.memray is not None:
            self.tracker = self._make_tracker()  # blocks for a client with SocketDestination

    def _entered(self) -> None:
        if not self.use_tracemalloc:
            if self.on_start is not None:
                self.on_start()
            return
        self.tm_before = tracemalloc.get_traced_memory()[0]
        if hasattr(tracemalloc, "reset_peak"):
            tracemalloc.reset_peak()
        if self.on_start is not None:
            self.on_start()

    def _leaving(self) -> None:
        if self.gc_before_stop:
            gc.collect()  # the rule's gc_before_stop: only genuinely unreleased memory stays
        if self.use_tracemalloc:
            self.tm_current, self.tm_peak = tracemalloc.get_traced_memory()

    def end(self) -> None:
        """Idempotent: after the Tracker exited (or never started)."""
        if not self.started or self.ended:
            return
        self.ended = True
        try:
            if self.tracker is not None and self.track_object_lifetimes:
                self.surviving_objects = tuple(self.tracker.get_surviving_objects())
        finally:
            if self._own_tracemalloc:
                tracemalloc.stop()
            gc.collect()
            self.rss_after, _ = rss.current_rss()

    def _peak(self) -> Optional[int]:
        # The kernel updates ru_maxrss lazily; a peak below a measured current value would mislead.
        values = [v for v in (rss.peak_rss_kb(), self.rss_before, self.rss_after) if v is not None]
        return max(values) if values else None

    def memory(self) -> dict[str, Any]:
        delta = None
        if self.rss_before is not None and self.rss_after is not None:
            delta = self.rss_after - self.rss_before
        tm_delta = self.tm_current - self.tm_before if self.tm_current is not None else None
        return {
            "rss_before": self.rss_before,
            "rss_after": self.rss_after,
            "rss_delta": delta,
            "tracemalloc_current": self.tm_current,
            "tracemalloc_peak": self.tm_peak,
            "tracemalloc_delta": tm_delta,
            "rss_peak": self._peak(),
            "rss_source": self.rss_source or rss.current_rss()[1],
            # "memray": tracemalloc_* are filled from session.bin once the reports step read it.
            "tracemalloc_source": "tracemalloc" if self.use_tracemalloc else "memray",
        }


def _exit_code_of(result: Any) -> int:
    """The exit status a workload's result stands for (an Outcome, or (Outcome, keepalive))."""
    outcome = result[0] if isinstance(result, tuple) and result else result
    code = getattr(outcome, "exit_code", 0)
    return code if isinstance(code, int) and 0 <= code < 256 else 1
