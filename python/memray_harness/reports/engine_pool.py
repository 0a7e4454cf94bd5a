"""ReportPool: the report engine's jobs run in processes forked from the one process that opened the capture.

The FileReader's constructor reads the whole capture once; every job forked after it shares what it
read (the high-water mark index, the memory snapshots). At most `plan.workers` jobs run at once,
longest first; this process makes the high-water-mark job itself, beside the forks, after resolving
its stacks so that every later fork inherits memray's symbol tables. Without os.fork (or fork=False)
the jobs run one after the other in this process. Every finished job is emitted as one JSON-able
line, and run() returns the merged result.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import sys
import time
import traceback
from typing import Any, Callable, Optional

from . import derived_tracemalloc, memory_budget
from .engine_jobs import Records, describe, read_records, run_fallback, run_job, run_stats
from .engine_plan import Job, Plan
from .generators import event_names

Work = Callable[[], dict[str, Any]]
Emit = Callable[[dict[str, Any]], None]


def emit_line(line: dict[str, Any]) -> None:
    """One result line on stdout (the harness reads them as they come)."""
    sys.stdout.write(json.dumps(line, allow_nan=False) + "\n")
    sys.stdout.flush()


class Child:
    """A job running in a forked process: its pid, the pipe its one JSON result comes through."""

    def __init__(self, pid: int, fd: int, label: str, names: list[str], started: float) -> None:
        self.pid, self.fd, self.label, self.names, self.started = pid, fd, label, names, started
        self.buf = b""


def fork_job(label: str, names: list[str], work: Work) -> Optional[Child]:
    """work() in a forked process; None when the fork failed."""
    r, w = os.pipe()
    started = time.perf_counter()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # the child: do the work, write one JSON object, leave without cleanup handlers
        code = 0
        try:
            os.close(r)
            try:
                result = work()
            except BaseException as exc:  # noqa: BLE001
                result = {"kind": "report", "reports": [], "error": describe(exc), "traceback": traceback.format_exc()[-2000:]}
                code = 1
            data = json.dumps(result, allow_nan=False).encode("utf-8")
            while data:
                n = os.write(w, data)
                data = data[n:]
        finally:
            os._exit(code)
    os.close(w)
    return Child(pid, r, label, names, started)


def job_result(child: Child, rusage: Any, status: int) -> dict[str, Any]:
    """The job's result line: what it wrote, a failure for every report it never reached, its figures."""
    try:
        result = json.loads(child.buf.decode("utf-8")) if child.buf else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        how = ("signal %d" % os.WTERMSIG(status)) if os.WIFSIGNALED(status) else ("exit %d" % os.WEXITSTATUS(status))
        result = {"kind": "report", "reports": [], "error": "report process for %s ended (%s) without a result" % ("/".join(child.names) or child.label, how)}
    done = {r.get("name") for r in result.get("reports", [])}
    for name in child.names:  # a report the child never reached is a failure
        if name not in done:
            result.setdefault("reports", []).append(
                {"name": name, "ok": False, "seconds": round(time.perf_counter() - child.started, 3), "error": result.get("error") or "not made"}
            )
    result["max_rss_kb"] = maxrss_kb(rusage)
    result["wall_seconds"] = round(time.perf_counter() - child.started, 3)
    result["ended_at"] = time.time()  # wall clock: which jobs overlapped
    result["label"] = child.label
    return result


def stop_if_orphaned(parent: int) -> None:
    """The harness that started this engine is gone (killed): stop the readers too, not leave them
    running for nobody. Only as the leader of our own process group (engine_process.py starts us so)."""
    if os.getppid() == parent:
        return
    try:
        if os.getpgid(0) == os.getpid():
            os.killpg(os.getpid(), 9)
    except OSError:
        pass
    os._exit(1)


def maxrss_kb(rusage: Any) -> Optional[int]:
    if rusage is None:
        return None
    value = int(rusage.ru_maxrss)
    return value // 1024 if sys.platform == "darwin" else value  # macOS reports bytes


def self_rusage() -> Any:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF)
    except Exception:  # noqa: BLE001
        return None


