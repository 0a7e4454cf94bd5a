"""Short, stable file names for reports: `polars/frame.py:142`, `json/encoder.py:200`, `job.py:12`."""

from __future__ import annotations

import contextlib
import os
import site
import sysconfig
from collections.abc import Sequence
from typing import Optional

# Taken at import, before an app_dir chdir, so script paths stay relative to where the user ran.
ORIGINAL_CWD = os.getcwd()
HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))


def _library_prefixes() -> list[str]:
    candidates: list[Optional[str]] = []
    with contextlib.suppress(AttributeError):  # virtualenv's old site module
        candidates.extend(site.getsitepackages())
    with contextlib.suppress(AttributeError):
        candidates.append(site.getusersitepackages())
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        candidates.append(sysconfig.get_paths().get(key))
    candidates.append(os.path.dirname(os.__file__))
    candidates.append(os.path.dirname(HARNESS_DIR))
    out = set()
    for c in candidates:
        if c:
            out.add(os.path.join(os.path.abspath(c), ""))
            out.add(os.path.join(os.path.realpath(c), ""))
    # Longest first: site-packages lives inside the stdlib dir on most layouts.
    return sorted(out, key=len, reverse=True)


_PREFIXES = _library_prefixes()


def shorten(path: str) -> str:
    if not path or not os.path.isabs(path):
        return path
    for prefix in _PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix) :]
    cwd = os.path.join(ORIGINAL_CWD, "")
    if path.startswith(cwd):
        return path[len(cwd) :]
    return path


# A file of this package wherever it was loaded from: in mode attach the agent a service holds was
# often loaded by an earlier run, from that run's staging directory (or installed with the service).
PACKAGE_SEGMENT = os.sep + os.path.basename(HARNESS_DIR) + os.sep


def _package_relative(path: str) -> Optional[str]:
    at = path.rfind(PACKAGE_SEGMENT)
    return path[at + len(PACKAGE_SEGMENT) :] if at >= 0 else None


def is_harness_file(path: str) -> bool:
    return _package_relative(path) is not None or os.path.basename(path) == "memray-runner.py"


def harness_name(path: str) -> str:
    """A harness file's path relative to the package (`workloads/script.py`); memray-runner.py's name."""
    relative = _package_relative(path)
    return relative.replace(os.sep, "/") if relative is not None else os.path.basename(path)


def site_of(filename: str, line: int) -> str:
    return "%s:%d" % (shorten(filename), line) if line else shorten(filename)


# Harness frames through which the workload itself runs: an allocation below one is the workload's.
# (file relative to the package, function name or None for any function of that file)
# An ASGI app runs below `call_app`, and the tasks it spawns below the loop `run_app_loop` drives (the
# loop's own work is the app's, as under uvicorn); the harness's coroutines around it (scope, receive,
# send, the live server's HTTP parsing) stay the harness's.
WORKLOAD_ENTRIES = {
    ("workloads/wsgi_server.py", "call_app"),
    ("workloads/asgi_app.py", "call_app"),
    ("workloads/asgi_app.py", "run_app_loop"),
    ("workloads/script.py", None),
    ("workloads/snapshot.py", None),
}
# The in-process server's own request handling (socketserver's threads), outside the app.
SERVER_LOOPS = {"serve_forever", "process_request_thread"}
# False when the capture is of a process the harness did not run in (mode attach): socketserver's
# threads there are the service's own server (http.server, wsgiref, werkzeug's dev server), and only
# the harness's own files (the agent) are the harness's. Set by the report engine from its plan.
SERVER_LOOPS_ARE_HARNESS = True


def is_harness_allocation(frames: Sequence[tuple[str, str, int]]) -> bool:
    """Innermost-first Python frames (function, file, line) of an allocation the harness made for
    itself: its own code, its HTTP client, its waits, or the in-process server's request handling
    outside the app. The first harness frame outward from the allocation decides; without one, a
    socketserver loop means the server's own handling, anything else (a thread the app or script
    started) is the workload's. Frames of a Python-less (native) stack: never the harness's."""
    if not frames:
        return False
    if is_harness_file(frames[0][1] or ""):
        return True
    server = False
    for function, filename, _ in frames:
        if is_harness_file(filename or ""):
            name = harness_name(filename)
            short = (function or "").rsplit(".", 1)[-1]
            return not ((name, short) in WORKLOAD_ENTRIES or (name, None) in WORKLOAD_ENTRIES)
        if SERVER_LOOPS_ARE_HARNESS and os.path.basename(filename or "") == "socketserver.py" and function in SERVER_LOOPS:
            server = True
    return server
