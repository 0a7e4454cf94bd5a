"""The report engine's work: one read of the capture and the reports made from it, the statistics, and
memray's CLI for flags the engine does not render itself. Each returns one JSON-able result."""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import time
from pathlib import Path
from typing import Any, Callable, Optional

from ..contract import ReportSpec
from . import derived_tracemalloc
from .engine_plan import FlamegraphOptions, Job, Plan, ReadKey
from .generators import TABLE_TREE, event_names

STATS_NUM_LARGEST = 5  # `memray stats` default
# A memray whose reporter API differs from the one this engine calls: memray's CLI makes the report.
API_MISMATCH = (TypeError, AttributeError, ImportError)

Records = tuple[list[Any], Optional[list[int]]]  # (records, high-water mark per snapshot for temporal reads)


def describe(exc: BaseException) -> str:
    return "%s: %s" % (type(exc).__name__, exc)


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn with the keyword arguments this memray's version accepts (older ones lack some)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def read_records(reader: Any, key: ReadKey) -> Records:
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


def cli_report(spec: ReportSpec, flags: list[str], session: str, out_dir: str) -> dict[str, Any]:
    from .memray_cli import run_memray_cli

    return run_memray_cli(spec.name, ["flamegraph"] + flags + ["--force", "-o", os.path.join(out_dir, spec.file), session])


def _timed(item: dict[str, Any], started: float, render_started: Optional[float] = None) -> dict[str, Any]:
    """item with its seconds since the job started (and since its rendering started)."""
    item["seconds"] = round(time.perf_counter() - started, 3)
    if render_started is not None:
        item["render_seconds"] = round(time.perf_counter() - render_started, 3)
    return item


# -- one read of the capture, and every report made from it -----------------------------------------
def run_job(reader: Any, job: Job, plan: Plan, leaked_table: bool, pre: Optional[Records] = None, pre_seconds: float = 0.0) -> dict[str, Any]:
    """Read once (or take `pre`, the records already read), make every report of the job; returns the
    job's result (reports, derived parts)."""
    started = time.perf_counter() - pre_seconds
    out: dict[str, Any] = {"kind": "report", "read": job.read, "reports": [], "derived": {}}
    records, hwms = pre if pre is not None else read_records(reader, job.key)
    out["read_seconds"] = round(time.perf_counter() - started, 3)
    if job.derive:
        out["derived"] = derived_tracemalloc.from_records(job.read, records, hwms)
    for spec, opts in job.flamegraphs:
        t = time.perf_counter()
        out["reports"].append(_timed(_flamegraph(reader, records, hwms, spec, opts, plan), started, t))  # type: ignore[arg-type]
    if job.table_tree:
        t = time.perf_counter()
        item, figures = _table_tree(records, reader.metadata, job.table_tree, plan.out_dir, leaked_table)
        out.update(figures)
        out["reports"].append(_timed(item, started, t))
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def _flamegraph(reader: Any, records: list[Any], hwms: Optional[list[int]], spec: ReportSpec, opts: FlamegraphOptions, plan: Plan) -> dict[str, Any]:
    item: dict[str, Any] = {"name": spec.name, "ok": True, "error": None}
    try:
        try:
            render_flamegraph(reader, records, hwms, opts, os.path.join(plan.out_dir, spec.file))
        except API_MISMATCH:
            cli = cli_report(spec, list(spec.flamegraph_flags), plan.session, plan.out_dir)
            item.update(ok=cli["ok"], error=cli["error"], via="memray-cli")
    except Exception as exc:  # noqa: BLE001 - one report failing must not stop the others
        item.update(ok=False, error=describe(exc))
    return item


def _table_tree(records: list[Any], meta: Any, specs: list[ReportSpec], out_dir: str, leaked: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the table/tree item, the summary figures of the same pass: top_allocators, table_harness_bytes)."""
    from . import table_tree

    item: dict[str, Any] = {"name": TABLE_TREE, "reports": [s.name for s in specs], "ok": True, "error": None}
    figures: dict[str, Any] = {}
    try:
        analysis = table_tree.analyse_records(records, meta, leaked=leaked)
        for spec in specs:
            table_tree.write_report(analysis, out_dir, spec)
        figures = {"top_allocators": analysis.top_allocators(), "table_harness_bytes": analysis.harness_bytes}
    except Exception as exc:  # noqa: BLE001
        item.update(ok=False, error=describe(exc))
    return item, figures


# -- compute_statistics: summary totals, stats.txt and stats.json ---------------------------------
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

        names = event_names(spec)  # stats, then one stats-json per extra file
        text_path = os.path.join(plan.out_dir, spec.file)
        out["reports"].append(_timed(_stats_file(names[0], lambda: _write_stats_text(StatsReporter(stats, STATS_NUM_LARGEST), text_path)), started))
        for name, extra in zip(names[1:], spec.extra_files):
            json_path = os.path.join(plan.out_dir, extra.file)
            out["reports"].append(_timed(_stats_file(name, lambda p=json_path: _write_stats_json(StatsReporter(stats, STATS_NUM_LARGEST), p)), started))
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def _stats_file(name: str, write: Callable[[], None]) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "ok": True, "error": None}
    try:
        write()
    except Exception as exc:  # noqa: BLE001
        item.update(ok=False, error=describe(exc))
    return item


def _write_stats_text(reporter: Any, path: str) -> None:
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        reporter.render()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.getvalue())


def _write_stats_json(reporter: Any, path: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):  # "Wrote ..." is not ours to print
        reporter.render(json_output_file=Path(path))


# -- memray's CLI, for flags this engine does not render itself --------------------------------------
def run_fallback(spec: ReportSpec, flags: list[str], plan: Plan) -> dict[str, Any]:
    started = time.perf_counter()
    item = cli_report(spec, flags, plan.session, plan.out_dir)
    item["via"] = "memray-cli"
    return {"kind": "report", "read": "memray-cli", "reports": [item], "seconds": round(time.perf_counter() - started, 3)}
