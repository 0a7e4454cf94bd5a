"""top_allocators and table.txt/table.json show the workload, not the harness's own allocations."""

from __future__ import annotations

import json
from pathlib import Path

from apps import APP
from conftest import line_of, write_script
from schema_check import assert_summary


def test_harness_allocations_stay_out_of_table_and_top_allocators(tmp_path: Path, harness) -> None:
    d = tmp_path / "svc"
    d.mkdir()
    write_script(d, "service.py", APP)
    # sequence: the harness's HTTP client runs inside the Tracker, in the main thread
    res = harness({"mode": "sequence", "app": "service:app", "app_dir": str(d), "requests": 3, "delay_seconds": 0.05, "endpoint": {"path": "/leak"}})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert_summary(s)
    table = json.loads(res.text("table.json"))
    sites = [row["site"] for row in table["sites"]]
    assert not [x for x in sites if x.startswith("memray_harness/")], sites
    assert not [t for t in s["top_allocators"] if t["file"].startswith("memray_harness/")], s["top_allocators"]
    # what the harness allocated for itself (its client, the server's handling) is said, not listed
    assert table["harness_bytes"] > 0 and "left out" in res.text("table.txt").splitlines()[0]
    assert table["total_bytes"] == sum(row["size_bytes"] for row in table["sites"])
    leak = "service.py:%d" % line_of(d / "service.py", "# LEAK_LINE")
    assert s["top_allocators"][0]["file"].endswith(leak)
    assert s["memray_stats"]["total_bytes_allocated"] >= 3 * 3 * 1024 * 1024
