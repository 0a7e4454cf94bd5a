"""The agent's protocol against a real process (agent.py): hello, start, renew, stop, status, the lease,
one session at a time, the one-session agent an injection starts, and what it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import env_with

from memray_harness.attach import agent
from memray_harness.attach.client import AgentConnection

PERSISTENT = "import memray_harness.attach.boot, time\nL = []\nwhile True:\n    L.append(bytearray(4096)); time.sleep(0.01)\n"
ONE_SESSION = "import memray_harness.attach.agent as a, sys, time\na.start_session(idle_seconds=float(sys.argv[1]))\nwhile True:\n    time.sleep(0.05)\n"


def spawn(code: str, *args: str) -> subprocess.Popen:
    env = env_with()
    env["MEMRAY_CLI_AGENT"] = "1"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env)
    deadline = time.monotonic() + 30
    while not os.path.exists(agent.socket_path(proc.pid)):
        assert proc.poll() is None and time.monotonic() < deadline, "no agent socket"
        time.sleep(0.05)
    return proc


@pytest.fixture
def process():
    proc = spawn(PERSISTENT)
    yield proc
    proc.kill()
    proc.wait()
    Path(agent.socket_path(proc.pid)).unlink(missing_ok=True)


def connect(pid: int) -> AgentConnection:
    return AgentConnection(agent.socket_path(pid))


def test_hello_says_who_answers(process: subprocess.Popen) -> None:
    conn = connect(process.pid)
    hello = conn.request({"cmd": "hello"})
    conn.close()
    assert hello["ok"] and hello["protocol"] == agent.PROTOCOL_VERSION and hello["pid"] == process.pid
    assert hello["memray"] and hello["memray_error"] is None and hello["tracking"] is False and hello["session"] is False
    assert hello["uid"] == os.getuid() and hello["python"] == sys.version.split()[0]
    mode = os.stat(os.path.dirname(agent.socket_path(process.pid))).st_mode & 0o777
    assert mode == 0o700


def test_a_session_is_held_by_its_connection_and_its_lease(process: subprocess.Popen, tmp_path: Path) -> None:
    owner = connect(process.pid)
    started = owner.request({"cmd": "start", "file": str(tmp_path / "a.bin"), "trace_python_allocators": True, "lease_seconds": 2})
    assert started["ok"], started
    other = connect(process.pid)
    refused = other.request({"cmd": "start", "file": str(tmp_path / "b.bin")})
    assert not refused["ok"] and "already tracked" in refused["error"]
    assert not other.request({"cmd": "stop"})["ok"]  # only the session's own connection stops it
    for _ in range(4):  # renewed: it outlives its first lease
        time.sleep(0.8)
        assert owner.request({"cmd": "renew", "lease_seconds": 2})["ok"]
    assert other.request({"cmd": "status"})["tracking"] is True
    stopped = owner.request({"cmd": "stop"})
    assert stopped["ok"] and stopped["bytes"] > 0 and stopped["reason"] == "stop"
    assert other.request({"cmd": "status"})["tracking"] is False
    owner.close()
    other.close()


def test_a_lease_that_is_not_renewed_ends_the_session(process: subprocess.Popen, tmp_path: Path) -> None:
    owner = connect(process.pid)
    assert owner.request({"cmd": "start", "file": str(tmp_path / "a.bin"), "lease_seconds": 0.5})["ok"]
    time.sleep(2)
    status = connect(process.pid).request({"cmd": "status"})
    assert status["tracking"] is False and "lease expired" in status["last_stop"]["reason"]
    assert (tmp_path / "a.bin").stat().st_size > 0
    owner.close()


def test_what_the_agent_refuses(process: subprocess.Popen) -> None:
    conn = connect(process.pid)
    assert "unknown command" in conn.request({"cmd": "detach"})["error"]
    assert "absolute path" in conn.request({"cmd": "start", "file": "relative.bin"})["error"]
    assert "lease_seconds" in conn.request({"cmd": "start", "file": "/tmp/x.bin", "lease_seconds": -1})["error"]
    conn._sock.sendall(b"not json\n")
    assert conn._reader.readline().startswith(b'{"ok": false, "error": "not a JSON object')
    conn.close()


def test_a_one_session_agent_closes_after_its_session_or_when_nobody_comes(tmp_path: Path) -> None:
    idle = spawn(ONE_SESSION, "1")
    used = spawn(ONE_SESSION, "60")
    try:
        conn = connect(used.pid)
        assert conn.request({"cmd": "hello"})["session"] is True
        assert conn.request({"cmd": "start", "file": str(tmp_path / "s.bin"), "lease_seconds": 10})["ok"]
        assert conn.request({"cmd": "stop"})["ok"]
        conn.close()
        deadline = time.monotonic() + 10
        while (os.path.exists(agent.socket_path(used.pid)) or os.path.exists(agent.socket_path(idle.pid))) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not os.path.exists(agent.socket_path(used.pid))
        assert not os.path.exists(agent.socket_path(idle.pid))
        assert used.poll() is None and idle.poll() is None  # the processes run on
    finally:
        for p in (idle, used):
            p.kill()
            p.wait()
