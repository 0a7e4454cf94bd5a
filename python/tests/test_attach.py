"""Mode attach end to end: real processes, real memray, the harness run as TypeScript runs it.

A small pre-fork service (attach_service.py: a master and two workers serving one socket) runs with
MEMRAY_CLI_AGENT=1 and a sitecustomize importing memray_harness.attach.boot, so each worker has an
agent (restarted in it after the fork). The harness attaches to the workers (target kind local:
--pid given), and the service must answer before and after, keep its pids, and be left tracking
nothing, however the run ends. Refusals change nothing in the process they refuse.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest
from conftest import (
    Result,
    check_outputs,
    env_with,
    fast_reports,
    harness_argv,
    line_of,
    lose_host,
    parse_event,
    resume_harness,
    start_holding_stdin,
    write_config,
)

from memray_harness.attach import agent
from memray_harness.attach.client import AgentConnection
from memray_harness.contract import contract

SERVICE = Path(__file__).with_name("attach_service.py")
LEAK_LINE = line_of(SERVICE, "# LEAK_LINE")
LEAK_SITE = "attach_service.py:%d" % LEAK_LINE
START_TIMEOUT = 60
RUN_TIMEOUT = 240


@dataclass
class Service:
    proc: subprocess.Popen
    port: int
    master: int
    workers: list[int]

    @property
    def serving(self) -> list[int]:
        return self.workers or [self.master]

    def get(self, path: str) -> bytes:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open("http://127.0.0.1:%d%s" % (self.port, path), timeout=30) as resp:
            return resp.read()

    def status(self, pid: int) -> dict[str, Any]:
        conn = AgentConnection(agent.socket_path(pid))
        try:
            return conn.request({"cmd": "status"})
        finally:
            conn.close()

    def assert_unchanged(self) -> None:
        """It answers, with the same processes, and none of them is tracked."""
        assert self.proc.poll() is None
        assert self.get("/ok") == b"ok"
        for pid in [self.master, *self.workers]:
            assert os.path.exists("/proc/%d" % pid), pid
        deadline = time.monotonic() + 10
        for pid in self.serving:
            while self.status(pid)["tracking"] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert self.status(pid)["tracking"] is False, pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for pid in self.workers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in [self.master, *self.workers]:  # killed processes leave their agent's socket behind
            Path(agent.socket_path(pid)).unlink(missing_ok=True)


def start_service(dir_: Path, workers: int = 2, with_agent: bool = True) -> Service:
    dir_.mkdir(parents=True, exist_ok=True)
    boot = dir_ / "boot"
    boot.mkdir(exist_ok=True)
    (boot / "sitecustomize.py").write_text("import memray_harness.attach.boot\n")
    env = env_with([str(boot)] if with_agent else [])
    env.pop("MEMRAY_CLI_AGENT", None)
    if with_agent:
        env["MEMRAY_CLI_AGENT"] = "1"
    state = dir_ / "state.json"
    state.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, str(SERVICE), str(state), str(workers)], env=env, cwd=str(dir_))
    deadline = time.monotonic() + START_TIMEOUT
    while not state.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.1)
    info = json.loads(state.read_text())
    service = Service(proc, info["port"], info["master"], info["workers"])
    if with_agent:
        for pid in service.serving:
            while not os.path.exists(agent.socket_path(pid)):
                assert time.monotonic() < deadline, "no agent in pid %d" % pid
                time.sleep(0.1)
    assert service.get("/ok") == b"ok"
    return service


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = start_service(tmp_path_factory.mktemp("service"))
    yield svc
    svc.stop()


def attach_config(service: Service, pids: Optional[list[int]] = None, reports: Optional[list[str]] = None, **attach: Any) -> dict[str, Any]:
    block = {"duration_seconds": 2, "pids": service.workers if pids is None else pids, "aggregate": False, "send_requests": False}
    block.update(attach)
    return {
        "mode": "attach",
        "reports": fast_reports("attach") if reports is None else reports,
        "target": {"kind": "local", "name": "local", "python": sys.executable, "service_port": service.port},
        "attach": block,
    }


def run_attach(tmp_path: Path, cfg: dict[str, Any], env: Optional[dict[str, str]] = None) -> Result:
    proc = subprocess.run(
        harness_argv(write_config(tmp_path, cfg)), cwd=str(tmp_path), env=env or env_with(), capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    result = Result(proc.returncode, tmp_path / "out", proc.stdout, proc.stderr)
    check_outputs(result.out_dir)
    return result


def start_attach(tmp_path: Path, cfg: dict[str, Any]) -> subprocess.Popen:
    return subprocess.Popen(
        harness_argv(write_config(tmp_path, cfg)), cwd=str(tmp_path), env=env_with(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_until(proc: subprocess.Popen, event: str) -> list[dict[str, Any]]:
    """The harness's events up to (and with) `event`."""
    seen = []
    for line in proc.stderr:  # type: ignore[union-attr]
        parsed = parse_event(line)
        if parsed is not None:
            seen.append(parsed)
            if parsed["event"] == event:
                return seen
    raise AssertionError("the harness exited before the %s event: %s" % (event, seen))


