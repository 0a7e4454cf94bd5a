"""leaks, objects (gc-diff fallback on < 3.13.3), snapshot, stats."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import line_of, write_script
from schema_check import assert_summary

LEAKY = """
CACHE = []

def handle(i):
    scratch = bytearray(8 * 1024 * 1024)  # TEMP
    CACHE.append(bytearray(1024 * 1024))  # LEAK
    return len(scratch)

for i in range(4):
    handle(i)
"""


def test_leaks_mode_names_the_leaking_line(tmp_path: Path, harness) -> None:
    script = write_script(tmp_path, "leaky.py", LEAKY)
    res = harness({"mode": "leaks", "script_path": str(script), "trace_python_allocators": False, "reports": ["leaks", "table", "tree"]})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert_summary(s)
    assert s["profiling"]["trace_python_allocators"] is True  # forced by leaks mode
    leak_site = "leaky.py:%d" % line_of(script, "# LEAK")
    temp_site = "leaky.py:%d" % line_of(script, "# TEMP")
    table = json.loads(res.text("table.json"))
    assert table["source"] == "leaked"
    assert table["sites"][0]["site"] == leak_site and table["sites"][0]["count"] >= 4
    assert all(site["site"] != temp_site for site in table["sites"])  # freed: not a leak
    assert s["top_allocators"][0]["file"] == leak_site
    assert 4 * 1024 <= s["top_allocators"][0]["size_kb"] < 4 * 1024 + 64
    assert "leaky.py" in res.text("leaks.html")
    assert "leaks_flamegraph" in s["artifacts"]


def test_objects_mode_gc_diff_counts_surviving_instances(tmp_path: Path, harness) -> None:
    if sys.version_info >= (3, 13, 3):
        pytest.skip("memray's surviving-objects method is used on this Python")
    script = write_script(
        tmp_path,
        "objs.py",
        """
        class Session:
            def __init__(self, n):
                self.payload = {"n": n}

        KEEP = [Session(i) for i in range(37)]
        for i in range(500):
            Session(i)  # freed at once: must not be counted
    """,
    )
    res = harness({"mode": "objects", "script_path": str(script), "reports": ["flamegraph"]})
    assert res.rc == 0, res.stderr
    data = json.loads(res.text("memray-objects.json"))
    assert data["method"] == "gc-diff"
    assert data["python_version"] == "%d.%d.%d" % sys.version_info[:3]
    rows = {r["type"]: r for r in data["objects"]}
    assert rows["__main__.Session"]["count"] == 37
    assert rows["__main__.Session"]["size"] > 0
    sizes = [r["size"] for r in data["objects"]]
    assert sizes == sorted(sizes, reverse=True)
    s = res.summary
    assert s["objects"]["method"] == "gc-diff" and len(s["objects"]["top"]) <= 10
    assert s["artifacts"]["objects_json"] == "runs/test-run/memray-objects.json"
    assert "flamegraph" in s["artifacts"]


def test_snapshot_imports_under_the_tracker(tmp_path: Path, harness) -> None:
    d = tmp_path / "svc"
    d.mkdir()
    mod = write_script(
        d,
        "heavymod.py",
        """
        import json
        TABLE = bytearray(5 * 1024 * 1024)  # IMPORT_ALLOC
    """,
    )
    res = harness({"mode": "snapshot", "modules": ["heavymod", "no_such_module_xyz"], "app_dir": str(d)})
    assert res.rc == 1  # one import failed: recorded, run completed
    s = res.summary
    assert_summary(s)
    assert [m["module"] for m in s["snapshot"]["imported"]] == ["heavymod"]
    assert s["snapshot"]["failed"][0]["module"] == "no_such_module_xyz"
    assert "ModuleNotFoundError" in s["snapshot"]["failed"][0]["error"]
    assert s["top_allocators"][0]["file"].endswith("heavymod.py:%d" % line_of(mod, "# IMPORT_ALLOC"))


def test_stats_mode_writes_stats(tmp_path: Path, harness) -> None:
    script = write_script(tmp_path, "st.py", "data = [bytes(100) for _ in range(5000)]\n")
    res = harness({"mode": "stats", "script_path": str(script)})  # reports: the stats rule's, without flamegraphs
    assert res.rc == 0, res.stderr
    stats = json.loads(res.text("stats.json"))
    assert stats["total_num_allocations"] >= 5000
    assert "Total allocations" in res.text("stats.txt")
    s = res.summary
    assert s["memray_stats"]["total_allocations"] == stats["total_num_allocations"]
    assert s["memray_stats"]["total_bytes_allocated"] == stats["total_bytes_allocated"]
    assert s["memray_stats"]["peak_memory"] > 500000
    assert s["artifacts"]["stats_json"].endswith("/stats.json") and "stats_txt" in s["artifacts"]


def test_snapshot_imports_the_heavy_dependencies_the_environment_has(tmp_path: Path, harness) -> None:
    """The seed's snapshot: the service's module, then polars, pyarrow, numpy, pandas when installed (here a
    stand-in polars and a pandas that fails to import; no pyarrow, no numpy), listed in summary.snapshot."""
    d = tmp_path / "svc"
    d.mkdir()
    write_script(d, "svcmod.py", "def app(environ, start_response):\n    return []\n")
    site_dir = tmp_path / "site"
    (site_dir / "polars").mkdir(parents=True)
    polars = write_script(site_dir / "polars", "__init__.py", "FRAMES = bytearray(4 * 1024 * 1024)  # POLARS_ALLOC\n")
    (site_dir / "pandas").mkdir()
    write_script(site_dir / "pandas", "__init__.py", "raise ImportError('pandas is broken here')\n")
    res = harness({"mode": "snapshot", "app": "svcmod:app", "app_dir": str(d)}, pythonpath=[site_dir])
    assert res.rc == 0, res.stderr
    s = res.summary
    assert_summary(s)
    snap = s["snapshot"]
    assert [m["module"] for m in snap["imported"]] == ["svcmod", "polars"]
    assert snap["failed"] == []
    assert snap["dependencies"] == ["polars"]
    assert snap["dependencies_absent"] == ["pyarrow", "numpy"]
    assert [f["module"] for f in snap["dependencies_failed"]] == ["pandas"]
    assert any("heavy dependency pandas is installed but did not import" in w for w in s["warnings"])
    assert s["top_allocators"][0]["file"].endswith("polars/__init__.py:%d" % line_of(polars, "# POLARS_ALLOC"))
    # --module names exactly what is imported: no dependencies added.
    only = harness({"mode": "snapshot", "modules": ["svcmod"], "app_dir": str(d)}, pythonpath=[site_dir])
    assert only.rc == 0 and [m["module"] for m in only.summary["snapshot"]["imported"]] == ["svcmod"]
    assert "dependencies" not in only.summary["snapshot"]
