"""live-remote with the requests workload: memray's SocketDestination waits for ONE client before the
workload starts; a real memray SocketReader is that client. Ctrl-C while it waits ends the run."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import memray
import pytest
from apps import APP
from conftest import check_outputs, free_port, line_of, start_harness, wait_for_event, write_config, write_script

# Like polars at import: SIGINT's handler restarts interrupted system calls (SA_RESTART).
RESTARTING_APP = "import signal\nsignal.siginterrupt(signal.SIGINT, False)\n" + APP


def _start(tmp_path: Path, live_port: int, requests: int, app: str = APP) -> subprocess.Popen:
    d = tmp_path / "svc"
    d.mkdir()
    write_script(d, "service.py", app)
    config = write_config(
        tmp_path,
        {
            "mode": "live-remote",
            "run_id": "lr",
            "app": "service:app",
            "app_dir": str(d),
            "live_port": live_port,
            "requests": requests,
            "delay_seconds": 0.05,
            "endpoint": {"path": "/leak"},
        },
    )
    return start_harness(config, tmp_path)


def _summary(tmp_path: Path) -> dict:
    check_outputs(tmp_path / "out")
    return json.loads((tmp_path / "out" / "summary.json").read_text())


def test_requests_start_once_the_client_connects_and_it_sees_them(tmp_path: Path) -> None:
    port = free_port()
    proc = _start(tmp_path, port, requests=5)
    try:
        live = wait_for_event(proc, "live")
        assert live == {"event": "live", "live_port": port, "service_port": None}
        with memray.SocketReader(port=port) as reader:
            proc.communicate(timeout=60)
            deadline = time.monotonic() + 30
            while reader.is_active and time.monotonic() < deadline:
                time.sleep(0.1)
            sites = {"%s:%d" % (f[1], f[2]) for r in reader.get_current_snapshot(merge_threads=True) for f in r.stack_trace()[:1]}
        assert proc.returncode == 0
        leak_site = "service.py:%d" % line_of(tmp_path / "svc" / "service.py", "# LEAK_LINE")
        assert any(s.endswith(leak_site) for s in sites), sites
        s = _summary(tmp_path)
        assert s["mode"] == "live-remote" and len(s["requests"]) == 5 and "session_bin" not in s["artifacts"]
        li = s["leak_indicators"]
        assert li["source"] == "rss" and "a live run streams to `memray live`" in li["reason"]
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("app", [APP, RESTARTING_APP], ids=["plain", "app-sets-sa-restart"])
def test_ctrl_c_while_waiting_for_the_client_ends_the_run(tmp_path: Path, app: str) -> None:
    port = free_port()
    proc = _start(tmp_path, port, requests=5, app=app)
    try:
        wait_for_event(proc, "live")
        time.sleep(0.5)  # into memray's accept loop
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        assert proc.returncode == 130
        s = _summary(tmp_path)
        assert s["error_code"] == "INTERRUPTED" and s["requests"] == []
        assert "partial capture" not in s["error"]  # a live run has no capture to report on
        with socket.socket() as probe:  # the port is free again
            probe.bind(("127.0.0.1", port))
    finally:
        if proc.poll() is None:
            proc.kill()
