"""`python -m memray_harness.report_engine PLAN_JSON`: every report of a run from one FileReader.

Where the time of memray's CLI goes (memray 1.20, 4.8 M allocation events): each `memray flamegraph`
starts an interpreter and imports memray's whole CLI (~0.6 s of CPU), opens a `FileReader` (its
constructor reads the whole capture once to find the high-water mark and the memory snapshots,
~1.1 s), then reads the capture again to aggregate the records its report needs (~1.1-1.8 s);
building and rendering the page is cheap (~0.1-0.4 s). `memray stats` is one more full read
(`compute_statistics`, ~2.2 s). Four flamegraphs and stats by hand: 5 interpreters, 4 constructor
reads, 5 aggregation reads.

This engine reads the capture as few times as memray's API allows and no read twice:

* one `FileReader` constructor read, in this process; the per-report aggregations run in processes
  forked from it, so they share its high-water mark index and memory snapshots for free;
* one aggregation read per distinct record set: the plain flamegraph and table/tree share the
  high-water-mark records (and each record's resolved stack, which memray caches per record), the
  leaks flamegraph and a leaked table share the leaked records;
* `compute_statistics` (totals for `summary.memray_stats`, and stats.txt/stats.json when asked,
  both rendered from the one result) needs no FileReader: it starts at once, beside the constructor;
* the reports themselves are memray's own reporters (`FlameGraphReporter`, `StatsReporter`) called
  with the arguments memray's CLI passes, so the files are the CLI's files. A report whose flags this
  engine does not know, or a memray whose reporter API differs, falls back to memray's CLI entry point
  in-process (reports/memray_cli.py);
* at most as many processes run at once as there are usable CPUs, longest first, and no more than the
  memory left holds (memory_budget.py: a reader's peak grows with the capture's allocation count).

The same reads give the summary's derived figures (see derived_tracemalloc.py): the Python-allocator bytes live
when tracking stopped (leaked records) and at the high-water mark (high-water-mark records, and each
snapshot's high-water mark when the temporal flamegraph's read is made anyway).

PLAN_JSON (the argument, or one line on stdin when the argument is "-"): {"session", "out_dir", "reports": [names], "table_source": "high_watermark"|"leaked",
"derive_tracemalloc": bool, "totals": bool, "workers": int or null, "cwd": the harness's start directory}. Output: JSON lines on stdout, one per finished
job: {"kind": "report", "name", "reports", "ok", "seconds", "error", "max_rss_kb", "read"}, then one
{"kind": "result", "memray_stats", "tracemalloc", "top_allocators", "table_harness_bytes",
"reader_seconds", "max_rss_kb", "workers"}.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import select
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from .contract import ReportSpec, contract
from .reports import derived_tracemalloc, memory_budget
from .reports.make_reports import FLAMEGRAPH, PLAN_ON_STDIN, STATS, TABLE_TREE

STATS_NUM_LARGEST = 5  # `memray stats` default
# Relative cost of each read, to start the longest first (measured on the bench workload).
READ_COST = {"stats": 2.2, "temporal_high_watermark": 2.2, "high_watermark": 2.0, "temporary": 1.6, "temporal_leaked": 1.4, "leaked": 1.1}


@dataclass(frozen=True)
class FlamegraphOptions:
    """What a `memray flamegraph` flag list asks for (the CLI's defaults otherwise)."""

    read: str  # the record set: see READ_COST
    threshold: int = -1  # temporary allocation threshold
    merge_threads: bool = True
    inverted: bool = False
    no_web: bool = False
    confidential_files: str = "default"

    @property
    def show_memory_leaks(self) -> bool:
        return self.read in ("leaked", "temporal_leaked")


def parse_flamegraph_flags(flags: list[str]) -> Optional[FlamegraphOptions]:
    """The flags of memray's flamegraph command this engine renders itself; None: let memray's CLI."""
    leaks = temporal = split = inverted = no_web = False
    threshold = -1
    confidential = "default"
    i = 0
    while i < len(flags):
        f = flags[i]
        if f == "--leaks":
            leaks = True
        elif f == "--temporal":
            temporal = True
        elif f == "--temporary-allocations":
            threshold = 1
        elif f.startswith("--temporary-allocation-threshold"):
            value = f.split("=", 1)[1] if "=" in f else (flags[i + 1] if i + 1 < len(flags) else "")
            i += 0 if "=" in f else 1
            try:
                threshold = int(value)
            except ValueError:
                return None
        elif f == "--split-threads":
            split = True
        elif f == "--inverted":
            inverted = True
        elif f == "--no-web":
            no_web = True
        elif f.startswith("--confidential-files"):
            value = f.split("=", 1)[1] if "=" in f else (flags[i + 1] if i + 1 < len(flags) else "")
            i += 0 if "=" in f else 1
            if value not in ("all", "none", "default"):
                return None
            confidential = value
        else:
            return None  # --max-memory-records and anything newer: memray's CLI knows
        i += 1
    if (leaks and threshold >= 0) or (temporal and threshold >= 0):
        return None  # memray's CLI reports these usage errors itself
    if temporal:
        read = "temporal_leaked" if leaks else "temporal_high_watermark"
    elif leaks:
        read = "leaked"
    elif threshold >= 0:
        read = "temporary"
    else:
        read = "high_watermark"
    return FlamegraphOptions(read, threshold, not split, inverted, no_web, confidential)


@dataclass
class Job:
    """One read of the capture and everything made from it (reports, derived figures)."""

    key: tuple[str, bool, int]  # (read, merge_threads, threshold)
    flamegraphs: list[tuple[ReportSpec, Optional[FlamegraphOptions]]] = field(default_factory=list)
    table_tree: list[ReportSpec] = field(default_factory=list)
    derive: bool = False  # contribute to the derived tracemalloc figures

    @property
    def read(self) -> str:
        return self.key[0]

    @property
    def names(self) -> list[str]:
        out = [s.name for s, _ in self.flamegraphs]
        if self.table_tree:
            out.append(TABLE_TREE)
        return out


@dataclass
class Plan:
    session: str
    out_dir: str
    jobs: list[Job]
    stats: Optional[ReportSpec]  # the stats report, if asked
    totals: bool  # compute_statistics for summary.memray_stats
    fallback: list[tuple[ReportSpec, list[str]]]  # reports memray's CLI makes (flags unknown here)
    workers: int


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def make_plan(raw: dict[str, Any]) -> Plan:
    jobs: dict[tuple[str, bool, int], Job] = {}

    def job(key: tuple[str, bool, int]) -> Job:
        if key not in jobs:
            jobs[key] = Job(key)
        return jobs[key]

    stats_spec: Optional[ReportSpec] = None
    fallback: list[tuple[ReportSpec, list[str]]] = []
    table_specs: list[ReportSpec] = []
    for name in raw["reports"]:
        spec = contract().report(name)
        if spec.generator == FLAMEGRAPH:
            opts = parse_flamegraph_flags(list(spec.flamegraph_flags))
            if opts is None:
                fallback.append((spec, list(spec.flamegraph_flags)))
            else:
                job((opts.read, opts.merge_threads, opts.threshold)).flamegraphs.append((spec, opts))
        elif spec.generator == TABLE_TREE:
            table_specs.append(spec)
        elif spec.generator == STATS:
            stats_spec = spec
    if table_specs:
        job(("leaked" if raw.get("table_source") == "leaked" else "high_watermark", True, -1)).table_tree = table_specs
    if raw.get("derive_tracemalloc"):
        job(("leaked", True, -1)).derive = True  # live bytes when tracking stopped
        job(("high_watermark", True, -1)).derive = True  # live bytes at the high-water mark
        if ("temporal_high_watermark", True, -1) in jobs:  # and at each snapshot's high-water mark
            jobs[("temporal_high_watermark", True, -1)].derive = True
    ordered = sorted(jobs.values(), key=lambda j: -READ_COST.get(j.read, 1.0))
    workers = raw.get("workers") or usable_cpus()
    return Plan(raw["session"], raw["out_dir"], ordered, stats_spec, bool(raw.get("totals", True)), fallback, max(1, int(workers)))


# -- the work of one job (in a forked child) ---------------------------------------------------------


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn with the keyword arguments this memray's version accepts (older ones lack some)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def read_records(reader: Any, key: tuple[str, bool, int]) -> tuple[list[Any], Optional[list[int]]]:
    read, merge, threshold = key
    if read == "high_watermark":
        return list(reader.get_high_watermark_allocation_records(merge_threads=merge)), None
    if read == "leaked":
        return list(reader.get_leaked_allocation_records(merge_threads=merge)), None
    if read == "temporary":
        return list(reader.get_temporary_allocation_records(merge_threads=merge, threshold=threshold)), None
    if read == "temporal_high_watermark":
        records, hwms = reader.get_temporal_high_water_mark_allocation_records(merge_threads=merge)
        return list(records), list(hwms)
    if read == "temporal_leaked":
        return list(reader.get_temporal_allocation_records(merge_threads=merge)), None
    raise ValueError("unknown read %r" % read)


def render_flamegraph(reader: Any, records: list[Any], hwms: Optional[list[int]], opts: FlamegraphOptions, path: str) -> None:
    """What memray's HighWatermarkCommand.write_report does with these records (memray 1.20)."""
    from memray.reporters.flamegraph import FlameGraphReporter

    meta = reader.metadata
    memory_records = tuple(reader.get_memory_snapshots())
    if opts.read.startswith("temporal"):
        reporter = _call(
            FlameGraphReporter.from_temporal_snapshot,
            records,
            memory_records=memory_records,
            native_traces=meta.has_native_traces,
            high_water_mark_by_snapshot=hwms if opts.read == "temporal_high_watermark" else None,
            inverted=opts.inverted,
            confidential_files=opts.confidential_files,
        )
    else:
        reporter = _call(
            FlameGraphReporter.from_snapshot,
            records,
            memory_records=memory_records,
            native_traces=meta.has_native_traces,
            merge_threads=opts.merge_threads,
            inverted=opts.inverted,
            confidential_files=opts.confidential_files,
        )
    with open(path, "w") as f:
        _call(
            reporter.render,
            outfile=f,
            metadata=meta,
            show_memory_leaks=opts.show_memory_leaks,
            merge_threads=opts.merge_threads,
            inverted=opts.inverted,
            no_web=opts.no_web,
        )


def _cli_report(spec: ReportSpec, flags: list[str], session: str, out_dir: str) -> dict[str, Any]:
    from .reports.memray_cli import run_job

    return run_job(spec.name, ["flamegraph"] + flags + ["--force", "-o", os.path.join(out_dir, spec.file), session])


API_MISMATCH = (TypeError, AttributeError, ImportError)


def run_job(
    reader: Any, job: Job, plan: Plan, leaked_table: bool, pre: Optional[tuple[list[Any], Optional[list[int]]]] = None, pre_seconds: float = 0.0
) -> dict[str, Any]:
    """Read once (or take `pre`, the records already read), make every report of the job; returns the
    job's result (reports, derived parts)."""
    from .reports import table_tree

    started = time.perf_counter() - pre_seconds
    out: dict[str, Any] = {"kind": "report", "read": job.read, "reports": [], "derived": {}}
    records, hwms = pre if pre is not None else read_records(reader, job.key)
    out["read_seconds"] = round(time.perf_counter() - started, 3)
    if job.derive:
        out["derived"] = derived_tracemalloc.from_records(job.read, records, hwms)
    for spec, opts in job.flamegraphs:
        t = time.perf_counter()
        item = {"name": spec.name, "ok": True, "error": None}
        try:
            try:
                render_flamegraph(reader, records, hwms, opts, os.path.join(plan.out_dir, spec.file))  # type: ignore[arg-type]
            except API_MISMATCH:
                cli = _cli_report(spec, list(spec.flamegraph_flags), plan.session, plan.out_dir)
                item.update(ok=cli["ok"], error=cli["error"], via="memray-cli")
        except Exception as exc:  # noqa: BLE001 - one report failing must not stop the others
            item.update(ok=False, error="%s: %s" % (type(exc).__name__, exc))
        item["seconds"] = round(time.perf_counter() - started, 3)
        item["render_seconds"] = round(time.perf_counter() - t, 3)
        out["reports"].append(item)
    if job.table_tree:
        t = time.perf_counter()
        item = {"name": TABLE_TREE, "reports": [s.name for s in job.table_tree], "ok": True, "error": None}
        try:
            analysis = table_tree.analyse_records(records, reader.metadata, leaked=leaked_table)
            for spec in job.table_tree:
                table_tree.write_report(analysis, plan.out_dir, spec)
            out["top_allocators"] = analysis.top_allocators()
            out["table_harness_bytes"] = analysis.harness_bytes
        except Exception as exc:  # noqa: BLE001
            item.update(ok=False, error="%s: %s" % (type(exc).__name__, exc))
        item["seconds"] = round(time.perf_counter() - started, 3)
        item["render_seconds"] = round(time.perf_counter() - t, 3)
        out["reports"].append(item)
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def run_stats(plan: Plan) -> dict[str, Any]:
    """One compute_statistics read: summary totals, and stats.txt + stats.json when asked."""
    from memray._memray import compute_statistics

    started = time.perf_counter()
    out: dict[str, Any] = {"kind": "report", "read": "stats", "reports": []}
    stats = compute_statistics(plan.session, report_progress=False, num_largest=STATS_NUM_LARGEST)
    out["read_seconds"] = round(time.perf_counter() - started, 3)
    out["memray_stats"] = {
        "peak_memory": int(stats.peak_memory_allocated),
        "total_allocations": int(stats.total_num_allocations),
        "total_bytes_allocated": int(stats.total_memory_allocated),
    }
    spec = plan.stats
    if spec is not None:
        from memray.reporters.stats import StatsReporter

        item = {"name": spec.name, "ok": True, "error": None}
        try:
            text = io.StringIO()
            with contextlib.redirect_stdout(text):
                StatsReporter(stats, STATS_NUM_LARGEST).render()
            with open(os.path.join(plan.out_dir, spec.file), "w", encoding="utf-8") as f:
                f.write(text.getvalue())
        except Exception as exc:  # noqa: BLE001
            item.update(ok=False, error="%s: %s" % (type(exc).__name__, exc))
        item["seconds"] = round(time.perf_counter() - started, 3)
        out["reports"].append(item)
        for extra in spec.extra_files:
            item = {"name": "%s-json" % spec.name, "ok": True, "error": None}
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # "Wrote ..." is not ours to print
                    StatsReporter(stats, STATS_NUM_LARGEST).render(json_output_file=Path(os.path.join(plan.out_dir, extra.file)))
            except Exception as exc:  # noqa: BLE001
                item.update(ok=False, error="%s: %s" % (type(exc).__name__, exc))
            item["seconds"] = round(time.perf_counter() - started, 3)
            out["reports"].append(item)
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def run_fallback(spec: ReportSpec, flags: list[str], plan: Plan) -> dict[str, Any]:
    started = time.perf_counter()
    item = _cli_report(spec, flags, plan.session, plan.out_dir)
    item["via"] = "memray-cli"
    return {"kind": "report", "read": "memray-cli", "reports": [item], "seconds": round(time.perf_counter() - started, 3)}


# -- the engine process: one reader, forked jobs ----------------------------------------------------


class Child:
    def __init__(self, pid: int, fd: int, label: str, names: list[str], started: float) -> None:
        self.pid, self.fd, self.label, self.names, self.started = pid, fd, label, names, started
        self.buf = b""


def _fork(label: str, names: list[str], work: Callable[[], dict[str, Any]]) -> Optional[Child]:
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
                result = {"kind": "report", "reports": [], "error": "%s: %s" % (type(exc).__name__, exc), "traceback": traceback.format_exc()[-2000:]}
                code = 1
            data = json.dumps(result, allow_nan=False).encode("utf-8")
            while data:
                n = os.write(w, data)
                data = data[n:]
        finally:
            os._exit(code)
    os.close(w)
    return Child(pid, r, label, names, started)


def _finish(child: Child, rusage: Any, status: int) -> dict[str, Any]:
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
    result["max_rss_kb"] = _maxrss_kb(rusage)
    result["wall_seconds"] = round(time.perf_counter() - child.started, 3)
    result["ended_at"] = time.time()  # wall clock: which jobs overlapped
    result["label"] = child.label
    return result


def _stop_if_orphaned(parent: int) -> None:
    """The harness that started this engine is gone (killed): stop the readers too, not leave them
    running for nobody. Only as the leader of our own process group (reports/make_reports.py starts us so)."""
    if os.getppid() == parent:
        return
    try:
        if os.getpgid(0) == os.getpid():
            os.killpg(os.getpid(), 9)
    except OSError:
        pass
    os._exit(1)


def _maxrss_kb(rusage: Any) -> Optional[int]:
    if rusage is None:
        return None
    value = int(rusage.ru_maxrss)
    return value // 1024 if sys.platform == "darwin" else value  # macOS reports bytes


def _emit(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line, allow_nan=False) + "\n")
    sys.stdout.flush()


