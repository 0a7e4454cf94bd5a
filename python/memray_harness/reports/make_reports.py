"""Make the requested reports from session.bin: one report engine process, one read per record set.

Each report's file, extra files, generator and flamegraph flags come from contract.json's reports
table; this package implements the generators. They all run in one `report_engine` process (see its
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
import time
from typing import Any, Optional

from ..contract import ReportSpec, contract
from .engine_output import follow
from .engine_plan import plan_request
from .engine_process import EngineProcess, engine_with_plan
from .generators import FROM_CAPTURE, REQUESTS_VERDICT, STATS, event_names
from .report_result import ReportResult

REPORT_TIMEOUT = 600  # seconds, plus READ_SECONDS_PER_MB of session.bin
READ_SECONDS_PER_MB = 3.0  # generous: a read costs ~0.2-0.4 s per MB on a slow core


def make_reports(
    memray: Any,
    session: str,
    out_dir: str,
    reports: list[str],
    leaked_table: bool,
    derive_tracemalloc: bool = False,
    engine: Optional[EngineProcess] = None,
    service_capture: bool = False,
) -> ReportResult:
    """Make the named reports of contract.json; leaked_table: table/tree of leaked allocations.
    Also computes summary.memray_stats, and with derive_tracemalloc the derived tracemalloc figures.
    `engine`: one start_engine started earlier (used, or discarded when there is nothing to do).
    service_capture: session is a service's own process (mode attach; see paths.SERVER_LOOPS_ARE_HARNESS)."""
    result = ReportResult()
    specs = _specs(reports, result)
    if not os.path.isfile(session):
        if engine is not None:
            engine.discard()
        _fail_all(result, specs, 0.0, "no capture file %s" % session)
        return result
    started = time.perf_counter()
    try:
        engine = engine_with_plan(engine, plan_request(session, out_dir, [s.name for s in specs], leaked_table, derive_tracemalloc, service_capture), out_dir)
    except OSError as exc:
        _fail_all(result, specs, 0.0, "the report engine could not start: %s" % exc)
        return result
    _run_engine(engine, specs, result, out_dir, started, _timeout(session))
    for name in result.failed:
        _remove_outputs(out_dir, name)
    result.find_no_space()
    _read_stats_json(out_dir, specs, result)
    return result


def _specs(names: list[str], result: ReportResult) -> list[ReportSpec]:
    """The reports the engine makes from session.bin, in the order asked; the others are warnings."""
    specs = []
    for name in names:
        try:
            spec = contract().report(name)
        except KeyError as exc:
            result.warnings.append("report skipped: %s" % exc.args[0])
            continue
        if spec.generator == REQUESTS_VERDICT:
            continue
        if spec.generator not in FROM_CAPTURE:
            result.warnings.append("report %s skipped: this harness has no %r generator" % (name, spec.generator))
            continue
        specs.append(spec)
    return specs


def _timeout(session: str) -> float:
    try:
        size_mb = os.path.getsize(session) / 1e6
    except OSError:
        size_mb = 0.0
    return REPORT_TIMEOUT + READ_SECONDS_PER_MB * size_mb


def _run_engine(engine: EngineProcess, specs: list[ReportSpec], result: ReportResult, out_dir: str, started: float, timeout: float) -> None:
    """Follow the engine to its end; what it did not make is a failure (or, after a signal, abandoned)."""
    proc = engine.proc
    done: dict[str, bool] = {}
    try:
        err = follow(engine, result, done, started, timeout)
        if proc.returncode != 0 or err is not None:
            tail = err or engine.stderr_tail()
            unfinished = [name for spec in specs for name in event_names(spec) if name not in done]
            for name in unfinished:
                result.fail(name, time.perf_counter() - started, "report engine exit %s: %s" % (proc.returncode, tail or "no result"))
    except KeyboardInterrupt as exc:  # Ctrl-C/SIGTERM while reporting: keep what is done, stop the rest
        engine.kill()
        abandoned = [s.name for s in specs if not all(done.get(n) for n in event_names(s))]
        for name in abandoned:
            _remove_outputs(out_dir, name)
        result.abandoned.extend(abandoned)
        if abandoned:
            result.warnings.append("reports abandoned after %s: %s not made" % (str(exc) or "a signal", ", ".join(abandoned)))
    finally:
        if proc.poll() is None:
            engine.kill()
        engine.close_files()


def _fail_all(result: ReportResult, specs: list[ReportSpec], seconds: float, message: str) -> None:
    for spec in specs:
        result.fail(spec.name, seconds, message)


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
