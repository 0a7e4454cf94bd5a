"""Reading the report engine's output as it comes: one JSON line per finished job, then its result."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Optional

from .. import events
from .engine_process import EngineProcess
from .generators import report_of
from .report_result import ReportResult

JOB_FIGURES = ("label", "read", "read_seconds", "seconds", "wall_seconds", "max_rss_kb")


def follow(engine: EngineProcess, result: ReportResult, done: dict[str, bool], started: float, timeout: float) -> Optional[str]:
    """Read the engine's lines until it exits, emitting a report event per report made (done: name -> ok);
    killed after `timeout` seconds. Returns what went wrong with the engine itself, or None."""
    proc = engine.proc
    timer = threading.Timer(timeout, engine.kill)
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
            else:
                _take_job(line, result, done)
        proc.wait()
    finally:
        timer.cancel()
    if time.perf_counter() - started >= timeout and proc.returncode != 0:
        return "timed out after %ds" % timeout
    if final is None:
        return None if proc.returncode == 0 else "the engine ended without a result"
    _take_final(final, result)
    return None


def _take_job(line: dict[str, Any], result: ReportResult, done: dict[str, bool]) -> None:
    """One finished job: its figures, and an event per report it made (each report once)."""
    result.jobs.append({k: line.get(k) for k in JOB_FIGURES})
    for item in line.get("reports", []):
        name = item.get("name")
        if name in done:
            continue
        ok = bool(item.get("ok"))
        done[name] = ok
        if not ok:
            result.warnings.append("report %s failed: %s" % (name, item.get("error")))
            result.failed.extend(item.get("reports") or [report_of(name)])
        fields: dict[str, Any] = {"name": name, "ok": ok, "seconds": round(float(item.get("seconds") or 0.0), 3)}
        if not ok and item.get("error"):
            fields["message"] = str(item["error"])
        if line.get("max_rss_kb") is not None:
            fields["max_rss_kb"] = line["max_rss_kb"]
        events.emit("report", **fields)
    if line.get("error") and not line.get("reports"):
        result.warnings.append("report step %s failed: %s" % (line.get("label"), line["error"]))


def _take_final(final: dict[str, Any], result: ReportResult) -> None:
    """The engine's merged result: the summary's figures, and the engine's own job figures."""
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
            "workers": final.get("workers"),  # readers at once: fewer when memory is short
        }
    )
