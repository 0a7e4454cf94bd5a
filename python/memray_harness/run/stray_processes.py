"""Processes the workload started and left running: reported and terminated when it ends.

A script that starts a background process (and returns) would otherwise keep the run open: the
process holds the harness's stdout, so nothing downstream sees the end. Linux only (/proc).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Collection

GRACE_SECONDS = 1.0


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, command line) of every process we can see."""
    table: dict[int, tuple[int, str]] = {}
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return table
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                stat = f.read().decode("utf-8", "replace")
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, ValueError, IndexError):
            continue
        table[pid] = (ppid, cmdline)
    return table


def descendants(root: int, keep: Collection[int] = ()) -> list[tuple[int, str]]:
    """Every process below root, except those in keep and theirs."""
    table = _processes()
    found: list[tuple[int, str]] = []
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, cmdline) in table.items():
            if ppid == parent and pid != root and pid not in keep:
                found.append((pid, cmdline))
                frontier.append(pid)
    return found


def terminate_strays(keep: Collection[int] = ()) -> list[str]:
    """Terminate what the workload left behind (SIGTERM, then SIGKILL); one warning if anything was.
    keep: the harness's own children (the report engine waiting for its plan)."""
    strays = descendants(os.getpid(), keep)
    if not strays:
        return []
    for pid, _ in strays:
        _kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and any(_alive(pid) for pid, _ in strays):
        time.sleep(0.05)
    for pid, _ in strays:
        if _alive(pid):
            _kill(pid, signal.SIGKILL)
    shown = "; ".join("%d %s" % (pid, (cmd or "?")[:80]) for pid, cmd in strays[:5])
    return ["the workload left %d process(es) running when it ended; terminated: %s" % (len(strays), shown)]


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        return stat[stat.rindex(")") + 2] != "Z"  # a zombie is gone for our purpose
    except (OSError, ValueError, IndexError):
        return False
