"""summary.json: the seed's schema (names, nesting, units) plus extras; written atomically."""
from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from typing import Any, Dict, List, Optional

SUMMARY_FILE = "summary.json"

# summary.artifacts key -> file in out_dir (only files that exist are listed)
ARTIFACTS = (
    ("session_bin", "session.bin"),
    ("flamegraph", "flamegraph.html"),
    ("leaks_flamegraph", "leaks.html"),
    ("temporal_flamegraph", "temporal.html"),
    ("temp_allocs_flamegraph", "temp-allocs.html"),
    ("table_report", "table.txt"),
    ("tree_report", "tree.txt"),
    ("table_json", "table.json"),
    ("stats_txt", "stats.txt"),
    ("stats_json", "stats.json"),
    ("objects_json", "memray-objects.json"),
)


def iso_utc(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def empty_memory() -> Dict[str, Any]:
    return {
        "rss_before": None, "rss_after": None, "rss_delta": None,
        "tracemalloc_current": None, "tracemalloc_peak": None, "tracemalloc_delta": None,
    }


def empty_leak_indicators() -> Dict[str, Any]:
    return {"rss_growth_mb": None, "monotonic_growth": False, "likely_leak": False}


def artifacts(out_dir: str, prefix: str) -> Dict[str, str]:
    prefix = prefix.rstrip("/")
    return {
        key: "%s/%s" % (prefix, name) if prefix else name
        for key, name in ARTIFACTS
        if os.path.isfile(os.path.join(out_dir, name))
    }


def new_summary(run_id: str, script: Optional[str], mode: str, started: float) -> Dict[str, Any]:
    return {
        "run_id": run_id,
        "script": script,
        "timestamp": iso_utc(started),
        "exit_code": None,
        "error": None,
        "duration_seconds": None,
        "memory": empty_memory(),
        "top_allocators": [],
        "requests": [],
        "leak_indicators": empty_leak_indicators(),
        "profiling": {
            "memray_enabled": False,
            "native_traces": False,
            "trace_python_allocators": False,
            "memray_version": None,
            "python_version": platform.python_version(),
            "mode": mode,
        },
        "artifacts": {},
        "mode": mode,
        "warnings": [],
    }


def write(out_dir: str, summary: Dict[str, Any]) -> str:
    """tmp file + rename in the same directory: readers never see a half-written summary."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, SUMMARY_FILE)
    fd, tmp = tempfile.mkstemp(prefix=".summary-", suffix=".json", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2, default=str)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the summary is meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    return path


def add_warnings(summary: Dict[str, Any], warnings: List[str]) -> None:
    for w in warnings:
        if w not in summary["warnings"]:
            summary["warnings"].append(w)