def run(
    plan: Plan,
    leaked_table: bool,
    emit: Callable[[dict[str, Any]], None] = _emit,
    fork: bool = True,
    memray: Any = None,
    available_memory: Callable[[], Optional[int]] = memory_budget.available_memory,
) -> dict[str, Any]:
    """Run the plan; emits one line per finished job and returns the merged result. fork=False (or no
    os.fork) runs the jobs one after the other in this process."""
    if memray is None:
        import memray

    started = time.perf_counter()
    parent = os.getppid()
    pending: list[tuple[str, list[str], Callable[[], dict[str, Any]]]] = []
    running: dict[int, Child] = {}
    finished: list[dict[str, Any]] = []
    reader_holder: dict[str, Any] = {}

    def launch(label: str, names: list[str], work: Callable[[], dict[str, Any]]) -> None:
        child = _fork(label, names, work) if fork and hasattr(os, "fork") else None
        if child is None:  # no fork: do it here, one after the other
            t = time.perf_counter()
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - as a forked child would report it
                result = {"kind": "report", "reports": [], "error": "%s: %s" % (type(exc).__name__, exc)}
            stand_in = Child(-1, -1, label, names, t)
            stand_in.buf = json.dumps(result, allow_nan=False).encode("utf-8")
            result = _finish(stand_in, None, 0)
            finished.append(result)
            emit(result)
        else:
            running[child.fd] = child

    def drain(block: bool) -> None:
        while running:
            ready, _, _ = select.select(list(running), [], [], 1.0 if block else 0)
            if not ready:
                if not block:
                    return
                _stop_if_orphaned(parent)
                continue
            for fd in ready:
                child = running[fd]
                chunk = os.read(fd, 65536)
                if chunk:
                    child.buf += chunk
                    continue
                os.close(fd)
                del running[fd]
                _, status, rusage = os.wait4(child.pid, 0)
                result = _finish(child, rusage, status)
                finished.append(result)
                emit(result)
                block = False  # one finished: the caller may start the next job
            if not block:
                return

    def queue(jobs: list[Job]) -> None:
        for job in jobs:
            pending.append((job.read, job.names, (lambda j=job: run_job(reader_holder["reader"], j, plan, leaked_table))))

    def fill(slots: int) -> None:
        while pending and len(running) < slots:
            label, names, work = pending.pop(0)
            launch(label, names, work)

    if plan.totals or plan.stats is not None:
        launch("stats", ([plan.stats.name] + ["%s-json" % plan.stats.name for _ in plan.stats.extra_files]) if plan.stats else [], lambda: run_stats(plan))
    reader_seconds = 0.0
    own: Optional[Job] = None
    pre: Optional[tuple[list[Any], Optional[list[int]]]] = None
    pre_seconds = 0.0
    if plan.jobs:
        t = time.perf_counter()
        reader = memray.FileReader(plan.session)  # the one constructor read, shared by every fork
        reader_seconds = time.perf_counter() - t
        reader_holder["reader"] = reader
        allocations = int(getattr(reader.metadata, "total_allocations", 0) or 0)
        plan.workers = memory_budget.workers_within(plan.workers, allocations, available_memory())
        forking = fork and hasattr(os, "fork")
        # This process makes the high-water-mark job itself (one fork fewer), beside the forks.
        own = next((j for j in plan.jobs if j.read == "high_watermark"), None) if forking else None
        others = [j for j in plan.jobs if j is not own]
        if own is not None and reader.metadata.has_native_traces and any(j.flamegraphs or j.table_tree for j in others):
            # Resolve the high-water-mark stacks before forking: memray keeps each binary's symbol
            # tables (libbacktrace states) in a process-wide cache, so every fork after this inherits
            # them instead of loading the DWARF of every extension again (seconds each for polars or
            # pyarrow in a container). The records (and their resolved stacks) are this job's anyway.
            t = time.perf_counter()
            pre = read_records(reader, own.key)
            queue(others)
            for i, rec in enumerate(pre[0]):
                if i % 32 == 0:  # a slot freed (stats done)? fork the next job, with what is warm so far
                    drain(block=False)
                    fill(plan.workers - 1)
                with contextlib.suppress(Exception):  # the reporter meets (and reports) the same error
                    rec.hybrid_stack_trace()
            pre_seconds = time.perf_counter() - t
        else:
            queue(others)
    for spec, flags in plan.fallback:
        pending.append(("memray-cli", [spec.name], (lambda s=spec, f=flags: run_fallback(s, f, plan))))
    if own is not None:
        fill(plan.workers - 1)  # this process is busy too (one worker: nothing beside it)
        t = time.perf_counter() - pre_seconds
        try:
            result = run_job(reader_holder["reader"], own, plan, leaked_table, pre, pre_seconds)
        except Exception as exc:  # noqa: BLE001 - as a forked child would report it
            result = {"kind": "report", "reports": [], "error": "%s: %s" % (type(exc).__name__, exc)}
        stand_in = Child(-1, -1, own.read, own.names, t)
        stand_in.buf = json.dumps(result, allow_nan=False).encode("utf-8")
        result = _finish(stand_in, _self_rusage(), 0)
        result["in_engine_process"] = True
        finished.append(result)
        emit(result)
    while pending or running:
        fill(plan.workers)
        if running:
            drain(block=True)
    if "reader" in reader_holder:
        reader_holder["reader"].close()
    merged = merge(finished, reader_seconds, time.perf_counter() - started)
    merged["workers"] = plan.workers
    return merged


