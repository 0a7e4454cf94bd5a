"""The Summary class: every field of the seed's schema from the start, sections in the order first set,
errors recorded once, one atomic write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from schema_check import assert_summary

from memray_harness.run.summary import Summary

TARGET = {"kind": "local", "name": "local", "python": "/usr/bin/python3", "service_port": None}


def _summary() -> Summary:
    return Summary("run-1", "job.py", "script", 0.0, dict(TARGET))


def test_a_new_summary_is_valid_and_complete(tmp_path: Path) -> None:
    s = _summary()
    s.set_result(0, None, None)
    s.set_duration(0.5)
    path = s.write(str(tmp_path))
    data = json.loads(Path(path).read_text())
    assert_summary(data)
    assert list(data)[:4] == ["run_id", "script", "timestamp", "exit_code"] and data["timestamp"] == "1970-01-01T00:00:00Z"


def test_sections_follow_in_the_order_first_set() -> None:
    s = _summary()
    s.set_section("objects", {"method": "gc-diff"})
    s.set_section("memray_stats", {"peak_memory": 1})
    s.set_section("objects", {"method": "memray-surviving-objects"})
    assert list(s.content())[-2:] == ["objects", "memray_stats"]
    s.update_section("profiling", {"memray_version": "1.20.0"})
    assert s.get("profiling")["memray_version"] == "1.20.0" and s.get("profiling")["mode"] == "script"


def test_a_late_error_never_replaces_the_first() -> None:
    s = _summary()
    s.set_result(1, "script exited with code 1", "WORKLOAD_FAILED")
    assert s.record_error("DISK_FULL", "no space left") is False
    assert (s.error_code, s.get("error"), s.get("exit_code")) == ("WORKLOAD_FAILED", "script exited with code 1", 1)
    clean = _summary()
    clean.set_result(0, None, None)
    assert clean.record_error("CAPTURE_LOST", "the capture is gone") is True
    assert (clean.error_code, clean.get("exit_code")) == ("CAPTURE_LOST", 0)


def test_warnings_are_kept_once_and_in_order() -> None:
    s = _summary()
    s.add_warnings(["b", "a", "b"])
    s.add_warning("a")
    s.add_warning("c")
    assert s.get("warnings") == ["b", "a", "c"]


def test_it_is_written_once_and_never_with_a_nan(tmp_path: Path) -> None:
    s = _summary()
    s.set_section("memray_stats", {"peak_memory": float("nan")})
    s.write(str(tmp_path))
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["memray_stats"]["peak_memory"] is None and any("memray_stats.peak_memory" in w for w in data["warnings"])
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary file left
    with pytest.raises(RuntimeError):
        s.write(str(tmp_path))
