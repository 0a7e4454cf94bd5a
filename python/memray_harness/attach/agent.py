"""memray-cli's in-process agent: tracks this process with memray when a controller asks, never longer.

Stdlib only at import time and nothing else of memray_harness, so the file can be copied alone;
memray is imported when tracking starts. Two ways in (docs/harness-protocol.md, "Mode attach"):

* at start-up, by boot.py when MEMRAY_CLI_AGENT=1 (`start_agent()`): the agent lives as long as the
  process and restarts itself in every forked child (gunicorn and uwsgi fork their workers after
  start-up, and threads do not survive a fork);
* injected into a running process by memray's own injection (gdb, lldb, sys.remote_exec) with
  `start_session()`: one session, after which it closes its socket and its thread ends.

It serves a Unix socket `/tmp/memray-cli-agent-<uid>/<pid>.sock` (directory 0700, socket 0600; a
peer of another uid than this process's or root is refused) from a daemon thread. The protocol:
newline-delimited JSON, one request and one answer per line, every answer with `ok`:

    {"cmd": "hello"}   -> {"ok": true, "protocol": 1, "pid", "python", "executable", "uid",
                           "memray": version or null, "memray_error": why not or null,
                           "tracking": bool, "session": one-session agent?}
    {"cmd": "start", "file", "native_traces", "trace_python_allocators", "aggregate", "lease_seconds"}
                       -> {"ok": true, "started_at", "file", "lease_until"}
    {"cmd": "renew", "lease_seconds"}  -> {"ok": true, "lease_until"}
    {"cmd": "stop"}    -> {"ok": true, "stopped_at", "file", "bytes", "reason": "stop"}
    {"cmd": "status"}  -> {"ok": true, "tracking", "file", "started_at", "lease_until", "last_stop"}
    failures           -> {"ok": false, "error": "...", "code": a contract error code or null}

`start` starts a memray.Tracker (FileDestination, overwrite; aggregate: FileFormat.AGGREGATED_ALLOCATIONS)
and makes its connection the lease: tracking stops on `stop`, when that connection ends (the
controller died: the kernel closes its socket), when the lease expires without a `renew`, or when the
process exits. So a process is never left tracking.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import platform
import socket
import stat
import struct
import sys
import threading
import time
from typing import Any, Optional

PROTOCOL_VERSION = 1
ENV_VAR = "MEMRAY_CLI_AGENT"
SOCKET_DIR = "/tmp/memray-cli-agent-%d"
MAX_LINE = 64 * 1024
DEFAULT_LEASE_SECONDS = 15.0
MAX_LEASE_SECONDS = 24 * 3600.0
# An injected agent that no controller starts tracking in within this long closes again.
SESSION_IDLE_SECONDS = 60.0
WATCHDOG_TICK = 0.5

_agent: Optional[Agent] = None
_agent_lock = threading.Lock()
_fork_hook_installed = False
# Trackers left behind in a forked child: memray stopped tracking there; never deallocated.
_orphans: list[Any] = []


class AgentError(Exception):
    """The agent cannot listen (its socket directory is not this user's, the socket cannot be bound)."""


def socket_dir(uid: Optional[int] = None) -> str:
    return SOCKET_DIR % (os.getuid() if uid is None else uid)


def socket_path(pid: Optional[int] = None, uid: Optional[int] = None) -> str:
    return os.path.join(socket_dir(uid), "%d.sock" % (os.getpid() if pid is None else pid))


def _prepare_dir(path: str) -> None:
    """The socket directory, 0700 and this user's: a directory someone else owns is refused."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise AgentError("%s is not a directory of uid %d; remove it" % (path, os.getuid()))
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)


def _memray_available() -> tuple[Optional[str], Optional[str]]:
    """(memray's version, None) or (None, why it cannot be imported), without importing it."""
    if "memray" in sys.modules:
        return str(getattr(sys.modules["memray"], "__version__", None) or _dist_version()), None
    try:
        import importlib.util

        if importlib.util.find_spec("memray") is None:
            return None, "No module named 'memray' on %s's sys.path" % sys.executable
    except Exception as exc:  # noqa: BLE001 - a broken sys.path entry
        return None, "%s: %s" % (type(exc).__name__, exc)
    return _dist_version(), None


def _dist_version() -> str:
    try:
        from importlib.metadata import version

        return version("memray")
    except Exception:  # noqa: BLE001 - installed without metadata
        return "unknown"


def _peer_uid(conn: socket.socket) -> Optional[int]:
    try:
        option = socket.SO_PEERCRED
    except AttributeError:  # not Linux: the directory's mode is the only gate
        return None
    try:
        _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    except OSError:
        return None
    return uid


class Agent:
    """One listening socket and, at most, one tracking session at a time."""

    def __init__(self, one_session: bool = False, idle_seconds: float = SESSION_IDLE_SECONDS) -> None:
        self.one_session = one_session
        self.idle_seconds = idle_seconds
        self.pid = os.getpid()
        self.path = socket_path()
        self._lock = threading.RLock()
        self._listener: Optional[socket.socket] = None
        self._closed = False
        self._tracker: Any = None
        self._owner: Optional[socket.socket] = None
        self._file: Optional[str] = None
        self._started_at: Optional[float] = None
        self._deadline = 0.0
        self._last_stop: Optional[dict[str, Any]] = None
        self._conns: set[socket.socket] = set()
        self._sessions = 0

    # -- listening -------------------------------------------------------------------------------
    def start(self) -> str:
        _prepare_dir(os.path.dirname(self.path))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # a socket left by a process that had this pid before
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(self.path)
            os.chmod(self.path, 0o600)
            listener.listen(8)
        except OSError as exc:
            listener.close()
            raise AgentError("cannot listen on %s: %s" % (self.path, exc)) from exc
        self._listener = listener
        threading.Thread(target=self._accept_loop, name="memray-cli-agent", daemon=True).start()
        if self.one_session:
            threading.Thread(target=self._close_if_idle, name="memray-cli-agent-idle", daemon=True).start()
        return self.path

    def close(self) -> None:
        """Stop tracking (if it does), stop listening and remove the socket."""
        self._stop_tracking("the agent closed")
        with self._lock:
            if self._closed:
                return
            self._closed = True
            listener, self._listener = self._listener, None
            conns = list(self._conns)
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the agent's thread
            listener.close()
            if os.getpid() == self.pid:
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def abandon_in_child(self) -> None:
        """After fork, in the child: the parent's socket and connections are the parent's (closed here,
        never removed or answered); memray stopped tracking in the child, its Tracker is dropped."""
        self._closed = True
        if self._tracker is not None:
            _orphans.append(self._tracker)
            self._tracker = None
        for sock in [self._listener, *self._conns]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    os.close(sock.detach())  # the fd itself, whatever still refers to the object
        self._listener = None
        self._conns.clear()

    def _close_if_idle(self) -> None:
        time.sleep(self.idle_seconds)
        with self._lock:
            idle = self._sessions == 0 and self._tracker is None
        if idle:
            self.close()

    def _accept_loop(self) -> None:
        listener = self._listener
        while listener is not None and not self._closed:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed
            uid = _peer_uid(conn)
            if uid is not None and uid not in (0, os.getuid()):
                conn.close()
                continue
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), name="memray-cli-agent-conn", daemon=True).start()

    # -- one connection --------------------------------------------------------------------------
    def _serve(self, conn: socket.socket) -> None:
        reader = None
        try:
            reader = conn.makefile("rb")
            while True:
                line = reader.readline(MAX_LINE + 1)
                if not line:
                    break
                if len(line) > MAX_LINE or not line.endswith(b"\n"):
                    self._send(conn, {"ok": False, "error": "request line longer than %d bytes" % MAX_LINE, "code": None})
                    break
                answer = self._answer(conn, line)
                self._send(conn, answer)
                if answer.get("stopped") and self.one_session:
                    break
        except OSError:
            pass
        finally:
            if self._owner is conn:
                self._stop_tracking("the controller closed its connection")
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                if reader is not None:
                    reader.close()
                conn.close()
            if self.one_session and self._sessions and self._tracker is None:
                self.close()

    @staticmethod
    def _send(conn: socket.socket, message: dict[str, Any]) -> None:
        conn.sendall((json.dumps(message, default=str, allow_nan=False) + "\n").encode("utf-8"))

    def _answer(self, conn: socket.socket, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line.decode("utf-8"))
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            return {"ok": False, "error": "not a JSON object: %s" % exc, "code": None}
        cmd = request.get("cmd")
        handler = {"hello": self._hello, "start": self._start, "renew": self._renew, "stop": self._stop, "status": self._status}.get(str(cmd))
        if handler is None:
            return {"ok": False, "error": "unknown command %r (hello, start, renew, stop, status)" % (cmd,), "code": None}
        try:
            return handler(conn, request)
        except Exception as exc:  # noqa: BLE001 - the agent never brings the service down
            return {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc), "code": None}

    def _hello(self, conn: socket.socket, request: dict[str, Any]) -> dict[str, Any]:
        version, why = _memray_available()
        return {
            "ok": True,
            "protocol": PROTOCOL_VERSION,
            "pid": os.getpid(),
            "python": platform.python_version(),
            "executable": sys.executable,
            "uid": os.getuid(),
            "memray": version,
            "memray_error": why,
            "tracking": self._tracker is not None,
            "session": self.one_session,
        }

    def _status(self, conn: socket.socket, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            tracking = self._tracker is not None
            return {
                "ok": True,
                "tracking": tracking,
                "file": self._file if tracking else None,
                "started_at": self._started_at if tracking else None,
                "lease_until": self._deadline if tracking else None,
                "last_stop": self._last_stop,
            }

    @staticmethod
    def _lease(request: dict[str, Any]) -> float:
        value = request.get("lease_seconds", DEFAULT_LEASE_SECONDS)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= MAX_LEASE_SECONDS:
            raise ValueError("lease_seconds must be a number of seconds in (0, %d]" % MAX_LEASE_SECONDS)
        return float(value)

    def _start(self, conn: socket.socket, request: dict[str, Any]) -> dict[str, Any]:
        file = request.get("file")
        if not isinstance(file, str) or not os.path.isabs(file):
            return {"ok": False, "error": "start needs `file`, an absolute path", "code": None}
        lease = self._lease(request)
        with self._lock:
            if self._tracker is not None:
                return {"ok": False, "error": "pid %d is already tracked into %s (another controller's session)" % (os.getpid(), self._file), "code": None}
            try:
                import memray
            except Exception as exc:  # noqa: BLE001 - ImportError, or a broken native extension
                return {
                    "ok": False,
                    "error": "memray is not importable by %s: %s: %s" % (sys.executable, type(exc).__name__, exc),
                    "code": "MEMRAY_NOT_INSTALLED",
                }
            kwargs: dict[str, Any] = {
                "destination": memray.FileDestination(file, overwrite=True),
                "native_traces": bool(request.get("native_traces")),
                "trace_python_allocators": bool(request.get("trace_python_allocators")),
                "follow_fork": False,
            }
            if request.get("aggregate"):
                kwargs["file_format"] = memray.FileFormat.AGGREGATED_ALLOCATIONS
            try:
                tracker = memray.Tracker(**kwargs)
            except PermissionError:
                tracker = _tracker_without_user_site(memray, kwargs)
            tracking = _Tracking(tracker)
            error = tracking.begin()  # e.g. another Tracker is active in this process
            if error is not None:
                return {"ok": False, "error": error, "code": None}
            self._tracker, self._owner, self._file = tracking, conn, file
            self._started_at = time.time()
            self._deadline = time.time() + lease
            self._sessions += 1
        threading.Thread(target=self._watchdog, args=(tracking,), name="memray-cli-agent-lease", daemon=True).start()
        return {"ok": True, "started_at": self._started_at, "file": file, "lease_until": self._deadline}

    def _renew(self, conn: socket.socket, request: dict[str, Any]) -> dict[str, Any]:
        lease = self._lease(request)
        with self._lock:
            if self._tracker is None or self._owner is not conn:
                return {"ok": False, "error": "this connection holds no tracking session (it ended: %s)" % self._why_stopped(), "code": None}
            self._deadline = time.time() + lease
            return {"ok": True, "lease_until": self._deadline}

    def _stop(self, conn: socket.socket, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._tracker is None or self._owner is not conn:
                return {"ok": False, "error": "this connection holds no tracking session (it ended: %s)" % self._why_stopped(), "code": None}
            file = self._file
            self._stop_tracking("stop")
        size = None
        with contextlib.suppress(OSError):
            size = os.path.getsize(file or "")
        return {"ok": True, "stopped": True, "stopped_at": time.time(), "file": file, "bytes": size, "reason": "stop"}

    def _why_stopped(self) -> str:
        return self._last_stop["reason"] if self._last_stop else "never started"

    # -- the session's end -----------------------------------------------------------------------
    def _watchdog(self, tracker: Any) -> None:
        """Tracking ends when the lease does: a controller that stopped renewing is gone."""
        while True:
            time.sleep(WATCHDOG_TICK)
            with self._lock:
                if self._tracker is not tracker:
                    return
                expired = time.time() > self._deadline
            if expired:
                self._stop_tracking("the lease expired (no renew from the controller)")
                return

    def _stop_tracking(self, reason: str) -> None:
        with self._lock:
            tracker, owner = self._tracker, self._owner
            if tracker is None:
                return
            self._tracker = self._owner = None
            self._last_stop = {"reason": reason, "at": time.time(), "file": self._file}
            error = tracker.end()
            if error is not None:
                self._last_stop["error"] = error
        if reason != "stop":
            _log("tracking of pid %d stopped: %s" % (os.getpid(), reason))
            if owner is not None:
                with contextlib.suppress(OSError):
                    owner.shutdown(socket.SHUT_RDWR)
        if self.one_session and reason != "stop":
            self.close()


def _tracker_without_user_site(memray: Any, kwargs: dict[str, Any]) -> Any:
    """memray (1.20) looks at the user's site-packages when a Tracker is made, and fails where that
    directory cannot even be looked at (a container run as another uid with HOME=/root): made again
    with that path out of the way for the moment (it held nothing this process could import)."""
    import site

    saved = site.USER_SITE
    site.USER_SITE = "/nonexistent/memray-cli-agent/user-site"
    try:
        return memray.Tracker(**kwargs)
    finally:
        site.USER_SITE = saved


class _Tracking:
    """A memray.Tracker entered and exited in a thread of its own, whose frame stays on the stack for
    the whole session (memray keeps the stacks right when no frame that was active when tracking
    started returns while it runs: see measurement/capture.py)."""

    ENTER_TIMEOUT = 60.0
    EXIT_TIMEOUT = 120.0

    def __init__(self, tracker: Any) -> None:
        self.tracker = tracker
        self._entered = threading.Event()
        self._leave = threading.Event()
        self._enter_error: Optional[str] = None
        self._exit_error: Optional[str] = None
        self._thread = threading.Thread(target=self._run, name="memray-cli-agent-tracker", daemon=True)

    def begin(self) -> Optional[str]:
        """None once tracking runs, else why it does not."""
        self._thread.start()
        if not self._entered.wait(self.ENTER_TIMEOUT):
            self._leave.set()
            return "memray's Tracker did not start within %ds" % self.ENTER_TIMEOUT
        return self._enter_error

    def end(self) -> Optional[str]:
        """Stop tracking (the capture is complete when this returns); None or what went wrong."""
        self._leave.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(self.EXIT_TIMEOUT)
            if self._thread.is_alive():
                return "memray's Tracker did not stop within %ds" % self.EXIT_TIMEOUT
        return self._exit_error

    def _run(self) -> None:
        try:
            self.tracker.__enter__()
        except Exception as exc:  # noqa: BLE001
            self._enter_error = "%s: %s" % (type(exc).__name__, exc)
            self._entered.set()
            return
        self._entered.set()
        self._leave.wait()
        try:
            self.tracker.__exit__(None, None, None)
        except Exception as exc:  # noqa: BLE001
            self._exit_error = "%s: %s" % (type(exc).__name__, exc)


def _log(message: str) -> None:
    with contextlib.suppress(Exception):
        sys.stderr.write("memray-cli agent: %s\n" % message)
        sys.stderr.flush()


# -- the two ways in -------------------------------------------------------------------------------
def start_agent() -> str:
    """The process-long agent (MEMRAY_CLI_AGENT=1): listening now and in every forked child."""
    global _agent, _fork_hook_installed
    with _agent_lock:
        if _agent is not None and not _agent._closed and _agent.pid == os.getpid():
            return _agent.path
        agent = Agent()
        path = agent.start()
        _agent = agent
        if not _fork_hook_installed and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_in_child)
            _fork_hook_installed = True
    return path


def start_session(idle_seconds: float = SESSION_IDLE_SECONDS) -> str:
    """An injected agent for one session: it closes after its `stop`, its connection's end or its
    lease's, or when nobody starts tracking within idle_seconds. An agent already running is reused."""
    global _agent
    with _agent_lock:
        if _agent is not None and not _agent._closed and _agent.pid == os.getpid():
            return _agent.path
        agent = Agent(one_session=True, idle_seconds=idle_seconds)
        path = agent.start()
        _agent = agent
    return path


def _after_fork_in_child() -> None:
    global _agent, _agent_lock
    _agent_lock = threading.Lock()  # a parent thread may have held it at the fork
    parent = _agent
    _agent = None
    if parent is None:
        return
    parent.abandon_in_child()
    if parent.one_session:
        return
    try:
        start_agent()
    except Exception as exc:  # noqa: BLE001 - the child runs on without an agent
        _log("not listening in pid %d: %s" % (os.getpid(), exc))


def _at_exit() -> None:
    agent = _agent
    if agent is not None and agent.pid == os.getpid():
        agent.close()


atexit.register(_at_exit)
