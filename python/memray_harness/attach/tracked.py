"""One tracked process: its way in, its tracking session, its capture, its reports, its summary entry.

The way in is found before anything is changed (`ways_in`): an agent that answers on the process's
socket, else the checks of an injection (checks.py) and the injection method. Tracking then starts
(`start`): the agent is injected where none runs, and `start` makes the process write its capture,
`processes/<pid>-<role>/session.bin` under the run directory. The tracked process writes it: when it
runs as another user, the directory is handed to that user (the harness runs as root then), or, when
that user cannot reach the run directory, the capture is written in the agent's own directory
(/tmp/memray-cli-agent-<uid>/, the process's user's) and moved into place once tracking stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from ..contract import contract
from ..errors import HarnessError
from ..measurement.rss import proc_rss_kb
from . import checks, client, inject
from .discovery import ProcessInfo, alive

MIB = 1024.0 * 1024.0
AGENT_APPEARS_SECONDS = 10.0


@dataclass
class Tracked:
    info: ProcessInfo
    # "agent" (one answered on its socket) or the injection method (gdb, lldb, sys.remote_exec)
    method: Optional[str] = None
    conn: Optional[client.AgentConnection] = None
    hello: dict[str, Any] = field(default_factory=dict)
    # pending -> tracking -> tracked | died; failed: tracking could not start
    status: str = "pending"
    error: Optional[str] = None
    error_code: Optional[str] = None
    memray_version: Optional[str] = None
    started_at: Optional[float] = None
    stopped_at: Optional[float] = None
    capture_bytes: Optional[int] = None
    rss_before: Optional[int] = None
    rss_after: Optional[int] = None
    # Where the process writes its capture, as the harness sees it, when not session.bin itself.
    staged_capture: Optional[str] = None
    top_allocators: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    missing_reports: list[dict[str, str]] = field(default_factory=list)
    peak_memory_mb: Optional[float] = None
    leaked_mb: Optional[float] = None
    warnings: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.info.pid

    @property
    def role(self) -> str:
        return self.info.role

    @property
    def dir_name(self) -> str:
        return "%s/%d-%s" % (contract().files.attach_processes, self.pid, self.role)

    def directory(self, out_dir: str) -> str:
        return os.path.join(out_dir, self.dir_name)

    def session(self, out_dir: str) -> str:
        return os.path.join(self.directory(out_dir), contract().artifact("session_bin").file)

    @property
    def has_capture(self) -> bool:
        return self.status in ("tracking", "tracked", "died")

    def fail(self, exc: HarnessError) -> None:
        self.status, self.error, self.error_code = "failed", exc.message, exc.code

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> Tracked:
        """A process as its run's summary recorded it, with what recovery reads: where its capture is
        (pid, role), whether it has one (status) and its top allocators (the merge)."""
        role = str(entry.get("role") or "main")
        info = ProcessInfo(pid=int(entry["pid"]), ppid=0, uid=None, gid=None, cmdline=[], exe=None, start_time=0, python=True, role=role)
        return cls(info=info, status=str(entry.get("status") or "failed"), top_allocators=list(entry.get("top_allocators") or []))

    def entry(self, out_dir: str) -> dict[str, Any]:
        """summary.attach.processes[i] (core's attachProcessSchema, plus a few figures)."""
        capture = self.session(out_dir)
        return {
            "pid": self.pid,
            "role": self.role,
            "cmdline": list(self.info.cmdline),
            "method": self.method,
            "status": self.status,
            "error": self.error,
            "dir": self.dir_name,
            "capture": "%s/%s" % (self.dir_name, os.path.basename(capture)) if os.path.isfile(capture) else None,
            "peak_memory_mb": self.peak_memory_mb,
            "leaked_mb": self.leaked_mb,
            "top_allocators": self.top_allocators,
            "reports": self.reports,
            "missing_reports": self.missing_reports,
            "uid": self.info.uid,
            "python": self.hello.get("python"),
            "memray_version": self.hello.get("memray") or self.memray_version,
            "capture_bytes": self.capture_bytes,
            "rss_before": self.rss_before,
            "rss_after": self.rss_after,
            "tracking_started_at": self.started_at,
            "tracking_stopped_at": self.stopped_at,
        }


# -- before anything is changed ----------------------------------------------------------------------
def ways_in(chosen: list[ProcessInfo], forced_method: Optional[str]) -> list[Tracked]:
    """How tracking gets into each process; raises the ATTACH_* / MEMRAY_NOT_INSTALLED error that
    stops the run while nothing has been changed in any process (connections are closed then)."""
    tracked = [Tracked(info) for info in chosen]
    try:
        for t in tracked:
            try:
                found = client.find_agent(t.info)
            except client.AgentUnreachable as exc:
                raise client.denied_error(t.info, exc) from exc
            if found is not None:
                t.conn, t.hello = found
                t.method = "agent"
                if not t.hello.get("memray"):
                    raise HarnessError(
                        "MEMRAY_NOT_INSTALLED",
                        "the agent in %s cannot import memray (%s); install it into the service's environment"
                        % (t.info.describe(), t.hello.get("memray_error")),
                    )
        need = [t for t in tracked if t.method is None]
        for t in need:
            checks.refuse_injection(t.info)
        if need:
            method = checks.resolve_method(forced_method, [t.pid for t in need])
            probed: dict[tuple[Any, ...], str] = {}
            for t in need:
                key = checks.probe_key(t.info)
                if key not in probed:
                    probed[key] = checks.refuse_without_memray(t.info)
                t.memray_version, t.method = probed[key], method
    except BaseException:
        for t in tracked:
            t.close()
        raise
    return tracked


# -- tracking ----------------------------------------------------------------------------------------
def _reach_agent(t: Tracked) -> None:
    deadline = time.monotonic() + AGENT_APPEARS_SECONDS
    while True:
        found = client.find_agent(t.info)
        if found is not None:
            t.conn, t.hello = found
            return
        if time.monotonic() > deadline:
            raise HarnessError(
                "ATTACH_DEBUGGER_FAILED", "%s entered %s, but no agent answers on %s" % (t.method, t.info.describe(), client.socket_candidates(t.info)[0])
            )
        time.sleep(0.1)


def _traversable(path: str, uid: int, gid: Optional[int]) -> bool:
    """Whether uid/gid can reach into `path` (search permission on it and every parent)."""
    path = os.path.abspath(path)
    while True:
        try:
            st = os.stat(path)
        except OSError:
            return False
        mode = st.st_mode
        ok = (st.st_uid == uid and mode & stat.S_IXUSR) or (gid is not None and st.st_gid == gid and mode & stat.S_IXGRP) or mode & stat.S_IXOTH
        if not ok:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def capture_file(t: Tracked, out_dir: str, run_id: str) -> str:
    """The path the process writes its capture to, as the process sees it (see the module's docstring)."""
    directory = t.directory(out_dir)
    os.makedirs(directory, exist_ok=True)
    uid, gid = t.info.uid, t.info.gid
    if uid is None or uid == os.geteuid():
        return t.session(out_dir)
    if os.geteuid() == 0:
        os.chown(directory, uid, gid if gid is not None else -1)
        if _traversable(directory, uid, gid):
            return t.session(out_dir)
    # The agent's own directory: that user's for sure. The harness reaches it where it found the socket.
    name = "%d-%s.bin" % (t.pid, run_id)
    seen_by_process = os.path.join(os.path.dirname(client.socket_candidates(t.info)[0]), name)
    conn_dir = os.path.dirname(t.conn.path) if t.conn is not None else os.path.dirname(seen_by_process)
    t.staged_capture = os.path.join(conn_dir, name)
    return seen_by_process


def start(t: Tracked, out_dir: str, run_id: str, native_traces: bool, trace_python_allocators: bool, aggregate: bool, lease_seconds: float) -> None:
    """Tracking in this process (status tracking), or status failed with the error and its code."""
    try:
        if t.method != "agent":
            inject.inject_agent(t.info, t.method or "gdb")
            _reach_agent(t)
        assert t.conn is not None
        request = {
            "cmd": "start",
            "file": capture_file(t, out_dir, run_id),
            "native_traces": native_traces,
            "trace_python_allocators": trace_python_allocators,
            "aggregate": aggregate,
            "lease_seconds": lease_seconds,
        }
        try:
            answer = t.conn.request(request)
        except (OSError, ValueError) as exc:
            raise HarnessError("ATTACH_NO_PROCESS", "the agent of %s did not answer `start` (%s: %s)" % (t.info.describe(), type(exc).__name__, exc)) from exc
        if not answer.get("ok"):
            raise HarnessError(answer.get("code") or "ATTACH_NO_PROCESS", "tracking could not start in %s: %s" % (t.info.describe(), answer.get("error")))
        t.status, t.started_at = "tracking", float(answer.get("started_at") or time.time())
    except HarnessError as exc:
        t.fail(exc)
        t.close()
    except Exception as exc:  # noqa: BLE001 - one process failing never stops the others
        t.fail(HarnessError("ATTACH_NO_PROCESS", "tracking could not start in %s: %s: %s" % (t.info.describe(), type(exc).__name__, exc)))
        t.close()


def mark_died(t: Tracked) -> None:
    if t.status == "tracking":
        t.status = "died"
        t.error = "pid %d ended during the window, %s; its capture holds what it did until then" % (t.pid, time.strftime("%H:%M:%S"))


def stop(t: Tracked, out_dir: str, reason_if_lost: Optional[str] = None) -> None:
    """Tracking stopped in this process (its capture complete), status tracked or died; closes the session."""
    if t.status not in ("tracking", "died") or t.conn is None:
        t.close()
        return
    try:
        if t.status == "tracking":
            try:
                answer = t.conn.request({"cmd": "stop"}, timeout=client.STOP_TIMEOUT)
            except (OSError, ValueError) as exc:
                answer = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
            t.stopped_at = time.time()
            if answer.get("ok"):
                t.status = "tracked"
            elif not alive(t.info):
                mark_died(t)
            else:  # the session ended before the window did (its lease, or its connection)
                t.status = "tracked"
                t.error = "tracking ended before the window did: %s" % (reason_if_lost or answer.get("error"))
    finally:
        t.close()
        _collect_capture(t, out_dir)


def _collect_capture(t: Tracked, out_dir: str) -> None:
    """The capture in place (moved from the agent's directory when it was written there), ours again."""
    session = t.session(out_dir)
    if t.staged_capture is not None and os.path.exists(t.staged_capture):
        try:
            shutil.move(t.staged_capture, session)
        except OSError as exc:
            t.warnings.append("pid %d: its capture could not be moved from %s: %s" % (t.pid, t.staged_capture, exc))
    if os.geteuid() == 0:
        for path in (t.directory(out_dir), session):
            with contextlib.suppress(OSError):
                os.chown(path, os.geteuid(), os.getegid())
    with contextlib.suppress(OSError):
        t.capture_bytes = os.path.getsize(session)


# -- RSS ------------------------------------------------------------------------------------------------
def total_rss_kb(tracked: list[Tracked]) -> Optional[int]:
    """The tracked processes' RSS summed (KB); None when none could be read."""
    values = [proc_rss_kb(t.pid) for t in tracked if t.status == "tracking"]
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def overall_method(tracked: list[Tracked]) -> Optional[str]:
    methods = {t.method for t in tracked if t.status != "failed" and t.method}
    if not methods:
        return None
    return methods.pop() if len(methods) == 1 else "mixed"


def mib(value: Optional[float]) -> Optional[float]:
    return round(value / MIB, 3) if value is not None else None
