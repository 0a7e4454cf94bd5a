"""The shipped example test case, and the Python >= 3.9 promise (when a 3.9 interpreter exists)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional

import pytest
from conftest import PYTHON_DIR, check_outputs, env_with, line_of, write_config, write_script

EXAMPLE = PYTHON_DIR.parent / "test-cases" / "example-sequential-requests.py"


def test_example_sequential_requests(harness) -> None:
    res = harness({"mode": "script", "script_path": str(EXAMPLE), "script": "test-cases/example-sequential-requests.py", "reports": ["table"]})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert s["top_allocators"][0]["file"].endswith("example-sequential-requests.py:%d" % line_of(EXAMPLE, "payload = bytearray("))
    assert [r["request_num"] for r in s["requests"]] == [1, 2, 3, 4, 5]
    assert all(r["status"] == 200 and r["rss_after"] > 0 for r in s["requests"])
    assert s["leak_indicators"]["likely_leak"] is True


def _python39() -> Optional[str]:
    candidates = [shutil.which("python3.9")] + sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python")))
    for c in candidates:
        if c and subprocess.run([c, "-c", "import sys; assert sys.version_info[:2] == (3, 9)"], capture_output=True).returncode == 0:
            return c
    return None


def test_harness_runs_on_python39_without_memray(tmp_path: Path) -> None:
    py39 = _python39()
    if py39 is None:
        pytest.skip("no Python 3.9 interpreter here")
    script = write_script(tmp_path, "job.py", "blob = bytearray(2 * 1024 * 1024)\n")
    config = write_config(tmp_path, {"mode": "script", "script_path": str(script), "allow_no_memray": True})
    proc = subprocess.run(
        [py39, "-m", "memray_harness", "--config", str(config)], cwd=str(tmp_path), env=env_with(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    check_outputs(tmp_path / "out")
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["profiling"]["python_version"].startswith("3.9")
    assert s["memory"]["tracemalloc_peak"] >= 2 * 1024 * 1024
