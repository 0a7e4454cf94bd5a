"""Make the requested reports from session.bin, concurrently.

The `memray flamegraph` reports are independent: they run in two worker processes (see
report_worker: one interpreter start per group instead of per report), `memray stats` as
subprocesses, while table/tree are computed in this process; any single report failing is a warning.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

from . import events
from .table_tree import Analysis, analyse, write_reports

# report name -> (output file, extra `memray flamegraph` flags)
FLAMEGRAPHS: Dict[str, Tuple[str, List[str]]] = {
    "flamegraph": ("flamegraph.html", []),
    "leaks": ("leaks.html", ["--leaks"]),
    "temporal": ("temporal.html", ["--temporal"]),
    "temp-allocs": ("temp-allocs.html", ["--temporary-allocations"]),
}
REPORT_TIMEOUT = 600


class ReportResult:
    def __init__(self) -> None:
        self.warnings: List[str] = []
        self.analysis: Optional[Analysis] = None
        self.stats_json: Optional[Dict[str, Any]] = None


WORKERS = 2


# (name, argv, file that receives stdout or None, True for a report_worker printing JSON results)
Command = Tuple[str, List[str], Optional[str], bool]


def _flamegraph_workers(session: str, out_dir: str, reports: List[str]) -> List[Command]:
    """The flamegraph reports dealt round-robin to at most WORKERS report_worker processes."""
    jobs = [(name, ["flamegraph"] + FLAMEGRAPHS[name][1] + ["--force", "-o", os.path.join(out_dir, FLAMEGRAPHS[name][0]), session])
            for name in reports if name in FLAMEGRAPHS]
    groups = [jobs[i::WORKERS] for i in range(min(WORKERS, len(jobs)))]
    return [("+".join(name for name, _ in group),
             [sys.executable, "-m", "memray_harness.report_worker", json.dumps(group)], None, True)
            for group in groups]


def _commands(session: str, out_dir: str, reports: List[str]) -> List[Command]:
    py = [sys.executable, "-m", "memray"]
    cmds = _flamegraph_workers(session, out_dir, reports)
    if "stats" in reports:
        cmds.append(("stats", py + ["stats", session], os.path.join(out_dir, "stats.txt"), False))
        cmds.append(("stats-json", py + ["stats", "--json", "--force", "-o", os.path.join(out_dir, "stats.json"), session],
                     None, False))
    return cmds


def make_reports(memray: Any, session: str, out_dir: str, reports: List[str], leaked_table: bool) -> ReportResult:
    result = ReportResult()
    env = dict(os.environ)
    env.setdefault("COLUMNS", "120")  # rich formats stats.txt to the terminal width
    running = []
    # The workers import memray_harness too: make sure they find it wherever we were imported from.
    harness_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join([harness_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    for name, argv, stdout_file, is_worker in _commands(session, out_dir, reports):
        stdout = open(stdout_file, "w", encoding="utf-8") if stdout_file else (subprocess.PIPE if is_worker else subprocess.DEVNULL)
        try:
            proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, cwd=out_dir, env=env)
        except OSError as exc:
            result.warnings.append("report %s could not start: %s" % (name, exc))
            events.report(name, False, 0.0, str(exc))
            continue
        finally:
            if stdout_file:
                stdout.close()  # the child holds its own descriptor
        running.append((name, proc, time.perf_counter(), is_worker))

    if "table" in reports or "tree" in reports:
        started = time.perf_counter()
        try:
            result.analysis = analyse(memray, session, leaked=leaked_table)
            write_reports(result.analysis, out_dir, "table" in reports, "tree" in reports)
            events.report("table-tree", True, time.perf_counter() - started)
        except Exception as exc:
            result.warnings.append("table/tree report failed: %s: %s" % (type(exc).__name__, exc))
            events.report("table-tree", False, time.perf_counter() - started, str(exc))

    for name, proc, started, is_worker in running:
        try:
            out, err = proc.communicate(timeout=REPORT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        seconds = time.perf_counter() - started
        if is_worker:
            _worker_results(name, out, err, proc.returncode, seconds, result)
            continue
        ok = proc.returncode == 0
        if not ok:
            tail = (err or b"").decode("utf-8", "replace").strip().splitlines()[-3:]
            result.warnings.append("report %s failed (exit %s): %s" % (name, proc.returncode, " | ".join(tail)))
        events.report(name, ok, seconds)

    stats_path = os.path.join(out_dir, "stats.json")
    if "stats" in reports and os.path.exists(stats_path):
        try:
            with open(stats_path, encoding="utf-8") as f:
                result.stats_json = json.load(f)
        except (OSError, ValueError) as exc:
            result.warnings.append("stats.json unreadable: %s" % exc)
    return result


def _worker_results(group: str, out: Optional[bytes], err: Optional[bytes], returncode: int, seconds: float,
                    result: ReportResult) -> None:
    """One `report` event per report of a worker; a report the worker never reached is a failure."""
    done = set()
    for line in (out or b"").decode("utf-8", "replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        done.add(item["name"])
        if not item["ok"]:
            result.warnings.append("report %s failed: %s" % (item["name"], item.get("error")))
        events.report(item["name"], bool(item["ok"]), float(item.get("seconds") or 0.0), item.get("error") or "")
    for name in group.split("+"):
        if name not in done:
            tail = " | ".join((err or b"").decode("utf-8", "replace").strip().splitlines()[-3:])
            result.warnings.append("report %s failed (worker exit %s): %s" % (name, returncode, tail))
            events.report(name, False, seconds, tail or "worker exited %s" % returncode)


def memray_stats(memray: Any, session: str, stats_json: Optional[Dict[str, Any]],
                 analysis: Optional[Analysis] = None) -> Optional[Dict[str, Any]]:
    """Cheap headline numbers for every run (compare uses them); bytes from stats.json if made.

    Taken from the table/tree pass when it ran, so the capture is not opened a second time."""
    out: Dict[str, Any]
    if analysis is not None and analysis.peak_memory is not None:
        out = {"peak_memory": analysis.peak_memory, "total_allocations": analysis.total_allocations,
               "total_bytes_allocated": None}
    else:
        try:
            reader = memray.FileReader(session)
            try:
                meta = reader.metadata
                out = {"peak_memory": int(meta.peak_memory), "total_allocations": int(meta.total_allocations),
                       "total_bytes_allocated": None}
            finally:
                reader.close()
        except Exception:
            return None
    if stats_json:
        out["total_bytes_allocated"] = stats_json.get("total_bytes_allocated")
        if stats_json.get("total_num_allocations") is not None:
            out["total_allocations"] = stats_json["total_num_allocations"]
    return out