def merge(finished: list[dict[str, Any]], reader_seconds: float, seconds: float) -> dict[str, Any]:
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
    result["max_rss_kb"] = _maxrss_kb(_self_rusage())
    return result


def _self_rusage() -> Any:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF)
    except Exception:  # noqa: BLE001
        return None


def _import_reporters() -> None:
    """What every plan needs, imported while the plan is not known yet (a started-early engine)."""
    try:
        import memray  # noqa: F401
        from memray.reporters.flamegraph import FlameGraphReporter  # noqa: F401
        from memray.reporters.stats import StatsReporter  # noqa: F401

        from .reports import table_tree  # noqa: F401
    except Exception:  # noqa: BLE001 - run() meets (and reports) the same error
        pass


def main(argv: Optional[list[str]] = None) -> int:
    arg = (argv if argv is not None else sys.argv[1:])[0]
    if arg == PLAN_ON_STDIN:  # started ahead of the capture's end: import now, then wait for the plan
        _import_reporters()
        arg = sys.stdin.readline()
        if not arg.strip():
            return 0  # EOF: the harness needs no reports after all
    raw = json.loads(arg)
    if raw.get("cwd"):
        from . import paths

        paths.ORIGINAL_CWD = raw["cwd"]  # sites relative to where the harness started, not to out_dir
    plan = make_plan(raw)
    result = run(plan, leaked_table=raw.get("table_source") == "leaked")
    _emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
