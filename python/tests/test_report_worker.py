"""The flamegraph reports (report engine; report_worker for flags it does not know): files made, failures isolated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import memray

from memray_harness.contract import contract
from memray_harness.reports.generators import FLAMEGRAPH
from memray_harness.reports.make_reports import make_reports

FLAMEGRAPHS = [r.name for r in contract().reports.values() if r.generator == FLAMEGRAPH]


def _capture(tmp_path: Path) -> Path:
    script = tmp_path / "work.py"
    script.write_text("blocks = [bytearray(64 * 1024) for _ in range(64)]\n")
    session = tmp_path / "session.bin"
    subprocess.run([sys.executable, "-m", "memray", "run", "--trace-python-allocators", "-q", "-o", str(session), str(script)], check=True, capture_output=True)
    return session


def test_every_flamegraph_is_made(tmp_path: Path, capfd) -> None:
    session = _capture(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = make_reports(memray, str(session), str(out), FLAMEGRAPHS, leaked_table=False)
    assert result.warnings == []
    for name in FLAMEGRAPHS:
        html = (out / contract().report(name).file).read_text()
        assert "work.py" in html, name
    events = capfd.readouterr().err
    for name in FLAMEGRAPHS:
        assert '"name": "%s", "ok": true' % name in events


def test_a_failing_report_is_a_warning_naming_it(tmp_path: Path, capfd) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = make_reports(memray, str(tmp_path / "missing.bin"), str(out), FLAMEGRAPHS, leaked_table=False)
    assert sorted(w.split()[1] for w in result.warnings) == sorted(FLAMEGRAPHS)
    assert '"ok": false' in capfd.readouterr().err
