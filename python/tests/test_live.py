"""live-web: the Tracker streams to a socket; a real memray SocketReader connects like `memray live`."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from pathlib import Path

import memray
from apps import APP
from conftest import check_outputs, free_port, start_harness, wait_for_event, write_config, write_script


def _connect(port: int, deadline: float) -> memray.SocketReader:
    while True:
        reader = memray.SocketReader(port=port)
        try:
            reader.__enter__()
            return reader
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_live_web_serves_until_sigint(tmp_path: Path) -> None:
    d = tmp_path / "svc"
    d.mkdir()
    write_script(d, "service.py", APP)
    live_port = free_port()
    config = write_config(
        tmp_path, {"mode": "live-web", "run_id": "live", "app": "service:app", "app_dir": str(d), "live_port": live_port, "timeout_seconds": 30}
    )
    proc = start_harness(config, tmp_path, stdout=None)
    try:
        live = wait_for_event(proc, "live")
        assert live["live_port"] == live_port and live["service_port"] > 0
        reader = _connect(live_port, time.monotonic() + 15)
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            deadline = time.monotonic() + 15
            while True:
                try:
                    with opener.open("http://127.0.0.1:%d/report" % live["service_port"], timeout=5) as r:
                        assert r.status == 200
                        break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
            assert reader.is_active
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
            reader.__exit__(None, None, None)
        assert proc.returncode == 0
        check_outputs(tmp_path / "out")
        s = json.loads((tmp_path / "out" / "summary.json").read_text())
        assert s["mode"] == "live-web" and s["live"]["stopped_by"] == "SIGINT"
        assert s["live"]["service_port"] == live["service_port"]
        assert s["profiling"]["memray_enabled"] is True and "session_bin" not in s["artifacts"]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()


def test_live_remote_runs_the_script_once_a_client_connects(tmp_path: Path) -> None:
    script = write_script(tmp_path, "job.py", "import sys\nblob = bytearray(1024 * 1024)\nprint('ran', len(blob))\n")
    live_port = free_port()
    config = write_config(tmp_path, {"mode": "live-remote", "run_id": "lr", "script_path": str(script), "live_port": live_port})
    proc = start_harness(config, tmp_path)
    try:
        reader = _connect(live_port, time.monotonic() + 15)
        try:
            out, err = proc.communicate(timeout=30)
        finally:
            reader.__exit__(None, None, None)
        assert proc.returncode == 0, err
        assert "ran 1048576" in out
        assert '"event": "live"' in err
        check_outputs(tmp_path / "out")
        s = json.loads((tmp_path / "out" / "summary.json").read_text())
        assert s["mode"] == "live-remote" and s["exit_code"] == 0
    finally:
        if proc.poll() is None:
            proc.kill()
