"""Faults during a run, for real: signals to the harness process, abrupt ends, odd values, lost captures.
In no case is a measurement that was made missing afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from apps import APP
from conftest import check_outputs, start_harness, write_config, write_script

from memray_harness.contract import contract


def start(tmp_path: Path, cfg: dict, recover: str = "") -> subprocess.Popen:
    config = write_config(tmp_path, cfg)
    return start_harness(config, tmp_path, *(["--recover", recover] if recover else []))


def wait_for(proc: subprocess.Popen, needle: str, timeout: float = 60) -> list[str]:
    """Read stdout lines until one contains needle."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    for line in proc.stdout:  # type: ignore[union-attr]
        seen.append(line)
        if needle in line or time.monotonic() > deadline:
            break
    assert any(needle in line for line in seen), seen
    return seen


def summary(tmp_path: Path) -> dict:
    check_outputs(tmp_path / "out")
    return json.loads((tmp_path / "out" / "summary.json").read_text())


SLOW_SCRIPT = """
import sys, time
blob = bytearray(4 * 1024 * 1024)
print("READY", flush=True)
for _ in range(600):
    time.sleep(0.1)
"""


def test_sigint_during_a_script_keeps_the_capture_and_makes_the_reports(tmp_path: Path) -> None:
    script = write_script(tmp_path, "slow.py", SLOW_SCRIPT)
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ["table", "tree"]})
    wait_for(proc, "READY")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    s = summary(tmp_path)
    assert s["error_code"] == "INTERRUPTED" and "SIGINT (Ctrl-C)" in s["error"]
    assert s["memory"]["rss_before"] and s["memory"]["rss_after"] and s["memory"]["tracemalloc_peak"] >= 4 * 1024 * 1024
    assert "slow.py:2" in (tmp_path / "out" / "table.txt").read_text()  # the partial capture was reported on
    assert s["artifacts"]["session_bin"].endswith("session.bin")
    assert not (tmp_path / "out" / ".harness-state.json").exists()


def test_sigterm_is_terminated_143(tmp_path: Path) -> None:
    script = write_script(tmp_path, "slow.py", SLOW_SCRIPT)
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ["table"]})
    wait_for(proc, "READY")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    assert proc.returncode == 143
    assert summary(tmp_path)["error_code"] == "TERMINATED"


def test_sigint_during_a_sequence_stops_after_the_current_request(tmp_path: Path) -> None:
    (tmp_path / "service.py").write_text(APP)
    proc = start(tmp_path, {"mode": "sequence", "app": "service:app", "requests": 50, "delay_seconds": 0.2, "reports": ["table"], "app_dir": str(tmp_path)})
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    s = summary(tmp_path)
    done = len(s["requests"])
    assert 1 <= done < 50
    assert all(r["status"] == 200 for r in s["requests"])  # no request was cut in half
    assert "after %d of 50 requests" % done in s["error"]
    assert (tmp_path / "out" / "table.txt").exists()


def test_a_second_signal_abandons_the_reports_but_the_summary_is_written(tmp_path: Path) -> None:
    script = write_script(tmp_path, "slow.py", SLOW_SCRIPT)
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"]})
    wait_for(proc, "READY")
    proc.send_signal(signal.SIGINT)
    # Wait for the reports to start, then interrupt again.
    for line in proc.stderr:  # type: ignore[union-attr]
        if '"step": "reports"' in line or '"step":"reports"' in line:
            break
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    s = summary(tmp_path)
    # Abandoned where the signal landed: before any report started, or with some running.
    assert any("abandoned after SIGINT" in w for w in s["warnings"]), s["warnings"]
    assert s["memory"]["rss_after"] is not None
    for html in (tmp_path / "out").glob("*.html"):  # what is left is whole, never half a report
        assert html.read_text().rstrip().endswith("</html>"), html


def test_os_exit_in_the_workload_is_recovered_from_session_bin(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "bail.py",
        """
        import os
        blob = bytearray(6 * 1024 * 1024)
        os._exit(7)
    """,
    )
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ["table"]})
    proc.communicate(timeout=120)
    assert proc.returncode == 7
    assert not (tmp_path / "out" / "summary.json").exists()  # the process ended before it could write one
    again = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ["table"]}, recover="exit code 7")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 1, err
    s = summary(tmp_path)
    assert s["exit_code"] == 7 and s["error_code"] == "WORKLOAD_FAILED" and "exit code 7" in s["error"]
    assert s["profiling"]["memray_enabled"] is True and s["memory"]["rss_before"]
    assert "bail.py:2" in (tmp_path / "out" / "table.txt").read_text()


