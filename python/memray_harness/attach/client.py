"""The controller's side of the agent protocol (agent.py): find a process's agent, talk to it, and
keep the tracking lease alive while the window lasts.

The lease: `start` gives each session LEASE_SECONDS; a thread renews every session every
RENEW_SECONDS. If the harness dies, the kernel closes its sockets and every agent stops at once; if
it hangs (stopped, starved), the leases run out and the agents stop on their own.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import threading
from typing import Any, Optional

from ..errors import HarnessError
from . import agent
from .discovery import ProcessInfo

LEASE_SECONDS = agent.DEFAULT_LEASE_SECONDS
RENEW_SECONDS = 3.0
CONNECT_TIMEOUT = 10.0
ANSWER_TIMEOUT = 30.0
STOP_TIMEOUT = 180.0  # memray compresses the capture when it stops: big captures take a while


class AgentUnreachable(Exception):
    """The socket is there but nobody answers (stale), or we may not connect (errno EACCES)."""

    def __init__(self, message: str, denied: bool = False) -> None:
        super().__init__(message)
        self.denied = denied


def socket_candidates(info: ProcessInfo) -> list[str]:
    """Where the process's agent listens: /tmp here, or /tmp as the process sees it (a private /tmp)."""
    uid = info.uid if info.uid is not None else os.getuid()
    path = agent.socket_path(info.pid, uid)
    return [path, "/proc/%d/root%s" % (info.pid, path)]


class AgentConnection:
    """One connection to an agent; each request gets one answer line."""

    def __init__(self, path: str, timeout: float = CONNECT_TIMEOUT) -> None:
        self.path = path
        self._lock = threading.Lock()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except OSError as exc:
            sock.close()
            denied = exc.errno in (errno.EACCES, errno.EPERM)
            raise AgentUnreachable("%s: %s" % (path, exc.strerror or exc), denied=denied) from exc
        self._sock = sock
        self._reader = sock.makefile("rb")

    def request(self, message: dict[str, Any], timeout: float = ANSWER_TIMEOUT) -> dict[str, Any]:
        """The agent's answer; OSError/ValueError when the connection broke or the answer is not JSON."""
        with self._lock:
            self._sock.settimeout(timeout)
            self._sock.sendall((json.dumps(message, allow_nan=False) + "\n").encode("utf-8"))
            line = self._reader.readline(agent.MAX_LINE + 1)
        if not line:
            raise ConnectionError("the agent closed the connection")
        answer = json.loads(line.decode("utf-8"))
        if not isinstance(answer, dict):
            raise ValueError("answer is not an object: %r" % (answer,))
        return answer

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._reader.close()
        with contextlib.suppress(OSError):
            self._sock.close()


def find_agent(info: ProcessInfo) -> Optional[tuple[AgentConnection, dict[str, Any]]]:
    """(connection, hello) when an agent of this very process answers, None when none listens (no
    socket, or a stale one). AgentUnreachable(denied=True) when one is there but refuses us."""
    for path in socket_candidates(info):
        if not os.path.exists(path):
            continue
        try:
            conn = AgentConnection(path)
        except AgentUnreachable as exc:
            if exc.denied:
                raise
            continue  # ECONNREFUSED: the process that listened there is gone
        try:
            hello = conn.request({"cmd": "hello"})
        except (OSError, ValueError):
            conn.close()
            continue
        if (hello.get("ok") and hello.get("pid") == info.pid) or _same_namespace_pid(hello, path):
            return conn, hello
        conn.close()
    return None


def _same_namespace_pid(hello: dict[str, Any], path: str) -> bool:
    """An agent reached through /proc/<pid>/root answers with its pid in its own namespace."""
    return bool(hello.get("ok")) and path.startswith("/proc/") and os.path.basename(path) == "%s.sock" % hello.get("pid")


def denied_error(info: ProcessInfo, exc: AgentUnreachable) -> HarnessError:
    return HarnessError(
        "ATTACH_PTRACE_DENIED",
        "%s has an agent listening, but its socket refuses the harness (%s): run the harness as uid %s (the service's) or root"
        % (info.describe(), exc, info.uid if info.uid is not None else "?"),
    )


class LeaseKeeper:
    """Renews every session's lease until stopped; a renewal that fails is reported once per session."""

    def __init__(self, renew_seconds: float = RENEW_SECONDS, lease_seconds: float = LEASE_SECONDS) -> None:
        self.renew_seconds = renew_seconds
        self.lease_seconds = lease_seconds
        self._sessions: dict[int, AgentConnection] = {}
        self.lost: dict[int, str] = {}  # pid -> why its lease could not be renewed
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="memray-harness-lease", daemon=True)
        self._started = False

    def add(self, pid: int, conn: AgentConnection) -> None:
        with self._lock:
            self._sessions[pid] = conn
            if not self._started and not self._stop.is_set():
                self._started = True
                self._thread.start()

    def remove(self, pid: int) -> None:
        with self._lock:
            self._sessions.pop(pid, None)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.renew_seconds):
            with self._lock:
                sessions = list(self._sessions.items())
            for pid, conn in sessions:
                try:
                    answer = conn.request({"cmd": "renew", "lease_seconds": self.lease_seconds}, timeout=self.renew_seconds * 2)
                    why = None if answer.get("ok") else str(answer.get("error"))
                except (OSError, ValueError) as exc:
                    why = "%s: %s" % (type(exc).__name__, exc)
                if why is not None:
                    self.lost.setdefault(pid, why)
                    self.remove(pid)
