"""The summary's tracemalloc_* figures derived from memray's capture instead of running tracemalloc.

tracemalloc hooks CPython's three allocator domains (PyMem_RawMalloc, PyMem_Malloc, PyObject_Malloc)
and counts the bytes asked for in each block still live, from when it started. With
`trace_python_allocators=True` memray hooks the same three domains and records every call as a
PYMALLOC_MALLOC / _CALLOC / _REALLOC / _FREE event with the same requested size, from when the
Tracker started. Running both means every Python allocation pays two hooks (the 1.8-1.9x capture cost
the benchmark measured), so by default the figures come from memray's records:

* tracemalloc_current = bytes of Python-allocator blocks still live when tracking stopped (the
  leaked records of those allocators: exactly what memray saw);
* tracemalloc_peak = bytes of Python-allocator blocks live at the capture's high-water mark: at the
  overall high-water mark and, when the temporal flamegraph's read was made, at each ~10 ms
  snapshot's high-water mark, whichever is largest (never below current). The high-water marks are
  those of all memory memray tracks, so when native (malloc) allocations peak at another moment than
  the Python heap, this is a lower bound of the Python heap's own peak;
* tracemalloc_delta = tracemalloc_current: memray knows only the window's allocations, just as
  tracemalloc started at the window does.

What tracemalloc sees and memray does not: blocks an extension reports with PyTraceMalloc_Track
(numpy's array buffers) — memray records those as plain malloc. Measured against real tracemalloc on
the same workloads: tests/test_tracemalloc_source.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

# memray's AllocatorType values of the Python allocator domains (memray/_memray.pyx, stable since 1.0).
PYMALLOC_MALLOC, PYMALLOC_CALLOC, PYMALLOC_REALLOC = 2, 3, 4
PYTHON_ALLOCATORS = frozenset((PYMALLOC_MALLOC, PYMALLOC_CALLOC, PYMALLOC_REALLOC))


def _is_python(record: Any) -> bool:
    return int(record.allocator) in PYTHON_ALLOCATORS


def python_bytes(records: Iterable[Any]) -> int:
    """Bytes of the Python-allocator records of one snapshot (leaked or high-water-mark records)."""
    return sum(int(r.size) for r in records if _is_python(r))


def python_peak_by_snapshot(records: Iterable[Any], n_snapshots: int) -> int:
    """Largest Python-allocator bytes at any snapshot's high-water mark, from temporal records whose
    intervals [allocated_before_snapshot, deallocated_before_snapshot) hold n_bytes."""
    if n_snapshots <= 0:
        return 0
    diff = [0] * (n_snapshots + 1)
    for r in records:
        if not _is_python(r):
            continue
        for iv in r.intervals:
            start = int(iv.allocated_before_snapshot)
            end = iv.deallocated_before_snapshot
            if start >= n_snapshots:
                continue
            diff[start] += int(iv.n_bytes)
            if end is not None and int(end) < n_snapshots:
                diff[int(end)] -= int(iv.n_bytes)
    live = best = 0
    for k in range(n_snapshots):
        live += diff[k]
        best = max(best, live)
    return best


def from_records(read: str, records: list[Any], hwms: Optional[list[int]]) -> dict[str, int]:
    """This read's part of the derived figures."""
    if read == "leaked":
        return {"current": python_bytes(records)}
    if read == "high_watermark":
        return {"peak_at_high_watermark": python_bytes(records)}
    if read == "temporal_high_watermark" and hwms is not None:
        return {"peak_by_snapshot": python_peak_by_snapshot(records, len(hwms))}
    return {}


def combine(parts: dict[str, dict[str, int]]) -> Optional[dict[str, int]]:
    """{current, peak, delta} from the reads' parts; None when a part is missing."""
    current = parts.get("leaked", {}).get("current")
    peaks = [v for p in parts.values() for k, v in p.items() if k.startswith("peak")]
    if current is None or not peaks:
        return None
    peak = max(peaks + [current])
    return {"current": current, "peak": peak, "delta": current}