def test_a_forked_child_returning_does_not_finish_the_run_twice(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "forks.py",
        """
        import os, time
        pid = os.fork()
        if pid:
            os.waitpid(pid, 0)
        else:
            time.sleep(0.2)  # the child returns from the script, as a careless fork would
    """,
    )
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ["table"]})
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert err.count('"event": "report"') == 1, err  # table-tree reported once, by the original process
    assert summary(tmp_path)["exit_code"] == 0


def test_a_deleted_session_bin_is_an_error(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "eraser.py",
        """
        import os, sys
        blob = bytearray(1024 * 1024)
        os.remove(os.path.join(sys.argv[1], "session.bin"))
    """,
    )
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "script_args": [str(tmp_path / "out")], "reports": ["table"]})
    proc.communicate(timeout=120)
    assert proc.returncode == 3
    s = summary(tmp_path)
    assert s["error_code"] == "CAPTURE_LOST" and "session.bin" in s["error"]


def test_a_background_child_is_reported_and_terminated(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "spawns.py",
        """
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    """,
    )
    started = time.monotonic()
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ["table"]})
    proc.communicate(timeout=60)  # would block for 300 s if the child kept stdout open
    assert time.monotonic() - started < 60
    assert proc.returncode == 0
    assert any("left 1 process(es) running" in w for w in summary(tmp_path)["warnings"])


def test_odd_values_in_the_requests_file_never_break_the_summary(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "odd.py",
        """
        import json, os
        with open(os.environ["MEMRAY_RUN_REQUESTS_FILE"], "w") as f:
            f.write('[{"request_num": 1, "status": 200, "duration_s": NaN, "rss_before": 1, "rss_after": Infinity,'
                    ' "extra": -Infinity}, {"request_num": 2, "status": 200, "rss_before": %d, "rss_after": 3,'
                    ' "duration_s": 1e400}]' % (10 ** 400))
    """,
    )
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": []})
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    raw = (tmp_path / "out" / "summary.json").read_text()
    json.loads(raw, parse_constant=lambda c: (_ for _ in ()).throw(AssertionError("non-standard JSON: %s" % c)))
    s = summary(tmp_path)
    assert s["requests"][0]["duration_s"] is None and s["requests"][0]["rss_after"] is None
    assert s["requests"][0]["extra"] is None and s["requests"][1]["rss_before"] is None
    assert any("not finite JSON numbers" in w for w in s["warnings"])


def test_huge_requests_files_are_bounded(tmp_path: Path) -> None:
    entries = [{"request_num": i, "status": 200, "rss_before": 1, "rss_after": 2} for i in range(20000)]
    script = write_script(
        tmp_path,
        "many.py",
        """
        import json, os, sys
        with open(os.environ["MEMRAY_RUN_REQUESTS_FILE"], "w") as f:
            f.write(sys.argv[1])
    """,
    )
    path = tmp_path / "entries.json"
    path.write_text(json.dumps(entries))
    script.write_text("import os, shutil, sys\nshutil.copy(sys.argv[1], os.environ['MEMRAY_RUN_REQUESTS_FILE'])\n")
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "script_args": [str(path)], "reports": []})
    proc.communicate(timeout=120)
    s = summary(tmp_path)
    assert len(s["requests"]) == 10000 and any("the first 10000 are merged" in w for w in s["warnings"])


def test_the_harness_ends_with_an_end_event_carrying_its_exit_code_and_a_workload_exit_has_none(harness, tmp_path: Path) -> None:
    ok = write_script(tmp_path, "ok.py", "x = 1\n")
    result = harness({"mode": "script", "script_path": str(ok), "reports": []})
    assert result.events()[-1] == {"event": "end", "exit_code": 0}
    failing = write_script(tmp_path, "fails.py", "import sys\nsys.exit(3)\n")
    result = harness({"mode": "script", "script_path": str(failing), "reports": []})
    assert result.rc == 1 and result.events()[-1] == {"event": "end", "exit_code": 1}
    # os._exit(1) shares an exit code with the harness (WORKLOAD_FAILED): only the missing end event tells.
    bail = write_script(tmp_path, "bail.py", "import os\nos._exit(1)\n")
    result = harness({"mode": "script", "script_path": str(bail), "reports": []})
    assert result.rc == 1 and all(event["event"] != "end" for event in result.events())


