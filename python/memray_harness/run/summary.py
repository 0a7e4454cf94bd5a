"""summary.json: the seed's schema (names, nesting, units) plus extras; written once, atomically."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import tempfile
import time
from typing import Any, Optional

from .. import finite
from ..contract import contract


def iso_utc(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def empty_memory() -> dict[str, Any]:
    return {
        "rss_before": None,
        "rss_after": None,
        "rss_delta": None,
        "tracemalloc_current": None,
        "tracemalloc_peak": None,
        "tracemalloc_delta": None,
    }


def empty_leak_indicators() -> dict[str, Any]:
    return {"rss_growth_mb": None, "monotonic_growth": False, "likely_leak": False}


def artifacts(out_dir: str, prefix: str, host_artifacts: list[str]) -> tuple[dict[str, str], list[str]]:
    """(summary.artifacts, warnings): the harness's files present in out_dir, plus the files the
    host adds after the run (listed whether or not they exist yet), in contract.json's order."""
    prefix = prefix.rstrip("/")
    table = contract().artifacts
    warnings = ["host artifact %r is not in contract.json's artifacts; not listed" % key for key in host_artifacts if key not in table]
    listed = {
        spec.key: "%s/%s" % (prefix, spec.file) if prefix else spec.file
        for spec in table.values()
        if spec.key in host_artifacts or (spec.producer == "harness" and os.path.isfile(os.path.join(out_dir, spec.file)))
    }
    return listed, warnings


def new_summary(run_id: str, script: Optional[str], mode: str, started: float, target: dict[str, Any]) -> dict[str, Any]:
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
        "error_code": None,
        "target": target,
    }


def write(out_dir: str, summary: dict[str, Any]) -> str:
    """tmp file + rename in the same directory: readers never see a half-written summary. A value
    that is not a finite JSON number never reaches the file: it is null, and a warning says where."""
    cleaned, replaced = finite.clean(summary)
    if replaced:
        summary.clear()
        summary.update(cleaned)
        add_warnings(summary, [finite.warning(replaced, "the summary")])
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, contract().files.summary)
    fd, tmp = tempfile.mkstemp(prefix=".summary-", suffix=".json", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2, allow_nan=False)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the summary is meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return path


def add_warnings(summary: dict[str, Any], warnings: list[str]) -> None:
    for w in warnings:
        if w not in summary["warnings"]:
            summary["warnings"].append(w)
