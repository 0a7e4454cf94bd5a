"""memory.tracemalloc_*: derived from memray's capture by default, real tracemalloc when asked or needed.

The derived figures are compared with real tracemalloc run on the same workload (a separate process
without memray, measuring around the script exactly like the harness's window). Tolerance: 64 KiB
plus 1% of the reference — what the harness itself allocates inside the window (its script runner,
the requests-file check) is counted by memray but not by the bare reference. Measured (Python 3.11,
memray 1.20): the difference is +17 KiB to +34 KiB on every workload below (0.05-0.3%); `pytest -s`
prints it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import write_script

TOLERANCE_BYTES = 64 * 1024
TOLERANCE_FRACTION = 0.01

WORKLOADS = {
    # many small objects, half of them kept
    "small_objects": """
        records = [{"id": i, "name": "item-%d" % i, "tags": (i, i + 1)} for i in range(100000)]
        kept = records[::2]
        del records
    """,
    # buffers of several MiB (above pymalloc's 512-byte limit: PyMem_RawMalloc underneath)
    "large_buffers": """
        buffers = [bytearray(4 * 1024 * 1024) for _ in range(6)]
        del buffers[1:3]
        blob = bytes(3 * 1024 * 1024)
    """,
    # memory freed and reallocated: a freed 31 MB list, growing list/bytes (realloc), a 48 MiB spike
    "freed_and_reallocated": """
        big = [bytes(1000) for _ in range(30000)]
        del big
        mid = [bytes(500) for _ in range(20000)]
        grow = []
        for i in range(20000):
            grow.append(i * 2)
        s = b""
        for i in range(3000):
            s += b"y" * 100
        spike = bytearray(48 * 1024 * 1024)
        del spike
    """,
    # allocations made by C extension modules: json's encoder/decoder, zlib's stream state, array
    "c_extensions": """
        import array, json, zlib
        data = json.dumps([{"k": i, "v": [i] * 5} for i in range(40000)])
        packed = zlib.compress(data.encode(), 6)
        compressors = [zlib.compressobj(9) for _ in range(8)]
        doubles = array.array("d", range(400000))
        parsed = json.loads(data)
    """,
}

# Real tracemalloc around the script, in a process that never imports memray.
REFERENCE = """
import gc, json, sys, tracemalloc
path = sys.argv[1]
code = compile(open(path).read(), path, "exec")
g = {"__name__": "__main__", "__file__": path}
gc.collect()
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
tracemalloc.reset_peak()
exec(code, g)
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({"current": current - before, "peak": peak - before}))
"""


def reference(script: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", REFERENCE, str(script)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def close(derived: int, real: int) -> bool:
    return abs(derived - real) <= TOLERANCE_BYTES + TOLERANCE_FRACTION * real


def run_script(harness, script: Path, **config):
    """The harness in script mode on `script` (no reports unless `config` says so); it must succeed."""
    res = harness({"mode": "script", "script_path": str(script), "reports": [], **config})
    assert res.rc == 0, res.stderr
    return res.summary


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_derived_figures_are_close_to_real_tracemalloc(tmp_path: Path, harness, name: str) -> None:
    script = write_script(tmp_path, "%s.py" % name, textwrap.dedent(WORKLOADS[name]))
    real = reference(script)
    m = run_script(harness, script)["memory"]
    assert m["tracemalloc_source"] == "memray"
    assert m["tracemalloc_delta"] == m["tracemalloc_current"]  # both count the window only
    assert m["tracemalloc_peak"] >= m["tracemalloc_current"]
    # `pytest -s` shows how close they are: derived - real, in KiB and % of real.
    for key in ("current", "peak"):
        diff = m["tracemalloc_" + key] - real[key]
        print(
            "%s %s: derived %d real %d diff %+.1f KiB (%+.2f%%)"
            % (name, key, m["tracemalloc_" + key], real[key], diff / 1024, 100.0 * diff / max(real[key], 1))
        )
    assert close(m["tracemalloc_current"], real["current"]), (m, real)
    assert close(m["tracemalloc_peak"], real["peak"]), (m, real)


def test_tracemalloc_true_runs_real_tracemalloc(tmp_path: Path, harness) -> None:
    script = write_script(tmp_path, "job.py", "blob = bytearray(6 * 1024 * 1024)\n")
    m = run_script(harness, script, tracemalloc=True)["memory"]
    assert m["tracemalloc_source"] == "tracemalloc"
    assert close(m["tracemalloc_delta"], 6 * 1024 * 1024)


def test_without_python_allocator_records_tracemalloc_runs(tmp_path: Path, harness) -> None:
    """trace_python_allocators off: memray's capture has no Python-allocator records to derive from."""
    script = write_script(tmp_path, "job.py", "blob = bytearray(6 * 1024 * 1024)\n")
    m = run_script(harness, script, trace_python_allocators=False)["memory"]
    assert m["tracemalloc_source"] == "tracemalloc"
    assert m["tracemalloc_peak"] >= 6 * 1024 * 1024


def test_every_capture_has_total_bytes_allocated(tmp_path: Path, harness) -> None:
    """memray_stats is complete without the stats report (issue 12, item 6)."""
    script = write_script(tmp_path, "job.py", "blobs = [bytes(1024) for _ in range(2000)]\n")
    stats = run_script(harness, script, reports=["table"])["memray_stats"]
    assert stats["total_bytes_allocated"] >= 2000 * 1024
    assert stats["total_allocations"] >= 2000
    assert stats["peak_memory"] >= 2000 * 1024