def test_a_workload_that_closes_its_stdout_and_stderr_does_not_cut_the_host_off(harness, tmp_path: Path) -> None:
    script = write_script(tmp_path, "closer.py", "import os\nblob = bytearray(1 << 20)\nos.close(1)\nos.close(2)\n")
    result = harness({"mode": "script", "script_path": str(script), "reports": ["table"]})
    names = [event["event"] for event in result.events()]
    assert result.rc == 0, result.stderr
    assert "workload-done" in names and names[-1] == "end"
    assert result.summary["error"] is None


MANY_ALLOCATIONS = """
blobs = []
for i in range(200000):
    blobs.append(str(i) * 4)
"""
ALL_REPORTS = ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"]


def test_one_signal_while_the_reports_are_made_stops_nothing_every_report_is_made(tmp_path: Path) -> None:
    script = write_script(tmp_path, "many.py", MANY_ALLOCATIONS)
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ALL_REPORTS})
    for line in proc.stderr:  # type: ignore[union-attr]
        if '"step": "reports"' in line:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    s = summary(tmp_path)
    assert s["error_code"] == "INTERRUPTED" and "every report was made" in s["error"], s["error"]
    assert not any("abandoned" in w for w in s["warnings"]), s["warnings"]
    for name in ALL_REPORTS:
        assert (tmp_path / "out" / contract().report(name).file).exists(), name
    assert s["memory"]["tracemalloc_peak"] is not None and s["memory"]["tracemalloc_current"] is not None


def test_timeout_is_enforced_although_the_workload_installs_its_own_sigalrm_handler(harness, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "alarm.py",
        """
        import signal, time
        signal.signal(signal.SIGALRM, lambda *a: print("alarm swallowed"))
        blob = bytearray(2 * 1024 * 1024)
        for _ in range(300):
            time.sleep(0.1)
        print("RAN TO THE END")
        """,
    )
    started = time.monotonic()
    result = harness({"mode": "script", "script_path": str(script), "timeout_seconds": 1.5, "reports": ["table"]})
    assert time.monotonic() - started < 20
    assert result.rc == 1, result.stderr
    assert "RAN TO THE END" not in result.stdout
    s = result.summary
    assert s["error_code"] == "WORKLOAD_TIMEOUT" and "timeout_seconds=1.5" in s["error"], s["error"]
    assert s["error_details"]["type"] == "WorkloadTimeout"
    assert "alarm.py:3" in result.text("table.txt")  # measured until the stop, and reported on


def test_timeout_stops_a_workload_that_swallows_every_exception_and_blocks(harness, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "stubborn.py",
        """
        import threading
        for _ in range(4):
            try:
                threading.Event().wait(60)
            except BaseException:
                pass
        """,
    )
    started = time.monotonic()
    result = harness({"mode": "script", "script_path": str(script), "timeout_seconds": 1, "reports": []})
    # Stopped again every second: four swallowed stops take about 4 s, four waits four minutes.
    assert time.monotonic() - started < 30
    assert result.rc == 1 and result.summary["error_code"] == "WORKLOAD_TIMEOUT", result.stderr


def _kill_report_engines(root: int, seconds: float) -> int:
    """SIGKILL every report engine below `root` (and the readers it forked: its process group) for a while."""
    from memray_harness.run import stray_processes

    killed = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for pid, cmdline in stray_processes.descendants(root):
            if "memray_harness.report_engine" in cmdline:
                try:
                    os.killpg(pid, signal.SIGKILL)
                    killed += 1
                except OSError:
                    pass
        time.sleep(0.02)
    return killed


def test_a_killed_report_engine_is_an_error_naming_the_missing_reports(tmp_path: Path) -> None:
    script = write_script(tmp_path, "many.py", MANY_ALLOCATIONS)
    proc = start(tmp_path, {"mode": "script", "script_path": str(script), "reports": ALL_REPORTS})
    for line in proc.stderr:  # type: ignore[union-attr]
        if '"step": "reports"' in line:
            break
    assert _kill_report_engines(proc.pid, 3.0) >= 1
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    s = summary(tmp_path)
    assert s["error_code"] == "REPORTS_MISSING", s["error"]
    for name in ("flamegraph", "leaks", "temporal"):
        assert name in s["error"]
        assert not (tmp_path / "out" / contract().report(name).file).exists()  # no half-written page