def finish(proc: subprocess.Popen, tmp_path: Path, seen: list[dict[str, Any]]) -> Result:
    stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT)
    result = Result(proc.returncode, tmp_path / "out", stdout, "\n".join("@memray-harness " + json.dumps(e) for e in seen) + "\n" + stderr)
    check_outputs(result.out_dir)
    return result


def by_pid(summary: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {p["pid"]: p for p in summary["attach"]["processes"]}


# -- the agent way ------------------------------------------------------------------------------------
def test_every_worker_is_tracked_in_place_and_their_tables_merge(tmp_path: Path, service: Service) -> None:
    """Traffic from outside during the window: each worker's capture and reports, one merged table
    naming the leaking line with the pids it came from, the service untouched."""
    service.assert_unchanged()
    proc = start_attach(tmp_path, attach_config(service, reports=["leaks", "table", "tree"], duration_seconds=3))
    seen = read_until(proc, "attach-window")
    for _ in range(8):
        service.get("/leak")
    res = finish(proc, tmp_path, seen)
    assert res.rc == 0, res.stderr
    summary = res.summary
    assert summary["mode"] == "attach" and summary["error"] is None and summary["exit_code"] == 0
    section = summary["attach"]
    assert section["method"] == "agent" and section["stopped_by"] == "duration" and section["aggregate"] is False
    assert section["duration_seconds"] >= 3
    processes = by_pid(summary)
    assert sorted(processes) == sorted(service.workers)
    for pid, p in processes.items():
        assert p["role"] == "worker" and p["method"] == "agent" and p["status"] == "tracked" and p["error"] is None
        assert p["dir"] == "processes/%d-worker" % pid and p["capture"] == "processes/%d-worker/session.bin" % pid
        assert set(p["reports"]) == {"session_bin", "leaks_flamegraph", "table_report", "table_json", "tree_report"}
        for path in p["reports"].values():
            assert (res.out_dir / path).is_file(), path
        assert p["missing_reports"] == [] and p["capture_bytes"] > 0
    top = summary["top_allocators"]
    assert top == section["top_allocators"]
    assert top[0]["file"].endswith(LEAK_SITE) and top[0]["function"] == "do_GET", top[:3]
    assert top[0]["size_kb"] >= 8 * 256 * 0.99
    assert set(top[0]["processes"]) <= set(service.workers) and top[0]["processes"]
    assert summary["memory"]["rss_before"] > 0 and summary["memory"]["rss_after"] > 0
    names = [e["event"] for e in res.events()]
    for name in ("attach-processes", "attach-tracking", "attach-window", "attach-stopped", "workload-done"):
        assert name in names, names
    tracking = next(e for e in res.events() if e["event"] == "attach-tracking")
    assert tracking["method"] == "agent" and tracking["seconds"] >= 0
    assert {(p["pid"], p["role"], p["method"], p["status"]) for p in tracking["processes"]} == {(pid, "worker", "agent", "tracking") for pid in service.workers}
    listed = next(e for e in res.events() if e["event"] == "attach-processes")["processes"]
    master = next(p for p in listed if p["pid"] == service.master)
    assert master["role"] == "master" and master["chosen"] is False
    service.assert_unchanged()


def test_requests_to_the_service_port_give_the_leak_verdict(tmp_path: Path, service: Service) -> None:
    """--endpoint /leak --requests 10: the heap summed over the workers grows by what each request
    keeps, and the leak verdict, the growth sites and the merged table all name the leaking line."""
    cfg = attach_config(service, send_requests=True)
    cfg.update(endpoint={"path": "/leak"}, requests=10, delay_seconds=0.1)
    res = run_attach(tmp_path, cfg)
    assert res.rc == 0, res.stderr
    summary = res.summary
    assert summary["attach"]["stopped_by"] == "requests"
    requests = summary["requests"]
    assert [r["request_num"] for r in requests] == list(range(1, 11))
    assert all(r["status"] == 200 and r["started_at"] <= r["ended_at"] for r in requests)
    assert all(r["heap_after"] is not None for r in requests)
    assert all(r["served_by"] in service.workers for r in requests[1:] if r["served_by"] is not None)
    li = summary["leak_indicators"]
    assert li["likely_leak"] is True and li["source"] == "heap", li
    assert 200 <= li["estimate_kb_per_request"] <= 320, li
    assert summary["top_allocators"][0]["file"].endswith(LEAK_SITE)
    assert summary["growth_sites"][0]["site"].endswith(LEAK_SITE)
    assert "LIKELY LEAK" in res.text("requests.txt")
    assert summary["artifacts"]["requests_report"].endswith("requests.txt")
    service.assert_unchanged()


def test_requests_that_keep_nothing_are_no_leak(tmp_path: Path, service: Service) -> None:
    cfg = attach_config(service, send_requests=True)
    cfg.update(endpoint={"path": "/ok"}, requests=10, delay_seconds=0.1)
    res = run_attach(tmp_path, cfg)
    assert res.rc == 0, res.stderr
    assert res.summary["leak_indicators"]["likely_leak"] is False, res.summary["leak_indicators"]
    service.assert_unchanged()


def test_an_aggregated_capture_lists_the_reports_it_cannot_make(tmp_path: Path, service: Service) -> None:
    cfg = attach_config(service, reports=["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"], aggregate=True, duration_seconds=1)
    res = run_attach(tmp_path, cfg)
    assert res.rc == 0, res.stderr
    assert res.summary["attach"]["aggregate"] is True
    for p in res.summary["attach"]["processes"]:
        missing = {m["report"]: m["reason"] for m in p["missing_reports"]}
        assert set(missing) == {"temporal", "temp-allocs"}, missing
        assert all("aggregated" in reason for reason in missing.values())
        assert {"flamegraph", "leaks_flamegraph", "table_report", "tree_report"} <= set(p["reports"])
        assert not (res.out_dir / p["dir"] / "temporal.html").exists()
    assert res.summary["warnings"] == []
    service.assert_unchanged()


# -- how a run ends -----------------------------------------------------------------------------------
def test_the_first_interrupt_ends_the_window_and_the_reports_are_still_made(tmp_path: Path, service: Service) -> None:
    proc = start_attach(tmp_path, attach_config(service, duration_seconds=120))
    seen = read_until(proc, "attach-window")
    service.get("/leak")
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    res = finish(proc, tmp_path, seen)
    assert time.monotonic() - started < 60
    assert res.rc == 0, res.stderr
    summary = res.summary
    assert summary["attach"]["stopped_by"] == "interrupt" and summary["error"] is None
    assert summary["attach"]["duration_seconds"] < 120
    for p in summary["attach"]["processes"]:
        assert p["status"] == "tracked" and "table_report" in p["reports"], p
    service.assert_unchanged()


def test_a_second_interrupt_skips_the_reports(tmp_path: Path, service: Service) -> None:
    proc = start_attach(tmp_path, attach_config(service, duration_seconds=120))
    seen = read_until(proc, "attach-window")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    res = finish(proc, tmp_path, seen)
    assert res.rc == 130, res.stderr
    summary = res.summary
    assert summary["error_code"] == "INTERRUPTED" and "SIGINT" in summary["error"]
    assert summary["attach"]["stopped_by"] == "interrupt"
    for p in summary["attach"]["processes"]:
        assert p["status"] == "tracked" and p["capture"] is not None
        assert p["reports"]["session_bin"] == p["capture"]
        made = {"table_report", "table_json", "tree_report"} <= set(p["reports"])
        missing = {m["report"] for m in p["missing_reports"]}
        assert made or missing == {"table", "tree"}, p  # made before the signal, or listed as not made
        assert all(m["reason"].startswith("skipped") or "abandoned" in m["reason"] for m in p["missing_reports"]), p["missing_reports"]
    service.assert_unchanged()


def test_a_host_lost_in_the_window_ends_it_and_recover_makes_what_a_capture_lacks(tmp_path: Path, service: Service) -> None:
    """memray-cli gone mid-window (the stdin it holds closes): the window ends, tracking stops, the reports
    are made in place and the summary says HOST_LOST during the window; --resume (memray-cli recover)
    makes again a report a process lacks, keeps HOST_LOST and says it was recovered."""
    config = write_config(tmp_path, attach_config(service, duration_seconds=120))
    proc = start_holding_stdin(config, tmp_path)
    read_until(proc, "attach-window")
    service.get("/leak")
    lose_host(proc, RUN_TIMEOUT)
    assert proc.returncode == contract().exit_code("HOST_LOST")
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["error_code"] == "HOST_LOST" and "during the window" in summary["error"], summary["error"]
    assert summary["host_lost"]["during"] == "workload" and summary["attach"]["duration_seconds"] < 120
    service.assert_unchanged()
    lacking = out / summary["attach"]["processes"][0]["dir"] / "table.txt"
    lacking.unlink()  # as if its report had not been made
    again = resume_harness(config, tmp_path, RUN_TIMEOUT)
    assert again.returncode == contract().exit_code("HOST_LOST"), again.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["error_code"] == "HOST_LOST" and summary["host_lost"]["recovered_at"]
    assert lacking.is_file() and lacking.stat().st_size > 0  # made again from its capture
    assert "table_report" in summary["attach"]["processes"][0]["reports"]
    assert any("memray-cli recover" in w for w in summary["warnings"])
    assert all(p["status"] == "tracked" and not p["missing_reports"] for p in summary["attach"]["processes"])


def test_a_killed_harness_leaves_no_process_tracking(tmp_path: Path, service: Service) -> None:
    """SIGKILL: the kernel closes the harness's connections, and each agent ends its session."""
    proc = start_attach(tmp_path, attach_config(service, duration_seconds=120))
    read_until(proc, "attach-window")
    assert all(service.status(pid)["tracking"] for pid in service.workers)
    proc.kill()
    proc.communicate(timeout=30)
    service.assert_unchanged()
    for pid in service.workers:
        assert service.status(pid)["last_stop"]["reason"] == "the controller closed its connection"


def test_a_worker_that_dies_in_the_window_is_recorded_and_the_other_reported(tmp_path: Path) -> None:
    svc = start_service(tmp_path / "svc")
    try:
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        proc = start_attach(run_dir, attach_config(svc, duration_seconds=4))
        seen = read_until(proc, "attach-window")
        for _ in range(4):
            svc.get("/leak")
        victim, survivor = svc.workers
        os.kill(victim, signal.SIGKILL)
        res = finish(proc, run_dir, seen)
    finally:
        svc.stop()
    assert res.rc == 0, res.stderr
    processes = by_pid(res.summary)
    assert processes[victim]["status"] == "died" and "ended during the window" in processes[victim]["error"]
    assert processes[survivor]["status"] == "tracked" and "table_report" in processes[survivor]["reports"]
    assert any(e["event"] == "attach-process-died" and e["pid"] == victim for e in res.events())
    assert any("pid %d ended during the window" % victim in w for w in res.summary["warnings"])


# -- refusals -------------------------------------------------------------------------------------------
def test_a_pid_that_is_not_python_is_refused(tmp_path: Path, service: Service) -> None:
    sleeper = subprocess.Popen(["sleep", "120"])
    try:
        res = run_attach(tmp_path, attach_config(service, pids=[sleeper.pid]))
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
    assert res.rc == 3
    summary = res.summary
    assert summary["error_code"] == "ATTACH_NO_PROCESS"
    assert "pid %d is not a Python process" % sleeper.pid in summary["error"]
    assert "pid %d (worker" % service.workers[0] in summary["error"]  # the ones it could be are listed
    assert summary["attach"]["processes"] == []
    service.assert_unchanged()


def test_on_this_host_the_pids_are_required(tmp_path: Path, service: Service) -> None:
    res = run_attach(tmp_path, attach_config(service, pids=[]))
    assert res.rc == 3
    assert res.summary["error_code"] == "ATTACH_NO_PROCESS"
    assert "--pid" in res.summary["error"] and "pid %d (master" % service.master in res.summary["error"]
    service.assert_unchanged()


def _untouched(pid: int) -> None:
    """No debugger on it, nothing of memray or the agent loaded, no agent socket."""
    status = Path("/proc/%d/status" % pid).read_text()
    assert "\nTracerPid:\t0\n" in status
    maps = Path("/proc/%d/maps" % pid).read_text()
    assert "memray" not in maps and "_inject" not in maps
    assert not os.path.exists(agent.socket_path(pid))


def test_a_forced_debugger_that_is_missing_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    lone = start_service(tmp_path / "lone", workers=0, with_agent=False)
    try:
        empty_path = tmp_path / "no-debugger"
        empty_path.mkdir()
        env = env_with()
        env.update(PATH=str(empty_path), MEMRAY_CLI_ATTACH_METHOD="gdb")
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        res = run_attach(run_dir, attach_config(lone, pids=[lone.master]), env=env)
        assert res.rc == 3, res.stderr
        assert res.summary["error_code"] == "ATTACH_DEBUGGER_MISSING", res.summary["error"]
        assert "MEMRAY_CLI_ATTACH_METHOD=gdb" in res.summary["error"]
        _untouched(lone.master)
        assert lone.get("/ok") == b"ok"
    finally:
        lone.stop()


# -- the injection way ---------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("gdb") is None and not hasattr(sys, "remote_exec"), reason="no gdb and no sys.remote_exec here")
def test_a_process_without_agent_is_entered_by_memrays_injection(tmp_path: Path) -> None:
    """gdb (or sys.remote_exec) injects a one-session agent; after the run it is gone again. Where the
    debugger cannot attach on this kernel, the refusal must say so and leave the process as it was."""
    lone = start_service(tmp_path / "lone", workers=0, with_agent=False)
    try:
        cfg = attach_config(lone, pids=[lone.master], send_requests=True)
        cfg.update(endpoint={"path": "/leak"}, requests=6, delay_seconds=0.1)
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        res = run_attach(run_dir, cfg)
        if res.summary["error_code"] == "ATTACH_DEBUGGER_FAILED":
            _untouched(lone.master)
            assert lone.get("/ok") == b"ok"
            pytest.skip("the debugger cannot attach here: %s" % res.summary["error"])
        assert res.rc == 0, res.stderr
        p = res.summary["attach"]["processes"][0]
        assert p["pid"] == lone.master and p["role"] == "main" and p["status"] == "tracked"
        assert p["method"] in ("gdb", "sys.remote_exec", "lldb") and res.summary["attach"]["method"] == p["method"]
        assert res.summary["top_allocators"][0]["file"].endswith(LEAK_SITE)
        deadline = time.monotonic() + 10
        while os.path.exists(agent.socket_path(lone.master)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not os.path.exists(agent.socket_path(lone.master))  # the one-session agent closed
        assert "\nTracerPid:\t0\n" in Path("/proc/%d/status" % lone.master).read_text()
        assert lone.get("/ok") == b"ok"
    finally:
        lone.stop()


IDLE_SERVER = """
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
while True:  # blocked in accept(): no allocation until a client connects
    conn, _ = s.accept()
    conn.close()
"""


@pytest.mark.skipif(shutil.which("gdb") is None, reason="no gdb here")
def test_a_service_idle_in_accept_is_woken_for_the_debugger(tmp_path: Path) -> None:
    """gdb's injection waits for the process's next allocation; a server blocked in accept() makes none
    until a client comes. Empty connections to its port wake it: it is tracked, and the run says so."""
    idle = subprocess.Popen([sys.executable, "-c", IDLE_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(idle.stdout.readline())  # type: ignore[union-attr]
        cfg = {
            "mode": "attach",
            "reports": fast_reports("attach"),
            "target": {"kind": "local", "name": "local", "python": sys.executable, "service_port": port},
            "attach": {"duration_seconds": 1, "pids": [idle.pid], "aggregate": False, "send_requests": False},
        }
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        res = run_attach(run_dir, cfg)
        error = res.summary["error"] or ""
        if res.summary["error_code"] == "ATTACH_DEBUGGER_FAILED" and "did not enter" not in error:  # not a wait for an allocation
            pytest.skip("gdb cannot attach here: %s" % error)
        assert res.rc == 0, error
        assert res.summary["attach"]["processes"][0]["status"] == "tracked"
        steps = [e["message"] for e in res.events() if e["event"] == "step" and e["step"] == "attach"]
        assert any(m.startswith("woke the idle service for the debugger") and "127.0.0.1:%d" % port in m for m in steps), steps
    finally:
        idle.kill()
        idle.wait()
