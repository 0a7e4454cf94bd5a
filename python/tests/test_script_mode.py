"""script mode end to end: real memray, real subprocesses, content not just existence."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import base_config, line_of, run_harness, write_script
from schema_check import assert_summary

JOB = """
import json, os, sys

CACHE = []

def build_blob():
    blob = bytearray(24 * 1024 * 1024)  # BIG
    return blob

def small_work(n):
    return [{"i": i, "s": str(i)} for i in range(n)]

KEEP = build_blob()
CACHE.append(small_work(2000))
print("args:", json.dumps(sys.argv[1:]))
path = os.environ["MEMRAY_RUN_REQUESTS_FILE"]
with open(path, "w") as f:
    json.dump([
        {"request_num": 1, "status": 200, "duration_s": 0.1, "rss_before": 1000, "rss_after": 2000, "rss_delta": 1000},
        {"request_num": 2, "status": 200, "duration_s": 0.1, "rss_before": 2000, "rss_after": 3000, "rss_delta": 1000, "extra": "kept"},
    ], f)
"""


def test_runner_full_reports(tmp_path: Path, runner) -> None:
    script = write_script(tmp_path, "job.py", JOB)
    big_line = line_of(script, "# BIG")
    res = runner(["--requests-file", str(tmp_path / "req.json"), "job.py", "--flag", "x y"])
    assert res.rc == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == str(res.out_dir)  # last stdout line = run dir
    assert 'args: ["--flag", "x y"]' in res.stdout
    s = res.summary
    assert_summary(s)
    assert s["exit_code"] == 0 and s["error"] is None
    assert s["script"] == "job.py"
    assert s["run_id"].startswith("job-")
    top = s["top_allocators"][0]
    assert top["file"] == "job.py:%d" % big_line
    assert top["function"] == "build_blob"
    assert 24 * 1024 <= top["size_kb"] < 25 * 1024
    assert s["profiling"] == {**s["profiling"], "memray_enabled": True, "native_traces": True, "trace_python_allocators": True, "mode": "script"}
    assert s["memory"]["rss_source"] == "proc_status_vmrss"
    assert s["memory"]["rss_after"] - s["memory"]["rss_before"] >= 20 * 1024  # KB: the blob stayed alive
    assert s["memory"]["tracemalloc_peak"] >= 24 * 1024 * 1024  # bytes
    # requests merged, extra keys kept
    assert [r["request_num"] for r in s["requests"]] == [1, 2]
    assert s["requests"][1]["extra"] == "kept"
    assert s["leak_indicators"]["monotonic_growth"] is True
    # table.txt: sorted by size, names the site
    table = res.text("table.txt")
    assert "job.py:%d" % big_line in table and "build_blob" in table
    sizes = [int(row.split()[2]) for row in table.splitlines()[2:]]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) > 2
    tj = json.loads(res.text("table.json"))
    assert tj["version"] == 1 and tj["source"] == "high_watermark"
    assert tj["sites"][0]["site"] == "job.py:%d" % big_line
    assert "0x" not in table  # no addresses: diffable between runs
    tree = res.text("tree.txt")
    assert "build_blob job.py:%d" % big_line in tree and "%" in tree
    # every HTML report made and about this script
    for name in ("flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html"):
        html = res.text(name)
        assert len(html) > 10000 and "job.py" in html, name
    arts = s["artifacts"]
    assert arts["session_bin"] == "runs/%s/session.bin" % s["run_id"]
    for key in ("flamegraph", "leaks_flamegraph", "temporal_flamegraph", "temp_allocs_flamegraph", "table_report", "tree_report", "table_json"):
        assert arts[key].startswith("runs/%s/" % s["run_id"]), key
    assert "harness_log" not in arts  # the standalone runner has no host side
    assert s["error_code"] is None
    assert s["target"] == {"kind": "local", "name": "local", "python": s["target"]["python"], "service_port": None}
    assert s["memray_stats"]["peak_memory"] >= 24 * 1024 * 1024
    names = {e.get("name") for e in res.events() if e["event"] == "report"}
    assert {"flamegraph", "leaks", "temporal", "temp-allocs", "table-tree"} <= names


def test_sys_exit_nonzero_still_makes_every_report(tmp_path: Path, harness) -> None:
    script = write_script(
        tmp_path,
        "fails.py",
        """
        import sys
        data = bytearray(8 * 1024 * 1024)  # BIG
        sys.exit(3)
    """,
    )
    res = harness(
        {"mode": "script", "script_path": str(script), "script": "fails.py", "reports": ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"]}
    )
    assert res.rc == 1, res.stderr
    s = res.summary
    assert_summary(s)
    assert s["exit_code"] == 3 and s["error_code"] == "WORKLOAD_FAILED"
    assert "exited with code 3" in s["error"]
    assert s["top_allocators"][0]["file"] == "fails.py:%d" % line_of(script, "# BIG")
    for key in ("flamegraph", "leaks_flamegraph", "temporal_flamegraph", "temp_allocs_flamegraph", "table_report", "tree_report"):
        assert key in s["artifacts"], key


def test_exception_recorded_with_type(tmp_path: Path, harness) -> None:
    script = write_script(
        tmp_path,
        "boom.py",
        """
        def handler():
            raise ValueError("bad input 42")
        handler()
    """,
    )
    res = harness({"mode": "script", "script_path": str(script)})
    assert res.rc == 1
    s = res.summary
    assert_summary(s)
    assert s["exit_code"] == 1
    assert "ValueError" in s["error"] and "bad input 42" in s["error"]
    assert s["error_details"]["type"] == "ValueError" and s["error_code"] == "WORKLOAD_FAILED"
    assert "handler" in s["error_details"]["traceback"]
    assert "table_report" in s["artifacts"]


def test_string_exit_and_zero_exit(tmp_path: Path, harness) -> None:
    script = write_script(tmp_path, "ok.py", "import sys\nsys.exit(0)\n")
    assert harness({"mode": "script", "script_path": str(script)}).rc == 0
    script = write_script(tmp_path, "msg.py", "import sys\nsys.exit('giving up')\n")
    res = harness({"mode": "script", "script_path": str(script)})
    assert res.rc == 1 and res.summary["exit_code"] == 1 and "giving up" in res.summary["error"]


def test_malformed_requests_file_is_a_warning(tmp_path: Path, harness) -> None:
    script = write_script(
        tmp_path,
        "badreq.py",
        """
        import os
        open(os.environ["MEMRAY_RUN_REQUESTS_FILE"], "w").write("[{not json")
    """,
    )
    res = harness({"mode": "script", "script_path": str(script)})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert s["requests"] == []
    assert any("not valid JSON" in w for w in s["warnings"])
    assert any(e["event"] == "warning" for e in res.events())
    assert "table_report" in s["artifacts"]


def test_stale_requests_file_is_removed(tmp_path: Path, harness) -> None:
    (tmp_path / "requests.json").write_text(json.dumps([{"request_num": 9, "status": 200}]))
    script = write_script(tmp_path, "noreq.py", "x = 1\n")
    res = harness({"mode": "script", "script_path": str(script)})
    assert res.rc == 0 and res.summary["requests"] == []


def test_missing_script_exits_2(tmp_path: Path, harness) -> None:
    res = harness({"mode": "script", "script_path": str(tmp_path / "nope.py"), "script": "nope.py"})
    assert res.rc == 2
    s = res.summary
    assert_summary(s)
    assert s["exit_code"] == 2 and "does not exist" in s["error"]
    assert s["error_code"] == "SCRIPT_NOT_FOUND"
    assert s["artifacts"] == {"harness_log": "runs/test-run/harness.log"}  # the host adds it after the run
    assert {"event": "error", "code": "SCRIPT_NOT_FOUND", "message": s["error"]} in res.events()


def test_bad_config_exits_2_without_summary(tmp_path: Path) -> None:
    """No summary.json from a config the harness cannot use: the TypeScript side writes the fallback."""
    cases = {
        "mode": {"mode": "teleport"},
        "type": {"requests": "ten"},
        "extra": {"unexpected": True},
    }
    for name, change in cases.items():
        raw = base_config("script", tmp_path / "out", tmp_path / "requests.json")
        raw.update(change, script_path="/x.py")
        (tmp_path / "config.json").write_text(json.dumps(raw))
        res = run_harness(tmp_path / "config.json", tmp_path)
        assert res.rc == 2, name
        assert not (tmp_path / "out" / "summary.json").exists(), name
        assert "INVALID_CONFIG" in res.stderr, name
        assert [e["code"] for e in res.events() if e["event"] == "error"] == ["INVALID_CONFIG"], name
    (tmp_path / "config.json").write_text("{not json")
    assert run_harness(tmp_path / "config.json", tmp_path).rc == 2


def test_unwritable_out_dir_is_output_not_writable(tmp_path: Path, harness) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    script = write_script(tmp_path, "job.py", "x = 1\n")
    res = harness({"mode": "script", "script_path": str(script), "out_dir": str(blocker / "out")})
    assert res.rc == 2
    assert [e["code"] for e in res.events() if e["event"] == "error"] == ["OUTPUT_NOT_WRITABLE"]


def _shadow_memray(tmp_path: Path) -> Path:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "memray.py").write_text("raise ImportError('simulated: no memray here')\n")
    return shadow


def test_memray_missing_exits_3_with_pip_fix(tmp_path: Path, harness) -> None:
    script = write_script(tmp_path, "job.py", "x = 1\n")
    res = harness({"mode": "script", "script_path": str(script)}, pythonpath=[str(_shadow_memray(tmp_path))])
    assert res.rc == 3, res.stderr
    s = res.summary
    assert_summary(s)
    assert s["exit_code"] == 3 and s["error_code"] == "MEMRAY_NOT_INSTALLED"
    assert "-m pip install memray" in s["error"] and "-m pip install memray" in res.stderr
    assert s["profiling"]["memray_enabled"] is False


def test_allow_no_memray_runs_with_tracemalloc_only(tmp_path: Path, harness) -> None:
    script = write_script(tmp_path, "job.py", "blob = bytearray(4 * 1024 * 1024)\n")
    res = harness({"mode": "script", "script_path": str(script), "allow_no_memray": True}, pythonpath=[str(_shadow_memray(tmp_path))])
    assert res.rc == 0, res.stderr
    s = res.summary
    assert_summary(s)
    assert s["profiling"]["memray_enabled"] is False
    assert s["memory"]["tracemalloc_peak"] >= 4 * 1024 * 1024
    assert "session_bin" not in s["artifacts"] and s["top_allocators"] == []
    assert s["error_code"] is None
    assert any("memray is not importable" in w for w in s["warnings"])


def test_script_runs_as_main_with_its_dir_on_path(tmp_path: Path, harness) -> None:
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "helper.py").write_text("VALUE = 41\n")
    script = write_script(
        sub,
        "main.py",
        """
        import os, sys
        import helper
        assert __name__ == "__main__"
        assert sys.argv[1:] == ["a", "--b"], sys.argv
        print("cwd=" + os.getcwd())
        print("value", helper.VALUE + 1)
    """,
    )
    res = harness({"mode": "script", "script_path": str(script), "script_args": ["a", "--b"]})
    assert res.rc == 0, res.summary["error"]
    assert "value 42" in res.stdout and "cwd=%s" % tmp_path in res.stdout


def test_timeout_ends_the_script_and_keeps_the_capture(tmp_path: Path, harness) -> None:
    script = write_script(
        tmp_path,
        "loop.py",
        """
        import time
        data = bytearray(2 * 1024 * 1024)
        while True:
            time.sleep(0.05)
    """,
    )
    res = harness({"mode": "script", "script_path": str(script), "timeout_seconds": 1})
    assert res.rc == 1
    s = res.summary
    assert "timeout_seconds" in s["error"] and s["error_details"]["type"] == "WorkloadTimeout"
    assert s["top_allocators"][0]["file"] == "loop.py:2"
