"""summary.json: the seed's schema (names, nesting, units) plus extras; written once, atomically."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import tempfile
import time
from collections.abc import Mapping
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


class Summary:
    """The run's summary.json, built up as the run learns things and written once.

    Every field of the seed's schema is there from the start (null, false or empty); sections the run
    adds later (error_details, memray_stats, objects, growth_sites, signals, a workload's own) follow in
    the order they are first set, which is their order in the file."""

    def __init__(self, run_id: str, script: Optional[str], mode: str, started: float, target: dict[str, Any]) -> None:
        self._data: dict[str, Any] = {
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
        self.written = False

    # -- reading -------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    @property
    def error_code(self) -> Optional[str]:
        return self._data["error_code"]

    def content(self) -> Mapping[str, Any]:
        """The content as it stands, to read (the checkpoint, the requests report): it changes only
        through the operations below."""
        return self._data

    # -- sections ------------------------------------------------------------------------------
    def set_section(self, key: str, value: Any) -> None:
        """Set (replace) one section: memory, requests, top_allocators, memray_stats, objects, ..."""
        self._data[key] = value

    def update_section(self, key: str, fields: dict[str, Any]) -> None:
        """Set some fields of an object section (profiling, memory), keeping the others."""
        self._data[key].update(fields)

    def restore(self, saved: dict[str, Any]) -> None:
        """Take over the content a harness checkpointed before it ended abruptly (recovery)."""
        self._data.update(saved)

    def set_duration(self, seconds: float) -> None:
        self._data["duration_seconds"] = round(seconds, 3)

    # -- the outcome ---------------------------------------------------------------------------
    def set_result(self, exit_code: int, error: Optional[str], error_code: Optional[str], details: Optional[dict[str, Any]] = None) -> None:
        """How the run ended: exit_code, error, error_code, and error_details when given."""
        self._data["exit_code"] = exit_code
        self._data["error"] = error
        self._data["error_code"] = error_code
        if details:
            self._data["error_details"] = details

    def record_error(self, code: str, message: str) -> bool:
        """A failure after the workload (disk full, capture lost, a late signal) becomes the run's error
        unless it already has one; the workload's exit code stays. False: it had one already."""
        if self._data["error_code"] is not None:
            return False
        self._data["error"] = message
        self._data["error_code"] = code
        self._data["exit_code"] = self._data["exit_code"] or 0
        return True

    # -- warnings and artifacts ----------------------------------------------------------------
    def add_warnings(self, warnings: list[str]) -> None:
        """Each new message once, in order."""
        for w in warnings:
            if w not in self._data["warnings"]:
                self._data["warnings"].append(w)

    def add_warning(self, message: str) -> None:
        self.add_warnings([message])

    def list_artifacts(self, out_dir: str, prefix: str, host_artifacts: list[str], host_here: bool = True) -> list[str]:
        """summary.artifacts: the harness's files present in out_dir, plus the files the host adds after
        the run (listed whether or not they exist yet; only those that exist when the host is gone), in
        contract.json's order. Returns warnings."""
        prefix = prefix.rstrip("/")
        table = contract().artifacts

        def present(file: str) -> bool:
            return os.path.isfile(os.path.join(out_dir, file))

        warnings = ["host artifact %r is not in contract.json's artifacts; not listed" % key for key in host_artifacts if key not in table]
        self._data["artifacts"] = {
            spec.key: "%s/%s" % (prefix, spec.file) if prefix else spec.file
            for spec in table.values()
            if (spec.key in host_artifacts and (host_here or present(spec.file))) or (spec.producer == "harness" and present(spec.file))
        }
        return warnings

    def drop_section(self, key: str) -> None:
        """Remove a section a resumed summary carried over and the run no longer has (error_details)."""
        self._data.pop(key, None)

    def add_artifacts(self, artifacts: dict[str, str]) -> None:
        self._data["artifacts"].update(artifacts)

    # -- the one write -------------------------------------------------------------------------
    def write(self, out_dir: str) -> str:
        """tmp file + rename in the same directory: readers never see a half-written summary. A value
        that is not a finite JSON number never reaches the file: it is null, and a warning says where.
        Written once: a second write is a harness bug (RuntimeError)."""
        if self.written:
            raise RuntimeError("summary.json is written once, and it was already")
        cleaned, replaced = finite.clean(self._data)
        if replaced:
            self._data = cleaned
            self.add_warning(finite.warning(replaced, "the summary"))
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, contract().files.summary)
        fd, tmp = tempfile.mkstemp(prefix=".summary-", suffix=".json", dir=out_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self._data, f, indent=2, allow_nan=False)
                f.write("\n")
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; the summary is meant to be read by others
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
        self.written = True
        return path
