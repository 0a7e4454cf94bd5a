"""The shape of the report step, not its speed (tools/bench measures speed; nothing here is timed):
the capture is opened once, each record set is read once and shared by the reports that need it,
and the files are memray's own CLI's files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import memray
import pytest
from conftest import write_script

from memray_harness.contract import contract
from memray_harness.reports.engine_plan import make_plan, parse_flamegraph_flags
from memray_harness.reports.engine_pool import ReportPool
from memray_harness.reports.engine_process import start_engine
from memray_harness.reports.generators import FLAMEGRAPH
from memray_harness.reports.make_reports import make_reports

ALL_REPORTS = ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree", "stats"]
FLAMEGRAPHS = [r.name for r in contract().reports.values() if r.generator == FLAMEGRAPH]


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("capture")
    script = write_script(
        d,
        "work.py",
        """
        import json
        def churn(n):
            out = []
            for i in range(n):
                row = {"id": i, "payload": "x" * (i % 300)}
                if i % 10 == 0:
                    out.append(row)
            return out
        kept = churn(20000)
        blob = bytearray(2 * 1024 * 1024)
        text = json.dumps(kept[:500])
    """,
    )
    session = d / "session.bin"
    subprocess.run(
        [sys.executable, "-m", "memray", "run", "--native", "--trace-python-allocators", "-q", "-o", str(session), str(script)],
        check=True,
        capture_output=True,
        cwd=str(d),
    )
    return session


def _plan(capture: Path, out_dir: Path, reports: list[str], table_source: str = "high_watermark", derive_tracemalloc: bool = False, **extra: Any):
    """The engine's plan for these reports of the capture (as the harness would send it)."""
    raw = {"session": str(capture), "out_dir": str(out_dir), "reports": reports, "table_source": table_source, "derive_tracemalloc": derive_tracemalloc}
    return make_plan(dict(raw, **extra))


class CountingMemray:
    """memray with a FileReader that counts its constructions and reads."""

    def __init__(self) -> None:
        self.constructed = 0
        self.reads: Counter = Counter()
        outer = self

        class Reader:
            def __init__(self, path: str) -> None:
                outer.constructed += 1
                self._r = memray.FileReader(path)

            def __getattr__(self, name: str) -> Any:
                attr = getattr(self._r, name)
                if name.startswith("get_") and name.endswith("records"):

                    def counted(*args: Any, **kwargs: Any) -> Any:
                        outer.reads[name] += 1
                        return attr(*args, **kwargs)

                    return counted
                return attr

        self.FileReader = Reader


def test_one_reader_and_one_read_per_record_set(capture: Path, tmp_path: Path) -> None:
    counting = CountingMemray()
    plan = _plan(capture, tmp_path, ALL_REPORTS, derive_tracemalloc=True)
    lines: list[dict[str, Any]] = []
    result = ReportPool(plan, leaked_table=False, emit=lines.append, fork=False, memray=counting).run()
    assert counting.constructed == 1  # the constructor's full read happens once, not once per report
    assert counting.reads == Counter(
        {
            "get_high_watermark_allocation_records": 1,  # flamegraph + table + tree + derived peak
            "get_leaked_allocation_records": 1,  # leaks + derived current
            "get_temporary_allocation_records": 1,  # temp-allocs
            "get_temporal_high_water_mark_allocation_records": 1,  # temporal (+ derived peak by snapshot)
        }
    )
    shared = next(line for line in lines if line["read"] == "high_watermark")
    assert sorted(r["name"] for r in shared["reports"]) == ["flamegraph", "table-tree"]
    assert all(r["ok"] for line in lines for r in line["reports"]), lines
    assert result["memray_stats"]["total_bytes_allocated"] > 2 * 1024 * 1024
    assert result["tracemalloc"]["peak"] >= result["tracemalloc"]["current"] >= 2 * 1024 * 1024


def test_the_summary_alone_reads_only_what_it_needs(capture: Path, tmp_path: Path) -> None:
    counting = CountingMemray()
    plan = _plan(capture, tmp_path, [])
    result = ReportPool(plan, leaked_table=False, emit=lambda line: None, fork=False, memray=counting).run()
    assert counting.constructed == 0 and not counting.reads  # totals come from compute_statistics alone
    assert result["memray_stats"]["total_allocations"] > 0


def test_a_leaked_table_shares_the_leaks_read(capture: Path, tmp_path: Path) -> None:
    plan = _plan(capture, tmp_path, ["leaks", "table"], table_source="leaked")
    assert [(j.read, j.names) for j in plan.jobs] == [("leaked", ["leaks", "table-tree"])]


