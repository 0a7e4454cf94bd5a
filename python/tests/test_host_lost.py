"""The host (memray-cli) goes away during a run, for real: its end of stdin closes, nothing reads the
progress events any more, or the parent process is killed. The harness finishes the run on its own
(HOST_LOST): the workload is stopped, never blamed, every measurement kept, the reports made, no
artifact listed that does not exist, the host's scratch directory removed. `--resume` (memray-cli
recover) then completes such a run."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from conftest import check_outputs, env_with, harness_argv, lose_host, resume_harness, start_holding_stdin, write_config, write_script

from memray_harness.contract import contract

TICKING = """
import sys, time
blob = bytearray(4 * 1024 * 1024)
print("READY", flush=True)
for i in range(600):
    print("tick", i, flush=True)
    time.sleep(0.1)
"""
REPORTS = ["table", "tree", "leaks"]


def configure(tmp_path: Path, **overrides: Any) -> Path:
    script = write_script(tmp_path, "ticking.py", TICKING)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "requests.json").write_text("[]")
    cfg = {
        "mode": "script",
        "script_path": str(script),
        "reports": REPORTS,
        "host_artifacts": ["harness_log", "index_html"],
        "scratch_dir": str(scratch),
        "requests_file": str(scratch / "requests.json"),
    }
    cfg.update(overrides)
    return write_config(tmp_path, cfg)


def wait_for_summary(out_dir: Path, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    path = out_dir / "summary.json"
    while not path.exists():
        assert time.monotonic() < deadline, "no summary.json within %ss" % timeout
        time.sleep(0.1)
    time.sleep(0.2)
    check_outputs(out_dir)
    return json.loads(path.read_text())


def until_ready(stream: Any) -> None:
    for line in stream:
        if "READY" in line:
            return
    raise AssertionError("the workload never got ready")


def assert_finished_without_its_host(tmp_path: Path, s: dict[str, Any], why: str) -> None:
    out = tmp_path / "out"
    assert s["error_code"] == "HOST_LOST", s["error"]
    assert why in s["error"] and "during the workload" in s["error"], s["error"]
    assert "BrokenPipe" not in json.dumps(s)  # the workload is never blamed for the host's end
    assert s["host_lost"]["during"] == "workload"
    assert s["memory"]["rss_after"] and s["memory"]["tracemalloc_peak"] >= 4 * 1024 * 1024
    assert "ticking.py:2" in (out / "table.txt").read_text()  # reported on, from the capture until the stop
    for key, rel in s["artifacts"].items():  # nothing listed that is not there
        assert (out / os.path.basename(rel)).exists(), key
    assert "index_html" not in s["artifacts"]
    assert not (tmp_path / "scratch").exists()
    assert not (out / ".harness-state.json").exists()


def close_stdin_once_ready(tmp_path: Path) -> tuple[Path, subprocess.Popen]:
    """The harness holding its stdin as a host does; once the workload is READY its stdin is closed (the
    host gone) and the harness left to finish alone."""
    config = configure(tmp_path)
    proc = start_holding_stdin(config, tmp_path)
    until_ready(proc.stdout)
    lose_host(proc)
    return config, proc


def test_the_host_closing_its_end_of_stdin_is_a_lost_host(tmp_path: Path) -> None:
    _, proc = close_stdin_once_ready(tmp_path)
    assert proc.returncode == contract().exit_code("HOST_LOST")
    assert_finished_without_its_host(tmp_path, wait_for_summary(tmp_path / "out"), "standard input")


def test_nobody_reading_the_progress_events_is_a_lost_host(tmp_path: Path) -> None:
    config = configure(tmp_path)
    proc = subprocess.Popen(harness_argv(config), cwd=str(tmp_path), env=env_with(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    until_ready(proc.stdout)
    proc.stderr.close()  # type: ignore[union-attr]
    proc.stderr = None
    proc.communicate(timeout=120)
    s = wait_for_summary(tmp_path / "out")
    assert_finished_without_its_host(tmp_path, s, "progress events")
    # What the workload and the harness said after the host left is in harness.log, not lost on a dead pipe.
    assert "went away" in (tmp_path / "out" / "harness.log").read_text() or "is gone" in (tmp_path / "out" / "harness.log").read_text()


PARENT = """
import subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
print(child.pid, flush=True)
for line in child.stdout:
    if "READY" in line:
        break
