"""Helpers: run the real harness in a subprocess (real memray) on small scripts in tmp_path.

Every config a test writes is complete (every key of core's harness-config schema, as TypeScript
fills them) and valid against that schema; every file a run writes is checked against its schema.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest
from schema_check import assert_summary, assert_valid

from memray_harness.contract import contract

PYTHON_DIR = Path(__file__).resolve().parents[1]
RUNNER = PYTHON_DIR / "memray-runner.py"
# The memray CLI flamegraphs cost ~3 s per run; tests ask for them by name when they need them.
SLOW_GENERATOR = "memray-flamegraph"

# Files the harness writes -> the checked-in schema each must satisfy (file names from contract.json).
OUTPUT_SCHEMAS = {
    "summary.json": "summary",
    contract().artifact("table_json").file: "table",
    contract().artifact("stats_json").file: "stats",
    contract().artifact("objects_json").file: "objects",
}


def fast_reports(mode: str) -> list[str]:
    """The mode's reports (contract.json), without the slow memray flamegraphs."""
    return [r for r in contract().mode(mode).reports if contract().report(r).generator != SLOW_GENERATOR]


def base_config(mode: str, out_dir: Path, requests_file: Path) -> dict[str, Any]:
    """Every key of harness-config.schema.json, filled as TypeScript fills it for `mode` (plus fast
    reports). test_contract checks the keys against the schema's `required` list."""
    rule = contract().mode(mode)
    cfg: dict[str, Any] = {
        "mode": mode,
        "run_id": "test-run",
        "out_dir": str(out_dir),
        "artifact_prefix": "runs/test-run",
        "script": None,
        "script_path": None,
        "script_args": [],
        "app": None,
        "app_dir": None,
        "modules": [],
        "endpoint": {"path": "/", "method": "GET", "body": None, "headers": {}},
        "requests": rule.defaults.requests,
        "delay_seconds": rule.defaults.delay_seconds,
        "native_traces": True,
        "trace_python_allocators": True,
        "allow_no_memray": False,
        "install_requirements": True,
        "requests_file": str(requests_file),
        "reports": fast_reports(mode),
        "live_port": contract().defaults.live_port,
        "service_port": 0 if rule.workload == "serve" else None,
        "timeout_seconds": None,
        "target": {"kind": "local", "name": "local", "python": sys.executable, "service_port": None},
        "host_artifacts": ["harness_log"],
        "host_sections_wait_seconds": None,
        "host_warnings": [],
        "tracemalloc": False,
        "attach": None,
        "scratch_dir": None,
    }
    cfg.update(rule.forces)
    return cfg


def write_config(tmp_path: Path, overrides: dict[str, Any]) -> Path:
    """config.json in tmp_path: base_config of overrides["mode"] (default script) + overrides
    (`endpoint` merged key by key), validated against the config schema like zod would."""
    full = base_config(overrides.get("mode", "script"), tmp_path / "out", tmp_path / "requests.json")
    endpoint = dict(full["endpoint"], **overrides.get("endpoint", {}))
    full.update(overrides)
    full["endpoint"] = endpoint
    assert_valid(full, "harness-config")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(full))
    return path


def check_outputs(out_dir: Path) -> None:
    """Every file the harness wrote that has a checked-in schema satisfies it."""
    for name, schema in OUTPUT_SCHEMAS.items():
        path = out_dir / name
        if path.exists():
            data = json.loads(path.read_text())
            assert_summary(data) if schema == "summary" else assert_valid(data, schema)


@dataclass
class Result:
    rc: int
    out_dir: Path
    stdout: str
    stderr: str

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.out_dir / "summary.json").read_text())

    def text(self, name: str) -> str:
        return (self.out_dir / name).read_text()

    def events(self) -> list[dict[str, Any]]:
        return [event for event in map(parse_event, self.stderr.splitlines()) if event is not None]


EVENT_PREFIX = "@memray-harness "


def parse_event(line: str) -> Optional[dict[str, Any]]:
    """The harness's progress event on this stderr line, or None."""
    return json.loads(line[len(EVENT_PREFIX) :]) if line.startswith(EVENT_PREFIX) else None


def wait_for_event(proc: subprocess.Popen, event: str) -> dict[str, Any]:
    """Read the harness's stderr until the named event comes."""
    for line in proc.stderr:  # type: ignore[union-attr]
        parsed = parse_event(line)
        if parsed is not None and parsed["event"] == event:
            return parsed
    raise AssertionError("harness exited before the %s event" % event)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_with(pythonpath: Optional[list[str]] = None) -> dict[str, str]:
    env = dict(os.environ)
    parts = [str(p) for p in (pythonpath or [])] + [str(PYTHON_DIR)]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def write_script(dir_: Path, name: str, body: str) -> Path:
    path = dir_ / name
    path.write_text(textwrap.dedent(body).lstrip())
    return path


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError("%r not in %s" % (needle, path))


def harness_argv(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "memray_harness", "--config", str(config), *extra]


def start_harness(config: Path, cwd: Path, *extra: str, stdout: Any = subprocess.PIPE) -> subprocess.Popen:
    """`python -m memray_harness --config` left running (stderr, and by default stdout, piped as text)."""
    return subprocess.Popen(harness_argv(config, *extra), cwd=str(cwd), env=env_with(), stdout=stdout, stderr=subprocess.PIPE, text=True)


def start_holding_stdin(config: Path, cwd: Path) -> subprocess.Popen:
    """The harness as the host starts it where it can: stdin a pipe held open (`--host-stdin`)."""
    pipe = subprocess.PIPE
    return subprocess.Popen(harness_argv(config, "--host-stdin"), cwd=str(cwd), env=env_with(), stdin=pipe, stdout=pipe, stderr=pipe, text=True)


def lose_host(proc: subprocess.Popen, timeout: float = 120) -> None:
    """The host gone: the stdin it held closes; the harness is left to finish alone."""
    proc.stdin.close()  # type: ignore[union-attr]
    proc.stdin = None  # communicate() must not flush it
    proc.communicate(timeout=timeout)


def resume_harness(config: Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """`memray-cli recover`'s harness (--resume) over the run config's out_dir."""
    return subprocess.run(harness_argv(config, "--resume"), cwd=str(cwd), env=env_with(), capture_output=True, text=True, timeout=timeout)


def run_harness(config: Path, cwd: Path, pythonpath: Optional[list[str]] = None, timeout: float = 120) -> Result:
    proc = subprocess.run(
        harness_argv(config),
        cwd=str(cwd),
        env=env_with(pythonpath),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    result = Result(proc.returncode, cwd / "out", proc.stdout, proc.stderr)  # write_config's out_dir
    check_outputs(result.out_dir)
    return result


@pytest.fixture
def harness(tmp_path: Path):
    """harness(config_overrides) -> Result, via `python -m memray_harness --config`."""

    def run(cfg: dict[str, Any], pythonpath: Optional[list[str]] = None, timeout: float = 120) -> Result:
        return run_harness(write_config(tmp_path, cfg), tmp_path, pythonpath, timeout)

    return run


@pytest.fixture
def runner(tmp_path: Path):
    """runner(args) -> Result, via the standalone memray-runner.py."""

    def run(args: list[str], out_dir: Optional[Path] = None, timeout: float = 120) -> Result:
        out = out_dir or tmp_path / "out"
        proc = subprocess.run(
            [sys.executable, str(RUNNER), "--out", str(out)] + args,
            cwd=str(tmp_path),
            env=env_with(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        check_outputs(out)
        return Result(proc.returncode, out, proc.stdout, proc.stderr)

    return run