def test_files_are_the_memray_cli_files(capture: Path, tmp_path: Path) -> None:
    ours, cli = tmp_path / "ours", tmp_path / "cli"
    ours.mkdir()
    cli.mkdir()
    result = make_reports(memray, str(capture), str(ours), FLAMEGRAPHS + ["stats"], leaked_table=False)
    assert result.warnings == [] and result.failed == []
    for name in FLAMEGRAPHS:
        spec = contract().report(name)
        subprocess.run(
            [sys.executable, "-m", "memray", "flamegraph", *spec.flamegraph_flags, "-o", str(cli / spec.file), str(capture)], check=True, capture_output=True
        )
        assert (ours / spec.file).read_bytes() == (cli / spec.file).read_bytes(), name
    stats = contract().report("stats")
    json_file = stats.extra_files[0].file
    subprocess.run([sys.executable, "-m", "memray", "stats", "--json", "-o", str(cli / json_file), str(capture)], check=True, capture_output=True)
    assert json.loads((ours / json_file).read_text()) == json.loads((cli / json_file).read_text())
    text = subprocess.run(
        [sys.executable, "-m", "memray", "stats", str(capture)], check=True, capture_output=True, text=True, env={**__import__("os").environ, "COLUMNS": "120"}
    ).stdout
    assert (ours / stats.file).read_text().strip() == text.strip()


def test_an_unknown_flag_falls_back_to_memray_cli() -> None:
    assert parse_flamegraph_flags(["--max-memory-records", "5"]) is None
    opts = parse_flamegraph_flags(["--temporal", "--leaks"])
    assert opts is not None and opts.read == "temporal_leaked" and opts.show_memory_leaks


def test_the_engine_runs_one_reader_at_a_time_when_memory_is_short(capture: Path, tmp_path: Path) -> None:
    plan = _plan(capture, tmp_path, ["flamegraph", "leaks", "temporal"], workers=2)
    lines: list[dict[str, Any]] = []
    result = ReportPool(plan, leaked_table=False, emit=lines.append, fork=False, available_memory=lambda: 1).run()
    assert result["workers"] == 1
    assert all(r["ok"] for line in lines for r in line["reports"]), lines
    roomy = _plan(capture, tmp_path, ["flamegraph"], workers=2)
    assert ReportPool(roomy, leaked_table=False, emit=lambda line: None, fork=False, available_memory=lambda: 64 * (1 << 30)).run()["workers"] == 2


def test_one_worker_means_one_reader_at_a_time_with_forks(capture: Path, tmp_path: Path) -> None:
    plan = _plan(capture, tmp_path, ["flamegraph", "leaks", "temporal", "temp-allocs"], workers=2)
    lines: list[dict[str, Any]] = []
    result = ReportPool(plan, leaked_table=False, emit=lines.append, fork=True, available_memory=lambda: 1).run()
    assert result["workers"] == 1
    readers = sorted((line["ended_at"] - line["wall_seconds"], line["ended_at"], line["read"]) for line in lines if line["read"] != "stats")
    assert [r[2] for r in readers].count("high_watermark") == 1 and len(readers) == 4
    for (_, end, first), (start, _, second) in zip(readers, readers[1:]):
        assert start >= end - 0.05, "%s and %s overlapped" % (first, second)  # perf_counter vs time(): ms apart
    assert all(r["ok"] for line in lines for r in line["reports"]), lines


def test_an_engine_started_before_the_capture_ends_waits_for_its_plan(capture: Path, tmp_path: Path) -> None:
    """start_engine: the engine imports while the workload runs, then makes the reports of the plan it is
    sent (the files are the same as an engine started for them); unused, it ends at EOF with nothing made."""
    import time

    early, late = tmp_path / "early", tmp_path / "late"
    early.mkdir()
    late.mkdir()
    engine = start_engine(str(early))
    assert engine is not None
    time.sleep(1.0)  # long enough to have imported everything: it must still be waiting, not finished
    assert engine.proc.poll() is None
    result = make_reports(memray, str(capture), str(early), ["flamegraph", "leaks", "table"], leaked_table=False, engine=engine)
    assert result.failed == [] and result.warnings == [] and engine.proc.returncode == 0
    assert result.memray_stats is not None and result.memray_stats["total_bytes_allocated"] > 2 * 1024 * 1024
    make_reports(memray, str(capture), str(late), ["flamegraph", "leaks", "table"], leaked_table=False)
    for file in ("flamegraph.html", "leaks.html", "table.txt"):
        assert (early / file).read_bytes() == (late / file).read_bytes(), file

    unused = start_engine(str(tmp_path))
    assert unused is not None
    unused.discard()
    assert unused.proc.returncode == 0
    unused.discard()  # idempotent

    # One that died while waiting is replaced: the reports are still made.
    dead = start_engine(str(tmp_path))
    assert dead is not None
    dead.proc.kill()
    dead.proc.wait()
    again = tmp_path / "again"
    again.mkdir()
    result = make_reports(memray, str(capture), str(again), ["leaks"], leaked_table=False, engine=dead)
    assert result.failed == [] and (again / "leaks.html").is_file()


def test_the_waiting_engine_is_not_a_stray_of_the_workload(tmp_path: Path) -> None:
    from memray_harness.run import stray_processes

    engine = start_engine(str(tmp_path))
    assert engine is not None
    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        warnings = stray_processes.terminate_strays(keep=[engine.proc.pid])
        assert stray.wait(timeout=10) != 0 and len(warnings) == 1 and str(stray.pid) in warnings[0]
        assert engine.proc.poll() is None and str(engine.proc.pid) not in warnings[0]
    finally:
        stray.kill()
        engine.discard()
