"""The service's Python processes, from /proc: which ones exist, their roles, which ones to track.

Scope: in a container or pod (any target kind but "local"), the process tree of pid 1 (the harness
runs there through `docker exec` / `kubectl exec`, whose processes hang outside that tree); on this
host, every process. The harness itself, its ancestors (the shell that exec'd it) and its children
(report engine, injector) are never candidates.

Roles: a Python process whose Python children run the same program (same interpreter and script or
module, or gunicorn's and uwsgi's retitled `gunicorn: worker [...]`), or were started by
multiprocessing, is a `master` and those children are `worker`s; any other is `main`. By default
the workers are tracked (they serve the requests), else the main processes; a master is listed but
not tracked. `pids` (--pid) picks exactly those, each one of the listed processes.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Optional

from ..errors import HarnessError

PYTHON_EXE = re.compile(r"^(python|pypy)\d*(\.\d+)?[a-z]*(-dbg)?$")
LIBPYTHON = re.compile(r"/libpython\d")
MULTIPROCESSING_CHILD = ("--multiprocessing-fork", "multiprocessing.spawn", "multiprocessing.forkserver", "multiprocessing.resource_tracker")
# Interpreter options that take the next argument.
OPTIONS_WITH_VALUE = ("-W", "-X", "-Q")
LISTED_AT_MOST = 40
LOCAL_KIND = "local"


@dataclass
class ProcessInfo:
    pid: int
    ppid: int
    uid: Optional[int]  # effective uid and gid
    gid: Optional[int]
    cmdline: list[str]
    exe: Optional[str]  # /proc/<pid>/exe, None when unreadable
    start_time: int  # clock ticks after boot (/proc/<pid>/stat field 22): a pid reused is another process
    python: bool = False
    role: str = "main"
    children: list[int] = field(default_factory=list)

    def describe(self) -> str:
        return "pid %d (%s, uid %s) %s" % (self.pid, self.role, self.uid if self.uid is not None else "?", " ".join(self.cmdline)[:200] or "[%s]" % self.exe)


# -- /proc ---------------------------------------------------------------------------------------------
def _read(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def read_process(pid: int, proc: str = "/proc") -> Optional[ProcessInfo]:
    """The process, or None when it is gone (or not readable at all)."""
    fields = _stat_fields(pid, proc)
    if fields is None:
        return None
    try:
        ppid, start_time = int(fields[1]), int(fields[19])
    except (ValueError, IndexError):
        return None
    cmdline_raw = _read("%s/%d/cmdline" % (proc, pid)) or b""
    cmdline = [a.decode("utf-8", "replace") for a in cmdline_raw.rstrip(b"\0").split(b"\0")] if cmdline_raw else []
    if len(cmdline) == 1 and " " in cmdline[0]:
        cmdline = cmdline[0].split()  # retitled (setproctitle): one string with spaces
    try:
        exe: Optional[str] = os.readlink("%s/%d/exe" % (proc, pid))
    except OSError:
        exe = None
    uid, gid = _ids(proc, pid)
    return ProcessInfo(pid, ppid, uid, gid, cmdline, exe, start_time)


def _ids(proc: str, pid: int) -> tuple[Optional[int], Optional[int]]:
    """(effective uid, effective gid) from /proc/<pid>/status."""
    ids: dict[str, Optional[int]] = {"Uid:": None, "Gid:": None}
    raw = _read("%s/%d/status" % (proc, pid))
    for line in (raw or b"").decode("ascii", "replace").splitlines():
        key = line[:4]
        if key in ids:
            with contextlib.suppress(IndexError, ValueError):
                ids[key] = int(line.split()[2])
    return ids["Uid:"], ids["Gid:"]


def process_table(proc: str = "/proc") -> dict[int, ProcessInfo]:
    try:
        pids = [int(name) for name in os.listdir(proc) if name.isdigit()]
    except OSError:
        return {}
    table = {}
    for pid in pids:
        info = read_process(pid, proc)
        if info is not None:
            table[pid] = info
    for info in table.values():
        parent = table.get(info.ppid)
        if parent is not None:
            parent.children.append(info.pid)
    return table


def is_python(info: ProcessInfo, proc: str = "/proc") -> bool:
    """A Python interpreter (by its executable, its command, or libpython in its maps: uwsgi)."""
    names = [os.path.basename(info.exe or "").replace(" (deleted)", "")]
    if info.cmdline:
        names.append(os.path.basename(info.cmdline[0]))
    if any(PYTHON_EXE.match(n) for n in names if n):
        return True
    if info.exe is None:
        return False
    maps = _read("%s/%d/maps" % (proc, info.pid))
    return bool(maps and LIBPYTHON.search(maps.decode("utf-8", "replace")))


def alive(info: ProcessInfo, proc: str = "/proc") -> bool:
    """Still the process `info` was (same start time: not a reused pid) and not a zombie: one read of its stat."""
    fields = _stat_fields(info.pid, proc)
    try:
        return fields is not None and int(fields[19]) == info.start_time and fields[0] not in ("Z", "X")
    except (ValueError, IndexError):
        return False


def _stat_fields(pid: int, proc: str) -> Optional[list[str]]:
    """/proc/<pid>/stat's fields after the command name (state first), or None when it is gone."""
    raw = _read("%s/%d/stat" % (proc, pid))
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return text[text.rindex(")") + 2 :].split()
    except ValueError:
        return None