class ReportPool:
    """Runs a plan: one FileReader, one job per read, as many at once as plan.workers allows."""

    def __init__(
        self,
        plan: Plan,
        leaked_table: bool,
        emit: Emit = emit_line,
        fork: bool = True,
        memray: Any = None,
        available_memory: Callable[[], Optional[int]] = memory_budget.available_memory,
    ) -> None:
        self.plan = plan
        self.leaked_table = leaked_table
        self.emit = emit
        self.forking = fork and hasattr(os, "fork")
        self.memray = memray
        self.available_memory = available_memory
        self.parent = os.getppid()
        self.pending: list[tuple[str, list[str], Work]] = []
        self.running: dict[int, Child] = {}  # by the fd of its pipe
        self.finished: list[dict[str, Any]] = []
        self.reader: Any = None
        self.reader_seconds = 0.0

    def run(self) -> dict[str, Any]:
        """Every job of the plan; emits one line per finished job and returns the merged result."""
        memray = self.memray
        if memray is None:
            import memray

        started = time.perf_counter()
        plan = self.plan
        if plan.totals or plan.stats is not None:
            self._launch("stats", event_names(plan.stats) if plan.stats else [], lambda: run_stats(plan))
        own: Optional[Job] = None
        pre: Optional[Records] = None
        pre_seconds = 0.0
        if plan.jobs:
            self._open_reader(memray)
            own = self._own_job()
            others = [j for j in plan.jobs if j is not own]
            if own is not None and self.reader.metadata.has_native_traces and any(j.flamegraphs or j.table_tree for j in others):
                pre, pre_seconds = self._warm_up(own, others)
            else:
                self._queue(others)
        for spec, flags in plan.fallback:
            self.pending.append(("memray-cli", [spec.name], (lambda s=spec, f=flags: run_fallback(s, f, plan))))
        if own is not None:
            self._fill(plan.workers - 1)  # this process is busy too (one worker: nothing beside it)
            self._run_own(own, pre, pre_seconds)
        while self.pending or self.running:
            self._fill(plan.workers)
            if self.running:
                self._drain(block=True)
        if self.reader is not None:
            self.reader.close()
        merged = merge(self.finished, self.reader_seconds, time.perf_counter() - started)
        merged["workers"] = plan.workers
        return merged

    # -- the reader and the jobs -------------------------------------------------------------------
    def _open_reader(self, memray: Any) -> None:
        """The one constructor read, shared by every fork; as many readers at once as memory holds."""
        t = time.perf_counter()
        self.reader = memray.FileReader(self.plan.session)
        self.reader_seconds = time.perf_counter() - t
        allocations = int(getattr(self.reader.metadata, "total_allocations", 0) or 0)
        self.plan.workers = memory_budget.workers_within(self.plan.workers, allocations, self.available_memory())

    def _own_job(self) -> Optional[Job]:
        """This process makes the high-water-mark job itself (one fork fewer), beside the forks."""
        return next((j for j in self.plan.jobs if j.read == "high_watermark"), None) if self.forking else None

    def _warm_up(self, own: Job, others: list[Job]) -> tuple[Records, float]:
        """Resolve the high-water-mark stacks before forking: memray keeps each binary's symbol tables
        (libbacktrace states) in a process-wide cache, so every fork after this inherits them instead of
        loading the DWARF of every extension again (seconds each for polars or pyarrow in a container).
        The records (and their resolved stacks) are this job's anyway."""
        t = time.perf_counter()
        pre = read_records(self.reader, own.key)
        self._queue(others)
        for i, rec in enumerate(pre[0]):
            if i % 32 == 0:  # a slot freed (stats done)? fork the next job, with what is warm so far
                self._drain(block=False)
                self._fill(self.plan.workers - 1)
            with contextlib.suppress(Exception):  # the reporter meets (and reports) the same error
                rec.hybrid_stack_trace()
        return pre, time.perf_counter() - t

    def _queue(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.pending.append((job.read, job.names, (lambda j=job: run_job(self.reader, j, self.plan, self.leaked_table))))

    def _run_own(self, own: Job, pre: Optional[Records], pre_seconds: float) -> None:
        started = time.perf_counter() - pre_seconds
        result = self._run_here(own.read, own.names, lambda: run_job(self.reader, own, self.plan, self.leaked_table, pre, pre_seconds), started, self_rusage())
        result["in_engine_process"] = True
        self._done(result)

    # -- processes -------------------------------------------------------------------------------
    def _launch(self, label: str, names: list[str], work: Work) -> None:
        child = fork_job(label, names, work) if self.forking else None
        if child is None:  # no fork: do it here, one after the other
            self._done(self._run_here(label, names, work, time.perf_counter(), None))
        else:
            self.running[child.fd] = child

    def _run_here(self, label: str, names: list[str], work: Work, started: float, rusage: Any) -> dict[str, Any]:
        """work() in this process, its result made as a forked child's would be."""
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001 - as a forked child would report it
            result = {"kind": "report", "reports": [], "error": describe(exc)}
        stand_in = Child(-1, -1, label, names, started)
        stand_in.buf = json.dumps(result, allow_nan=False).encode("utf-8")
        return job_result(stand_in, rusage, 0)

    def _done(self, result: dict[str, Any]) -> None:
        self.finished.append(result)
        self.emit(result)

    def _fill(self, slots: int) -> None:
        while self.pending and len(self.running) < slots:
            self._launch(*self.pending.pop(0))

    def _drain(self, block: bool) -> None:
        """Read the running children's pipes; collect those that ended. block: until one has ended."""
        while self.running:
            ready, _, _ = select.select(list(self.running), [], [], 1.0 if block else 0)
            if not ready:
                if not block:
                    return
                stop_if_orphaned(self.parent)
                continue
            for fd in ready:
                child = self.running[fd]
                chunk = os.read(fd, 65536)
                if chunk:
                    child.buf += chunk
                    continue
                os.close(fd)
                del self.running[fd]
                _, status, rusage = os.wait4(child.pid, 0)
                self._done(job_result(child, rusage, status))
                block = False  # one finished: the caller may start the next job
            if not block:
                return


def merge(finished: list[dict[str, Any]], reader_seconds: float, seconds: float) -> dict[str, Any]:
    """The engine's result line from its jobs' results."""
    parts: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] = {
        "kind": "result",
        "memray_stats": None,
        "top_allocators": None,
        "table_harness_bytes": None,
        "reader_seconds": round(reader_seconds, 3),
        "seconds": round(seconds, 3),
        "errors": [],
    }
    for r in finished:
        if r.get("derived"):
            parts[r["read"]] = r["derived"]
        if r.get("memray_stats"):
            result["memray_stats"] = r["memray_stats"]
        if r.get("top_allocators") is not None:
            result["top_allocators"] = r["top_allocators"]
            result["table_harness_bytes"] = r.get("table_harness_bytes")
        if r.get("error"):
            result["errors"].append(r["error"])
    result["tracemalloc"] = derived_tracemalloc.combine(parts)
    result["max_rss_kb"] = maxrss_kb(self_rusage())
    return result