print("GO", flush=True)
child.wait()
"""


def kill_the_harness_parent(tmp_path: Path, parent_source: str, *parent_args: str) -> dict[str, Any]:
    """The harness started by a parent process (parent_source, given parent_args then the harness's argv)
    that prints the harness's pid and GO once the workload is READY; the parent SIGKILLed then; the
    summary.json the harness writes alone."""
    config = configure(tmp_path)
    parent = tmp_path / "parent.py"
    parent.write_text(textwrap.dedent(parent_source))
    argv = [sys.executable, str(parent), *parent_args, *harness_argv(config)]
    host = subprocess.Popen(argv, cwd=str(tmp_path), env=env_with(), stdout=subprocess.PIPE, text=True)
    harness_pid = int(host.stdout.readline())  # type: ignore[union-attr]
    try:
        assert host.stdout.readline().strip() == "GO"  # type: ignore[union-attr]
        host.send_signal(signal.SIGKILL)
        host.wait(timeout=10)
        return wait_for_summary(tmp_path / "out")
    finally:
        with contextlib.suppress(OSError):
            os.kill(harness_pid, signal.SIGKILL)


def test_the_parent_process_killed_is_a_lost_host_and_the_workload_never_meets_a_broken_pipe(tmp_path: Path) -> None:
    # The harness's pipes have no reader once the parent is gone.
    s = kill_the_harness_parent(tmp_path, PARENT)
    assert_finished_without_its_host(tmp_path, s, "")
    assert any(word in s["error"] for word in ("parent process", "progress events")), s["error"]


PARENT_WITH_FILES = """
import subprocess, sys, time
out = open(sys.argv[1], "w")
child = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
print(child.pid, flush=True)
while "READY" not in open(sys.argv[1]).read():
    time.sleep(0.05)
print("GO", flush=True)
child.wait()
"""


def test_the_parent_process_killed_is_a_lost_host_whatever_its_output_goes_to(tmp_path: Path) -> None:
    """No pipe at all (output to a file): the parent-death signal and the parent check alone."""
    s = kill_the_harness_parent(tmp_path, PARENT_WITH_FILES, str(tmp_path / "output.txt"))
    assert_finished_without_its_host(tmp_path, s, "parent process")


def test_resume_completes_a_run_finished_without_its_host(tmp_path: Path) -> None:
    config, proc = close_stdin_once_ready(tmp_path)
    (tmp_path / "out" / "table.txt").unlink()  # as if it had not been made
    again = resume_harness(config, tmp_path)
    assert again.returncode == contract().exit_code("HOST_LOST"), again.stderr  # the workload was cut short: still said
    s = wait_for_summary(tmp_path / "out")
    assert s["error_code"] == "HOST_LOST" and s["host_lost"]["recovered_at"]
    assert "ticking.py:2" in (tmp_path / "out" / "table.txt").read_text()
    assert any("memray-cli recover" in w for w in s["warnings"])
    assert s["memory"]["tracemalloc_peak"] >= 4 * 1024 * 1024  # what the first harness measured is kept


def test_resume_restores_the_workload_outcome_when_the_host_left_after_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = write_script(tmp_path, "quick.py", "blob = bytearray(3 * 1024 * 1024)\n")
    config = write_config(tmp_path, {"mode": "script", "script_path": str(script), "reports": REPORTS})
    first = subprocess.run(harness_argv(config), cwd=str(tmp_path), env=env_with(), capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    # A summary as a harness whose host left during the reports writes it (the workload had succeeded).
    s = json.loads((out / "summary.json").read_text())
    s.update(
        error="memray-cli went away after the workload",
        error_code="HOST_LOST",
        host_lost={"reason": "test", "during": "reports", "outcome": {"exit_code": 0, "error": None, "error_code": None, "error_details": None}},
        error_details={"type": "HostLost", "message": "test", "traceback": ""},
    )
    (out / "summary.json").write_text(json.dumps(s))
    again = resume_harness(config, tmp_path)
    assert again.returncode == 0, again.stderr
    s = wait_for_summary(out)
    assert s["error"] is None and s["error_code"] is None and "error_details" not in s
    assert "quick.py:1" in (out / "table.txt").read_text()
