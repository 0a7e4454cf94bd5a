"""Progress events: `@memray-harness {json}` lines for the host, on the harness's own copy of stderr.

The channel is a private duplicate of fd 2 taken when the harness starts (open_channel): a workload that
closes or redirects its stderr (fd 2, sys.stderr) does not cut the host off, and each line is one
write(2) (atomic on a pipe up to PIPE_BUF), never interleaved with the workload's output. The
harness's own messages for people (`memray-harness: ...`) go the same way (say).

The last event of a harness that finished its run is `end` with its exit code (cli.py): the host tells
the harness's own end from a workload that ended the process (os._exit, a signal it sent itself) by
that line, never by the exit code, which the workload may share with the harness.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import threading
from typing import Any, Callable, Optional

PREFIX = "@memray-harness "

_fd: Optional[int] = None  # the channel; None: sys.__stderr__ (open_channel not called)
_lock = threading.Lock()
_silenced = False  # nothing at all is written any more
_events_off = False  # no more events (the host that read them is gone); say() lines still go out
# Called (once) when a write finds the host's end of the pipe closed: the host is gone (host_link.py).
on_broken: Optional[Callable[[str], None]] = None


def open_channel() -> Optional[int]:
    """Take the private copy of fd 2 (not inherited by the workload's children); returns its fd."""
    global _fd
    if _fd is None:
        with contextlib.suppress(OSError):
            _fd = os.dup(2)
    return _fd


def channel_fd() -> Optional[int]:
    return _fd


def silence(target_fd: Optional[int] = None) -> None:
    """The host is gone: nothing reads the channel any more. No more events; the harness's own lines go
    to target_fd (harness.log in the run directory) when given, else nowhere; never an error."""
    global _silenced, _events_off
    with _lock:
        _events_off = True
        _silenced = target_fd is None
        if _fd is not None:
            try:
                if target_fd is not None:
                    os.dup2(target_fd, _fd, inheritable=False)
                else:
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, _fd, inheritable=False)
                    os.close(devnull)
            except OSError:
                _silenced = True


def say(text: str) -> None:
    """A line for people (and harness.log), on the channel."""
    _write(text + "\n")


def emit(event: str, **fields: Any) -> None:
    if _events_off:
        return
    payload = {"event": event}
    payload.update(fields)
    _write(PREFIX + json.dumps(payload, sort_keys=False, default=str, allow_nan=False) + "\n")


def _write(line: str) -> None:
    if _silenced:
        return
    data = line.encode("utf-8", "replace")
    broken = ""
    with _lock:
        if _fd is None:
            try:
                sys.__stderr__.write(line)
                sys.__stderr__.flush()
            except (AttributeError, ValueError, OSError):
                pass
            return
        try:
            while data:
                data = data[os.write(_fd, data) :]
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.ECONNRESET):
                broken = "the pipe of its progress events is closed (%s)" % os.strerror(exc.errno)
    if broken and on_broken is not None:
        on_broken(broken)


def step(name: str, message: str = "") -> None:
    emit("step", step=name, message=message)


def warning(message: str) -> None:
    emit("warning", message=message)


def report(name: str, ok: bool, seconds: float, message: str = "") -> None:
    fields: dict = {"name": name, "ok": ok, "seconds": round(seconds, 3)}
    if message:
        fields["message"] = message
    emit("report", **fields)


def error(code: str, message: str) -> None:
    """The run failed with a contract error code (before, around or after the workload)."""
    emit("error", code=code, message=message)


def end(exit_code: int) -> None:
    """The harness finished its run (summary.json written, or why not announced): the last event."""
    emit("end", exit_code=exit_code)
