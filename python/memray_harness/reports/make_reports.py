"""Make the requested reports from session.bin: one report_engine process, one read per record set.

Each report's file, extra files, generator and flamegraph flags come from contract.json's reports
table; this module implements the generators. They all run in one `report_engine` process (see its
docstring for where the time goes and how it is shared): it opens the capture once, forks one
process per distinct read (high-water mark, leaked, temporary, temporal; `compute_statistics` beside
them), as many at once as there are CPUs, and renders with memray's own reporters. The same reads
give `summary.memray_stats` (always, with total_bytes_allocated), the table's top_allocators, and
the derived tracemalloc figures. Any single report failing is a warning.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Optional

from .. import events, paths
from ..contract import ReportSpec, contract
from .table_tree import Analysis

REPORT_TIMEOUT = 600  # seconds, plus READ_SECONDS_PER_MB of session.bin
READ_SECONDS_PER_MB = 3.0  # generous: a read costs ~0.2-0.4 s per MB on a slow core
_NO_SPACE = "No space left on device"
# The generators of contract.json's reports this module implements.
FLAMEGRAPH, TABLE_TREE, STATS = "memray-flamegraph", "table-tree", "memray-stats"
# Made after the requests are known, by request_analysis (not from session.bin alone).
REQUESTS_VERDICT = "requests-verdict"


class ReportResult:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.analysis: Optional[Analysis] = None  # kept for callers of the old API; the engine returns parts
        self.stats_json: Optional[dict[str, Any]] = None
        # summary.memray_stats {peak_memory, total_allocations, total_bytes_allocated} (compute_statistics).
        self.memray_stats: Optional[dict[str, Any]] = None
        # summary.top_allocators, from the table/tree pass (None when it did not run).
        self.top_allocators: Optional[list[dict[str, Any]]] = None
        # Derived tracemalloc figures {current, peak, delta} (derived_tracemalloc.py), when asked and made.
        self.tracemalloc: Optional[dict[str, int]] = None
        # Reports that failed: their partial files are removed.
        self.failed: list[str] = []
        # Of those, the ones that failed because the disk is full.
        self.no_space: list[str] = []
        # Per-job figures of the engine (read, seconds, max_rss_kb), for benchmarks and the log.
        self.jobs: list[dict[str, Any]] = []


def _specs(names: list[str], result: ReportResult) -> list[ReportSpec]:
    specs = []
    for name in names:
        try:
            spec = contract().report(name)
        except KeyError as exc:
            result.warnings.append("report skipped: %s" % exc.args[0])
            continue
        if spec.generator == REQUESTS_VERDICT:
            continue
        if spec.generator not in (FLAMEGRAPH, TABLE_TREE, STATS):
            result.warnings.append("report %s skipped: this harness has no %r generator" % (name, spec.generator))
            continue
        specs.append(spec)
    return specs


def _plan(session: str, out_dir: str, specs: list[ReportSpec], leaked_table: bool, derive_tracemalloc: bool) -> dict[str, Any]:
    return {
        "session": session,
        "out_dir": out_dir,
        "reports": [s.name for s in specs],
        "cwd": paths.ORIGINAL_CWD,  # table sites are shown relative to where the harness started
        "table_source": "leaked" if leaked_table else "high_watermark",
        "derive_tracemalloc": derive_tracemalloc,
        "totals": True,
        "workers": None,
    }


def _timeout(session: str) -> float:
    try:
        size_mb = os.path.getsize(session) / 1e6
    except OSError:
        size_mb = 0.0
    return REPORT_TIMEOUT + READ_SECONDS_PER_MB * size_mb


# The engine's argument when its plan comes on stdin (one JSON line); EOF instead: it is not needed.
PLAN_ON_STDIN = "-"


class EngineProcess:
    """A report engine started ahead of its plan (start_engine), or for it (make_reports)."""

    def __init__(self, proc: subprocess.Popen[bytes], stderr: Any) -> None:
        self.proc = proc
        self.stderr = stderr  # a temporary file: never a pipe nobody reads while the engine works
        self.used = False

    def send(self, plan: dict[str, Any]) -> bool:
        """Hand over the plan; False when the engine is gone (it died waiting)."""
        self.used = True
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps(plan, allow_nan=False) + "\n").encode("utf-8"))
            self.proc.stdin.close()
            return True
        except (OSError, ValueError):
            return False

    def discard(self) -> None:
        """Not needed after all (no capture, an error): end it and close its files (idempotent)."""
        if not self.used:
            self.used = True
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()  # EOF: the engine exits at once
                self.proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - it still ends with its process group
                _kill(self.proc)
        self.close_files()

    def close_files(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass


def start_engine(cwd: str) -> EngineProcess:
    """Start the report engine now, to wait for its plan: it imports memray and its reporters while the
    workload runs (0.2-0.3 s of interpreter start-up and imports off the run's critical path). Called
    before the Tracker starts, so none of this is in the capture. OSError: it could not start."""
    env = dict(os.environ)
    env.setdefault("COLUMNS", "120")  # rich formats stats.txt to the terminal width
    # The engine imports memray_harness too: make sure it finds it wherever we were imported from.
    harness_root = os.path.dirname(paths.HARNESS_DIR)
    env["PYTHONPATH"] = os.pathsep.join([harness_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the engine writes it while it runs; EngineProcess closes it
    try:
        # Own session (process group): a terminal's Ctrl-C reaches the harness alone, which decides
        # what stops, and the engine's forked readers are stopped with it (killpg).
        proc = subprocess.Popen(
            [sys.executable, "-m", "memray_harness.report_engine", PLAN_ON_STDIN],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except OSError:
        stderr.close()
        raise
    return EngineProcess(proc, stderr)


def _engine_with_plan(engine: Optional[EngineProcess], plan: dict[str, Any], cwd: str) -> EngineProcess:
    """The started-early engine, sent its plan; without one (or one that died waiting) a new one.
    OSError: no engine could start."""
    if engine is not None and not engine.used and engine.send(plan):
        return engine
    if engine is not None:
        engine.discard()
    fresh = start_engine(cwd)
    if not fresh.send(plan):
        fresh.discard()
        raise OSError("it exited before its plan was sent")
    return fresh


def make_reports(
    memray: Any, session: str, out_dir: str, reports: list[str], leaked_table: bool, derive_tracemalloc: bool = False, engine: Optional[EngineProcess] = None
) -> ReportResult:
    """Make the named reports of contract.json; leaked_table: table/tree of leaked allocations.
    Also computes summary.memray_stats, and with derive_tracemalloc the derived tracemalloc figures.
    `engine`: one start_engine started earlier (used, or discarded when there is nothing to do)."""
    result = ReportResult()
    specs = _specs(reports, result)
    if not os.path.isfile(session):
        if engine is not None:
            engine.discard()
        for spec in specs:
            _failed(result, spec.name, 0.0, "no capture file %s" % session)
        return result
    started = time.perf_counter()
    try:
        engine = _engine_with_plan(engine, _plan(session, out_dir, specs, leaked_table, derive_tracemalloc), out_dir)
    except OSError as exc:
        for spec in specs:
            _failed(result, spec.name, 0.0, "the report engine could not start: %s" % exc)
        return result
    proc = engine.proc
    done: dict[str, bool] = {}
    try:
        err = _follow(proc, result, done, started, _timeout(session))
        if proc.returncode != 0 or err is not None:
            engine.stderr.seek(0)
            tail = err or " | ".join(engine.stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:])
            for spec in specs:
                for name in _event_names(spec):
                    if name not in done:
                        _failed(result, name, time.perf_counter() - started, "report engine exit %s: %s" % (proc.returncode, tail or "no result"))
    except KeyboardInterrupt as exc:  # Ctrl-C/SIGTERM while reporting: keep what is done, stop the rest
        _kill(proc)
        abandoned = [s.name for s in specs if not all(done.get(n) for n in _event_names(s))]
        for name in abandoned:
            _remove_outputs(out_dir, name)
        if abandoned:
            result.warnings.append("reports abandoned after %s: %s not made" % (str(exc) or "a signal", ", ".join(abandoned)))
    finally:
        if proc.poll() is None:
            _kill(proc)
        engine.close_files()
    for name in result.failed:
        _remove_outputs(out_dir, name)
    result.no_space = [name for name in result.failed if any(name in w and _NO_SPACE in w for w in result.warnings)]
    _read_stats_json(out_dir, specs, result)
    return result


def _event_names(spec: ReportSpec) -> list[str]:
    """The names of a report's progress events (table/tree share one; stats has a -json twin)."""
    if spec.generator == TABLE_TREE:
        return [TABLE_TREE]
    if spec.generator == STATS:
        return [spec.name] + ["%s-json" % spec.name for _ in spec.extra_files]
    return [spec.name]


def _follow(proc: subprocess.Popen[bytes], result: ReportResult, done: dict[str, bool], started: float, timeout: float) -> Optional[str]:
    """Read the engine's lines as they come (one per finished read), emitting report events."""
    import threading

    timer = threading.Timer(timeout, lambda: _kill(proc))
    timer.daemon = True
    timer.start()
    final: Optional[dict[str, Any]] = None
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            try:
                line = json.loads(raw.decode("utf-8", "replace"))
            except ValueError:
                continue
            if line.get("kind") == "result":
                final = line
                continue
            result.jobs.append({k: line.get(k) for k in ("label", "read", "read_seconds", "seconds", "wall_seconds", "max_rss_kb")})
            for item in line.get("reports", []):
                name = item.get("name")
                if name in done:
                    continue
                ok = bool(item.get("ok"))
                done[name] = ok
                if not ok:
                    result.warnings.append("report %s failed: %s" % (name, item.get("error")))
                    result.failed.extend(item.get("reports") or [name[: -len("-json")] if name.endswith("-json") else name])
                fields: dict[str, Any] = {"name": name, "ok": ok, "seconds": round(float(item.get("seconds") or 0.0), 3)}
                if not ok and item.get("error"):
                    fields["message"] = str(item["error"])
                if line.get("max_rss_kb") is not None:
                    fields["max_rss_kb"] = line["max_rss_kb"]
                events.emit("report", **fields)
            if line.get("error") and not line.get("reports"):
                result.warnings.append("report step %s failed: %s" % (line.get("label"), line["error"]))
        proc.wait()
    finally:
        timer.cancel()
    if time.perf_counter() - started >= timeout and proc.returncode != 0:
        return "timed out after %ds" % timeout
    if final is None:
        return None if proc.returncode == 0 else "the engine ended without a result"
    result.memray_stats = final.get("memray_stats")
    result.top_allocators = final.get("top_allocators")
    result.tracemalloc = final.get("tracemalloc")
    result.jobs.append(
        {
            "label": "engine",
            "read": "reader",
            "read_seconds": final.get("reader_seconds"),
            "seconds": final.get("seconds"),
            "max_rss_kb": final.get("max_rss_kb"),
            "workers": final.get("workers"),
        }
    )  # readers at once: fewer when memory is short
    return None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """The engine and every reader it forked (its process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        with contextlib.suppress(OSError):
            proc.kill()
    with contextlib.suppress(Exception):
        proc.wait(timeout=30)


def _failed(result: ReportResult, name: str, seconds: float, message: str) -> None:
    result.warnings.append("report %s failed: %s" % (name, message))
    result.failed.append(name[: -len("-json")] if name.endswith("-json") else name)
    events.report(name, False, seconds, message)


def _remove_outputs(out_dir: str, name: str) -> None:
    """A report that failed leaves no half-written file behind (a truncated HTML page misleads)."""
    try:
        spec = contract().report(name)
    except KeyError:
        return
    for file in [spec.file] + [extra.file for extra in spec.extra_files]:
        with contextlib.suppress(OSError):
            os.remove(os.path.join(out_dir, file))


def _read_stats_json(out_dir: str, specs: list[ReportSpec], result: ReportResult) -> None:
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


def memray_stats(memray: Any, session: str, stats_json: Optional[dict[str, Any]], analysis: Optional[Analysis] = None) -> Optional[dict[str, Any]]:
    """summary.memray_stats when the engine gave none: the capture's header numbers, bytes from
    stats.json if it was made (total_bytes_allocated null otherwise)."""
    out: dict[str, Any]
    if analysis is not None and analysis.peak_memory is not None:
        out = {"peak_memory": analysis.peak_memory, "total_allocations": analysis.total_allocations, "total_bytes_allocated": None}
    else:
        try:
            reader = memray.FileReader(session)
            try:
                meta = reader.metadata
                out = {"peak_memory": int(meta.peak_memory), "total_allocations": int(meta.total_allocations), "total_bytes_allocated": None}
            finally:
                reader.close()
        except Exception:
            return None
    if stats_json:
        out["total_bytes_allocated"] = stats_json.get("total_bytes_allocated")
        if stats_json.get("total_num_allocations") is not None:
            out["total_allocations"] = stats_json["total_num_allocations"]
    return out