# -- roles ---------------------------------------------------------------------------------------------
def program(info: ProcessInfo) -> tuple[str, str]:
    """(interpreter, what it runs): the script or -m module of `python ...`, else the command's name
    (`gunicorn` of a retitled `gunicorn: worker [app]`, `uwsgi`)."""
    exe = (info.exe or "").replace(" (deleted)", "")
    args = info.cmdline
    if not args:
        return exe, ""
    first = os.path.basename(args[0]).split(":")[0]
    if not PYTHON_EXE.match(first):
        return exe, first
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in ("-m", "-c"):
            return exe, "%s %s" % (arg, args[i + 1] if i + 1 < len(args) and arg == "-m" else "")
        if arg in OPTIONS_WITH_VALUE:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return exe, os.path.basename(arg)
    return exe, ""


def same_program(a: ProcessInfo, b: ProcessInfo) -> bool:
    """The same interpreter and script; an executable we may not read (another uid's process, without
    CAP_SYS_PTRACE) is left out of the comparison rather than making two workers look unrelated."""
    (exe_a, what_a), (exe_b, what_b) = program(a), program(b)
    return what_a == what_b and (not exe_a or not exe_b or exe_a == exe_b)


def _multiprocessing_child(info: ProcessInfo) -> bool:
    return any(marker in arg for arg in info.cmdline for marker in MULTIPROCESSING_CHILD)


def assign_roles(table: dict[int, ProcessInfo], candidates: Iterable[int]) -> None:
    """Role of each candidate (pids of Python processes), from its parent and children among them."""
    chosen = set(candidates)
    for pid in chosen:
        table[pid].role = "main"
    for pid in sorted(chosen):
        info = table[pid]
        workers = [c for c in info.children if c in chosen and (same_program(table[c], info) or _multiprocessing_child(table[c])) and table[c].role != "master"]
        if workers:
            info.role = "master"
            for c in workers:
                table[c].role = "worker"


# -- scope -------------------------------------------------------------------------------------------
def family(table: dict[int, ProcessInfo], me: int) -> set[int]:
    """The harness itself, its ancestors and its descendants."""
    out = {me}
    pid = me
    while pid in table and table[pid].ppid not in out and table[pid].ppid > 0:
        pid = table[pid].ppid
        out.add(pid)
    frontier = [me]
    while frontier:
        parent = frontier.pop()
        for child in table[parent].children if parent in table else []:
            if child not in out:
                out.add(child)
                frontier.append(child)
    return out


def tree(table: dict[int, ProcessInfo], root: int) -> set[int]:
    out: set[int] = set()
    frontier = [root] if root in table else []
    while frontier:
        pid = frontier.pop()
        if pid in out:
            continue
        out.add(pid)
        frontier.extend(table[pid].children)
    return out


def discover(kind: str, table: Optional[dict[int, ProcessInfo]] = None, me: Optional[int] = None, proc: str = "/proc") -> list[ProcessInfo]:
    """The service's Python processes (roles set), by pid."""
    table = process_table(proc) if table is None else table
    me = os.getpid() if me is None else me
    scope = set(table) if kind == LOCAL_KIND else tree(table, 1)
    scope -= family(table, me)
    for pid in scope:
        table[pid].python = is_python(table[pid], proc)
    candidates = sorted(pid for pid in scope if table[pid].python)
    assign_roles(table, candidates)
    return [table[pid] for pid in candidates]


def listing(processes: Sequence[ProcessInfo]) -> str:
    if not processes:
        return "  (none)"
    lines = ["  " + p.describe() for p in processes[:LISTED_AT_MOST]]
    if len(processes) > LISTED_AT_MOST:
        lines.append("  ... and %d more" % (len(processes) - LISTED_AT_MOST))
    return "\n".join(lines)


def choose(
    processes: Sequence[ProcessInfo], pids: Sequence[int], kind: str, table: Optional[dict[int, ProcessInfo]] = None, me: Optional[int] = None
) -> list[ProcessInfo]:
    """The processes to track; ATTACH_NO_PROCESS saying why none (with the listing) otherwise."""
    where = "on this host" if kind == LOCAL_KIND else "in the target (the process tree of pid 1)"
    by_pid = {p.pid: p for p in processes}
    if pids:
        problems = [_why_not(pid, table, me) for pid in pids if pid not in by_pid]
        if problems:
            raise HarnessError(
                "ATTACH_NO_PROCESS",
                "%s; the Python processes %s are:\n%s" % ("; ".join(problems), where, listing(processes)),
            )
        return [by_pid[pid] for pid in dict.fromkeys(pids)]
    if kind == LOCAL_KIND:
        raise HarnessError(
            "ATTACH_NO_PROCESS",
            "on this host (target local) the service's processes must be named with --pid; the Python processes here are:\n%s" % listing(processes),
        )
    workers = [p for p in processes if p.role == "worker"]
    chosen = workers or [p for p in processes if p.role == "main"]
    if not chosen:
        raise HarnessError("ATTACH_NO_PROCESS", "no Python process serves %s; the processes are:\n%s" % (where, listing(processes)))
    return chosen


def _why_not(pid: int, table: Optional[dict[int, ProcessInfo]], me: Optional[int]) -> str:
    table = process_table() if table is None else table
    me = os.getpid() if me is None else me
    info = table.get(pid)
    if info is None:
        return "pid %d does not exist (or is not visible here)" % pid
    if pid in family(table, me):
        return "pid %d is the harness itself or one of its own processes" % pid
    if not is_python(info):
        return "pid %d is not a Python process (%s)" % (pid, " ".join(info.cmdline)[:120] or info.exe or "?")
    return "pid %d is outside the service's process tree" % pid
