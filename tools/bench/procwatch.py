#!/usr/bin/env python3
"""Run a command; report its wall time, CPU and the peak RSS of every process of its tree.

    python3 procwatch.py RESULT.json [--interval S] -- argv...

stdin/stdout/stderr are the command's own. RESULT.json gets:
{"wall", "user", "sys", "exit", "max_rss_kb", "processes": [{"pid", "ppid", "cmd", "hwm_kb", "seconds"}]}

* wall: from just before the start to the end of the command (this wrapper's start-up excluded);
* user/sys: CPU of the whole tree that was waited for (RUSAGE_CHILDREN: grandchildren included);
* max_rss_kb: the command's own ru_maxrss from wait4, exact (Linux: the largest of the process and
  the descendants it waited for);
* processes: every process seen in the tree, sampled every --interval seconds (default 0.02) from
  /proc/<pid>/status VmHWM (the kernel's peak resident set of that process, which only grows): a
  process that grows in its last interval is reported a little low; one that lives shorter than an
  interval may be missed. Linux only (elsewhere: an empty list).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional


def _read(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return None


def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tasks:
        text = _read("/proc/%d/task/%s/children" % (pid, tid))
        if text:
            out.extend(int(x) for x in text.split())
    return out


def _status(pid: int) -> Dict[str, int]:
    text = _read("/proc/%d/status" % pid) or ""
    out: Dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS", "PPid"):
            try:
                out[key] = int(value.split()[0])
            except (ValueError, IndexError):
                pass
    return out


class Watcher(threading.Thread):
    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.seen: Dict[int, Dict] = {}
        self.stop = threading.Event()
        self.t0 = time.perf_counter()

    def sample(self) -> None:
        now = time.perf_counter() - self.t0
        todo, done = [self.root], set()
        while todo:
            pid = todo.pop()
            if pid in done:
                continue
            done.add(pid)
            st = _status(pid)
            if "VmHWM" in st:
                entry = self.seen.get(pid)
                if entry is None:
                    raw = _read("/proc/%d/cmdline" % pid) or ""
                    cmd = [a for a in raw.split("\0") if a][:12]
                    entry = self.seen[pid] = {"pid": pid, "ppid": st.get("PPid"), "cmd": [c[:200] for c in cmd],
                                              "hwm_kb": 0, "first": now, "last": now}
                else:
                    # Seen between fork and exec, a child still shows its parent's cmdline (the harness's
                    # for the report engine it starts): keep the latest one, the program it runs.
                    raw = _read("/proc/%d/cmdline" % pid) or ""
                    cmd = [a[:200] for a in raw.split("\0") if a][:12]
                    if cmd and cmd != entry["cmd"]:  # exec: a new address space, VmHWM starts again
                        entry["cmd"], entry["hwm_kb"] = cmd, 0
                entry["hwm_kb"] = max(entry["hwm_kb"], st["VmHWM"])
                entry["last"] = now
            todo.extend(_children(pid))

    def run(self) -> None:
        if not os.path.isdir("/proc/%d" % self.root):
            return
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)


def main(argv: List[str]) -> int:
    out = argv[0]
    rest = argv[1:]
    interval = 0.02
    if rest and rest[0] == "--interval":
        interval = float(rest[1])
        rest = rest[2:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(rest)
    except OSError as exc:
        sys.stderr.write("procwatch: %s\n" % exc)
        result = {"wall": 0.0, "user": 0.0, "sys": 0.0, "exit": 127, "max_rss_kb": None, "processes": []}
    else:
        watcher = Watcher(proc.pid, interval)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        watcher.stop.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        processes = []
        for entry in watcher.seen.values():
            entry = dict(entry)
            entry["seconds"] = round(entry.pop("last") - entry.pop("first"), 3)
            processes.append(entry)
        result = {"wall": wall, "user": after.ru_utime - before.ru_utime, "sys": after.ru_stime - before.ru_stime,
                  "exit": proc.returncode, "max_rss_kb": int(usage.ru_maxrss), "processes": processes}
    with open(out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
