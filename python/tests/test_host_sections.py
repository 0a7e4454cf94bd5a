"""The host's sections (signals) are handed over after the workload and merged into the one summary."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from conftest import check_outputs, start_harness, write_config, write_script

SIGNALS = {"wiremock": {"status": "ok", "files": ["wiremock-requests.json"], "duration_seconds": 0.1, "error": None}}


def _start(tmp_path: Path, wait: float) -> subprocess.Popen:
    script = write_script(tmp_path, "work.py", "blob = bytearray(1024 * 1024)\n")
    config = write_config(tmp_path, {"mode": "script", "script_path": str(script), "reports": ["table"], "host_sections_wait_seconds": wait})
    return start_harness(config, tmp_path)


def test_sections_written_after_the_workload_are_merged_and_the_file_removed(tmp_path: Path) -> None:
    proc = _start(tmp_path, 30)
    out_dir = tmp_path / "out"
    seen = []
    for line in proc.stderr:  # type: ignore[union-attr]
        seen.append(line)
        if '"workload-done"' in line:
            break
    assert any('"workload-done"' in line for line in seen), seen
    time.sleep(0.3)  # the harness is now waiting (or making reports)
    # A partial file first (a non-atomic copy), then the whole one.
    target = out_dir / "host-sections.json"
    target.write_text('{"signals": {')
    time.sleep(0.3)
    target.write_text(
        json.dumps({"signals": SIGNALS, "artifacts": {"wiremock_requests": "runs/x/wiremock-requests.json"}, "warnings": ["one collector was slow"]})
    )
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["signals"] == SIGNALS
    assert summary["artifacts"]["wiremock_requests"] == "runs/x/wiremock-requests.json"
    assert "one collector was slow" in summary["warnings"]
    assert not target.exists()
    check_outputs(out_dir)


def test_sections_that_never_come_are_a_warning_not_a_failure(tmp_path: Path) -> None:
    proc = _start(tmp_path, 0.5)
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "signals" not in summary
    assert any("signals did not arrive" in w for w in summary["warnings"])
