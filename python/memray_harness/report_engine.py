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
  memory left holds (reports/memory_budget.py: a reader's peak grows with the capture's allocation count).

The same reads give the summary's derived figures (see reports/derived_tracemalloc.py): the Python-allocator bytes live
when tracking stopped (leaked records) and at the high-water mark (high-water-mark records, and each
snapshot's high-water mark when the temporal flamegraph's read is made anyway).

PLAN_JSON (the argument, or one line on stdin when the argument is "-"): {"session", "out_dir", "reports": [names], "table_source": "high_watermark"|"leaked",
"derive_tracemalloc": bool, "totals": bool, "workers": int or null, "cwd": the harness's start directory,
"service_capture": bool (a service's process tracked in place, mode attach)}. Output: JSON lines on stdout, one per finished
job: {"kind": "report", "name", "reports", "ok", "seconds", "error", "max_rss_kb", "read"}, then one
{"kind": "result", "memray_stats", "tracemalloc", "top_allocators", "table_harness_bytes",
"reader_seconds", "max_rss_kb", "workers"}.

The parts: reports/engine_plan.py (the plan and its jobs), reports/engine_jobs.py (the work of one job),
reports/engine_pool.py (the forked processes that run them).
"""

from __future__ import annotations

import json
import sys
from typing import Optional

from . import paths
from .reports.engine_plan import PLAN_ON_STDIN, make_plan
from .reports.engine_pool import ReportPool, emit_line


def _import_reporters() -> None:
    """What every plan needs, imported while the plan is not known yet (a started-early engine)."""
    try:
        import memray  # noqa: F401
        from memray.reporters.flamegraph import FlameGraphReporter  # noqa: F401
        from memray.reporters.stats import StatsReporter  # noqa: F401

        from .reports import table_tree  # noqa: F401
    except Exception:  # noqa: BLE001 - ReportPool.run() meets (and reports) the same error
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
        paths.ORIGINAL_CWD = raw["cwd"]  # sites relative to where the harness started, not to out_dir
    if raw.get("service_capture"):
        paths.SERVER_LOOPS_ARE_HARNESS = False  # a service's process: its socketserver threads are its own
    plan = make_plan(raw)
    emit_line(ReportPool(plan, leaked_table=raw.get("table_source") == "leaked").run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
