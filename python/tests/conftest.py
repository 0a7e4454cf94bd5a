"""Helpers: run the real harness in a subprocess (real memray) on small scripts in tmp_path."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
RUNNER = PYTHON_DIR / "memray-runner.py"
FAST_REPORTS = ["table", "tree"]  # in-process only; the memray CLI reports cost ~3 s per run


@dataclass
class Result:
    rc: int
    out_dir: Path
    stdout: str
    stderr: str

    @property
    def summary(self) -> Dict[str, Any]:
        return json.loads((self.out_dir / "summary.json").read_text())

    def text(self, name: str) -> str:
        return (self.out_dir / name).read_text()

    def events(self) -> List[Dict[str, Any]]:
        prefix = "@memray-harness "
        return [json.loads(l[len(prefix):]) for l in self.stderr.splitlines() if l.startswith(prefix)]


def env_with(pythonpath: Optional[List[str]] = None) -> Dict[str, str]:
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


@pytest.fixture
def harness(tmp_path: Path):
    """harness(config_overrides) -> Result, via `python -m memray_harness --config`."""

    def run(cfg: Dict[str, Any], pythonpath: Optional[List[str]] = None, timeout: float = 120) -> Result:
        out_dir = tmp_path / "out"
        full = {
            "run_id": "test-run",
            "out_dir": str(out_dir),
            "artifact_prefix": "runs/test-run",
            "requests_file": str(tmp_path / "requests.json"),
            "reports": FAST_REPORTS,
        }
        full.update(cfg)
        config = tmp_path / "config.json"
        config.write_text(json.dumps(full))
        proc = subprocess.run(
            [sys.executable, "-m", "memray_harness", "--config", str(config)],
            cwd=str(tmp_path), env=env_with(pythonpath), capture_output=True, text=True, timeout=timeout,
        )
        return Result(proc.returncode, out_dir, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def runner(tmp_path: Path):
    """runner(args) -> Result, via the standalone memray-runner.py."""

    def run(args: List[str], out_dir: Optional[Path] = None, timeout: float = 120) -> Result:
        out = out_dir or tmp_path / "out"
        proc = subprocess.run(
            [sys.executable, str(RUNNER), "--out", str(out)] + args,
            cwd=str(tmp_path), env=env_with(), capture_output=True, text=True, timeout=timeout,
        )
        return Result(proc.returncode, out, proc.stdout, proc.stderr)

    return run
