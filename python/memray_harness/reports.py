"""Make the requested reports from session.bin, concurrently.

Each report's file, extra files, generator and flamegraph flags come from contract.json's reports
table; this module implements the generators. The `memray flamegraph` reports are independent: they run in two worker processes (see
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
from .contract import ReportSpec, contract
from .table_tree import Analysis, analyse, write_report

REPORT_TIMEOUT = 600
_NO_SPACE = "No space left on device"
WORKERS = 2
# The generators of contract.json's reports this module implements.
FLAMEGRAPH, TABLE_TREE, STATS = "memray-flamegraph", "table-tree", "memray-stats"


class ReportResult:
    def __init__(self) -> None:
        self.warnings: List[str] = []
        self.analysis: Optional[Analysis] = None
        self.stats_json: Optional[Dict[str, Any]] = None
        # Reports that failed: their partial files are removed.
        self.failed: List[str] = []
        # Of those, the ones that failed because the disk is full.
        self.no_space: List[str] = []


# (name, argv, file that receives stdout or None, True for a report_worker printing JSON results)
Command = Tuple[str, List[str], Optional[str], bool]


def _specs(names: List[str], result: ReportResult) -> List[ReportSpec]:
    specs = []
    for name in names:
        try:
            spec = contract().report(name)
        except KeyError as exc:
            result.warnings.append("report skipped: %s" % exc.args[0])
            continue
        if spec.generator not in (FLAMEGRAPH, TABLE_TREE, STATS):
            result.warnings.append("report %s skipped: this harness has no %r generator" % (name, spec.generator))
            continue
        specs.append(spec)
    return specs


def _flamegraph_workers(session: str, out_dir: str, specs: List[ReportSpec]) -> List[Command]:
    """The flamegraph reports dealt round-robin to at most WORKERS report_worker processes."""
    jobs = [(s.name, ["flamegraph"] + list(s.flamegraph_flags) + ["--force", "-o", os.path.join(out_dir, s.file), session])
            for s in specs if s.generator == FLAMEGRAPH]
    groups = [jobs[i::WORKERS] for i in range(min(WORKERS, len(jobs)))]
    return [("+".join(name for name, _ in group),
             [sys.executable, "-m", "memray_harness.report_worker", json.dumps(group, allow_nan=False)], None, True)
            for group in groups]


def _stats_commands(session: str, out_dir: str, specs: List[ReportSpec]) -> List[Command]:
    """`memray stats` into the report's file; its extra file is the `--json` twin."""
    py = [sys.executable, "-m", "memray"]
    cmds: List[Command] = []
    for spec in specs:
        if spec.generator != STATS:
            continue
        cmds.append((spec.name, py + ["stats", session], os.path.join(out_dir, spec.file), False))
        for extra in spec.extra_files:
            cmds.append(("%s-json" % spec.name,
                         py + ["stats", "--json", "--force", "-o", os.path.join(out_dir, extra.file), session], None, False))
    return cmds


def _table_tree(memray: Any, session: str, out_dir: str, specs: List[ReportSpec], leaked: bool,
                result: ReportResult) -> None:
    """One pass over the capture for every table-tree report (in this process)."""
    mine = [s for s in specs if s.generator == TABLE_TREE]
    if not mine:
        return
    started = time.perf_counter()
    try:
        result.analysis = analyse(memray, session, leaked=leaked)
        for spec in mine:
            write_report(result.analysis, out_dir, spec)
        events.report(TABLE_TREE, True, time.perf_counter() - started)
    except Exception as exc:
        result.warnings.append("%s report failed: %s: %s" % ("/".join(s.name for s in mine), type(exc).__name__, exc))
        result.failed.extend(s.name for s in mine)
        events.report(TABLE_TREE, False, time.perf_counter() - started, str(exc))


def _read_stats_json(out_dir: str, specs: List[ReportSpec], result: ReportResult) -> None:
    for spec in specs:
        for extra in spec.extra_files if spec.generator == STATS else ():
            path = os.path.join(out_dir, extra.file)
            if not os.path.exists(path):
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    result.stats_json = json.load(f)
            except (OSError, ValueError) as exc:
                result.warnings.append("%s unreadable: %s" % (extra.file, exc))


def make_reports(memray: Any, session: str, out_dir: str, reports: List[str], leaked_table: bool) -> ReportResult:
    """Make the named reports of contract.json; leaked_table: table/tree of leaked allocations."""
    result = ReportResult()
    specs = _specs(reports, result)
    env = dict(os.environ)
    env.setdefault("COLUMNS", "120")  # rich formats stats.txt to the terminal width
    running = []
    # The workers import memray_harness too: make sure they find it wherever we were imported from.
    harness_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join([harness_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    try:
        _launch(session, out_dir, specs, env, running, result)
        _table_tree(memray, session, out_dir, specs, leaked_table, result)
        _collect(running, result)
    except KeyboardInterrupt as exc:  # Ctrl-C/SIGTERM while reporting: keep what is done, stop the rest
        _abandon(running, out_dir, specs, result, str(exc) or "a signal")
    for name in result.failed:
        _remove_outputs(out_dir, name)
    result.no_space = [name for name in result.failed if any(name in w and _NO_SPACE in w for w in result.warnings)]
    _read_stats_json(out_dir, specs, result)
    return result


def _launch(session: str, out_dir: str, specs: List[ReportSpec], env: Dict[str, str],
            running: List[Tuple[str, "subprocess.Popen[bytes]", float, bool]], result: ReportResult) -> None:
    for name, argv, stdout_file, is_worker in _flamegraph_workers(session, out_dir, specs) + _stats_commands(session, out_dir, specs):
        stdout = open(stdout_file, "w", encoding="utf-8") if stdout_file else (subprocess.PIPE if is_worker else subprocess.DEVNULL)
        try:
            # Own session: a terminal's Ctrl-C reaches the harness alone, which decides what stops.
            proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, cwd=out_dir, env=env,
                                    start_new_session=True)
        except OSError as exc:
            result.warnings.append("report %s could not start: %s" % (name, exc))
            events.report(name, False, 0.0, str(exc))
            continue
        finally:
            if stdout_file:
                stdout.close()  # the child holds its own descriptor
        running.append((name, proc, time.perf_counter(), is_worker))


def _collect(running: List[Tuple[str, "subprocess.Popen[bytes]", float, bool]], result: ReportResult) -> None:
    while running:
        name, proc, started, is_worker = running[0]
        try:
            out, err = proc.communicate(timeout=REPORT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        running.pop(0)
        seconds = time.perf_counter() - started
        if is_worker:
            _worker_results(name, out, err, proc.returncode, seconds, result)
            continue
        ok = proc.returncode == 0
        if not ok:
            tail = (err or b"").decode("utf-8", "replace").strip().splitlines()[-3:]
            result.warnings.append("report %s failed (exit %s): %s" % (name, proc.returncode, " | ".join(tail)))
            result.failed.append(name[:-len("-json")] if name.endswith("-json") else name)
        events.report(name, ok, seconds)


def _remove_outputs(out_dir: str, name: str) -> None:
    """A report that failed leaves no half-written file behind (a truncated HTML page misleads)."""
    try:
        spec = contract().report(name)
    except KeyError:
        return
    for file in [spec.file] + [extra.file for extra in spec.extra_files]:
        try:
            os.remove(os.path.join(out_dir, file))
        except OSError:
            pass


def _abandon(running: List[Tuple[str, "subprocess.Popen[bytes]", float, bool]], out_dir: str, specs: List[ReportSpec],
             result: ReportResult, signal_name: str) -> None:
    """Kill the report processes still running; keep each report they finished, remove the partial ones."""
    finished = set()
    for name, proc, _, is_worker in running:
        proc.kill()
        out, _ = proc.communicate()
        for line in (out or b"").decode("utf-8", "replace").splitlines() if is_worker else ():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if item.get("ok"):
                finished.add(item["name"])
    abandoned = [n for name, _, _, _ in running for n in name.split("+") if n not in finished]
    if result.analysis is None:
        abandoned += [s.name for s in specs if s.generator == TABLE_TREE]
    for name in abandoned:
        _remove_outputs(out_dir, name)
    running.clear()
    if abandoned:
        result.warnings.append("reports abandoned after %s: %s not made" % (signal_name, ", ".join(abandoned)))


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
            result.failed.append(item["name"])
        events.report(item["name"], bool(item["ok"]), float(item.get("seconds") or 0.0), item.get("error") or "")
    for name in group.split("+"):
        if name not in done:
            tail = " | ".join((err or b"").decode("utf-8", "replace").strip().splitlines()[-3:])
            result.warnings.append("report %s failed (worker exit %s): %s" % (name, returncode, tail))
            result.failed.append(name)
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
