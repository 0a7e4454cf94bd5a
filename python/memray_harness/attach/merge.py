"""What the processes' captures say together. memray cannot merge captures of several processes;
these are the harness's merges, of what each capture's reports already say.

* Top allocators: every process's allocation sites (its table.json, else its top_allocators), the
  same site (`file` + `function`) summed over the processes, `processes` = the pids it came from
  (largest share first), largest first.
* The heap per request: memray writes a memory snapshot every 10 ms in each tracked process (wall
  clock, ms since the epoch; the heap memray tracks there). The heap after request i in one process
  is its first snapshot after the request ended, provided it came before request i+1 started (the
  requests leave heap_growth.SETTLE_SECONDS between them for that), else unknown; the run's
  `heap_after` is the sum over the processes (unknown when one process's is), `heap_before` of
  request 1 their last snapshots before it started. Which process served a request is known when
  its heap moved and the others' did not (`served_by`).
* Growth sites (full captures only: an aggregated one keeps no allocation history): the allocation
  sites whose live bytes grew over the requests after the warm-up, summed over the processes, as
  analysis/heap_growth.py finds them in one capture (its snapshot points and live bytes per site).
"""

from __future__ import annotations

import bisect
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ..analysis import heap_growth

TOP_ALLOCATORS = 10
MOVED_KB = 1.0  # a process's heap "moved" during a request by more than this (leak_verdict's heap GREW_ABOVE_KB)


# -- top allocators ------------------------------------------------------------------------------------
def sites_of(table_json: Optional[str], top_allocators: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, float, int]]:
    """(file, function, size_kb, count) of every site of a process: all of table.json when it was made."""
    if table_json and os.path.isfile(table_json):
        try:
            with open(table_json, encoding="utf-8") as f:
                data = json.load(f)
            return [(s["site"], s.get("function") or "", s["size_bytes"] / 1024.0, int(s["count"])) for s in data.get("sites", [])]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return [(a["file"], a.get("function") or "", float(a["size_kb"]), int(a["count"])) for a in top_allocators]


def merge_top_allocators(per_process: Mapping[int, Sequence[tuple[str, str, float, int]]], limit: int = TOP_ALLOCATORS) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for pid, sites in per_process.items():
        for file, function, size_kb, count in sites:
            entry = merged.setdefault((file, function), {"size_kb": 0.0, "count": 0, "by_pid": {}})
            entry["size_kb"] += size_kb
            entry["count"] += count
            entry["by_pid"][pid] = entry["by_pid"].get(pid, 0.0) + size_kb
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1]["size_kb"], kv[0]))
    out = []
    for (file, function), entry in ordered[:limit]:
        pids = sorted(entry["by_pid"], key=lambda p: (-entry["by_pid"][p], p))
        out.append({"file": file, "size_kb": round(entry["size_kb"], 1), "count": entry["count"], "function": function, "processes": pids})
    return out


# -- the heap per request --------------------------------------------------------------------------------
@dataclass
class HeapSeries:
    """One process's memory snapshots: times (ms since the epoch) and heap (bytes)."""

    times: list[int] = field(default_factory=list)
    heap: list[int] = field(default_factory=list)


def heap_series(memray: Any, session: str) -> HeapSeries:
    reader = memray.FileReader(session)
    try:
        snaps = list(reader.get_memory_snapshots())
    finally:
        reader.close()
    return HeapSeries([int(s.time) for s in snaps], [int(s.heap) for s in snaps])


def _ms(seconds: float) -> int:
    return int(math.floor(seconds * 1000.0))


def _window(r: Mapping[str, Any]) -> Optional[tuple[float, float]]:
    s, e = r.get("started_at"), r.get("ended_at")
    if not isinstance(s, (int, float)) or not isinstance(e, (int, float)) or e < s:
        return None
    return float(s), float(e)


def _after(series: HeapSeries, end: float, next_start: Optional[float]) -> Optional[int]:
    k = bisect.bisect_right(series.times, _ms(end))
    if k >= len(series.times) or (next_start is not None and series.times[k] + 1 > _ms(next_start)):
        return None
    return series.heap[k]


def _before(series: HeapSeries, start: float) -> Optional[int]:
    k = bisect.bisect_left(series.times, _ms(start)) - 1
    return series.heap[k] if k >= 0 else None


def apply_heap(requests: list[dict[str, Any]], series: Mapping[int, HeapSeries]) -> int:
    """requests[i].heap_before/heap_after/heap_delta (KB, summed over the processes) and served_by,
    in place; returns how many requests got no heap value."""
    windows = [_window(r) for r in requests]
    unmeasured = 0
    prev: dict[int, Optional[int]] = {}
    first = windows[0] if windows else None
    for pid, s in series.items():
        prev[pid] = _before(s, first[0]) if first else None
    prev_total = _total(prev)
    for i, r in enumerate(requests):
        w = windows[i]
        nxt = next((x[0] for x in windows[i + 1 :] if x is not None), None)
        after = {pid: (_after(s, w[1], nxt) if w else None) for pid, s in series.items()}
        total = _total(after)
        if total is None:
            unmeasured += 1 if w else 0
            r["heap_before"], r["heap_after"], r["heap_delta"] = None, None, None
            r["served_by"] = None
        else:
            r["heap_before"] = round(prev_total / 1024.0, 1) if prev_total is not None else None
            r["heap_after"] = round(total / 1024.0, 1)
            r["heap_delta"] = round((total - prev_total) / 1024.0, 1) if prev_total is not None else None
            r["served_by"] = served_by(prev, after)
        prev, prev_total = after, total
    return unmeasured


def _total(values: Mapping[int, Optional[int]]) -> Optional[int]:
    if not values or any(v is None for v in values.values()):
        return None
    return sum(v for v in values.values() if v is not None)


def served_by(before: Mapping[int, Optional[int]], after: Mapping[int, Optional[int]]) -> Optional[int]:
    """The one process whose heap moved (by more than MOVED_KB) while the others' did not; None otherwise."""
    moved = []
    for pid, a in after.items():
        b = before.get(pid)
        if a is None or b is None:
            return None
        if abs(a - b) / 1024.0 > MOVED_KB:
            moved.append(pid)
    return moved[0] if len(moved) == 1 else None


# -- growth sites ----------------------------------------------------------------------------------------
def _measured(memray: Any, session: str, requests: Sequence[Mapping[str, Any]]) -> tuple[dict[int, int], dict[heap_growth.SiteKey, list[int]]]:
    """({request index: column}, {site: live bytes per column}) of one capture; column 0 before request 1."""
    reader = memray.FileReader(session)
    try:
        times = [int(s.time) for s in reader.get_memory_snapshots()]
        before, ends, _ = heap_growth.snapshot_points(times, requests)
        anchors = {-1: before} if before is not None else {}
        anchors.update(ends)
        points = sorted(set(anchors.values()))
        if not points:
            return {}, {}
        by_site, _ = heap_growth.live_by_site(reader, points)
    finally:
        reader.close()
    by_site.pop(heap_growth.HARNESS, None)
    col = {p: j for j, p in enumerate(points)}
    return {i: col[k] for i, k in anchors.items()}, by_site


def growth_sites(memray: Any, sessions: Mapping[int, str], requests: Sequence[Mapping[str, Any]], warmup: int) -> list[dict[str, Any]]:
    """summary.growth_sites over the processes: growth from the end of the warm-up (or before request 1)
    to the last request every process measured, biggest first."""
    per_process = {pid: _measured(memray, session, requests) for pid, session in sessions.items()}
    common = sorted(set.intersection(*(set(cols) for cols, _ in per_process.values()))) if per_process else []
    window = [i for i in common if i >= warmup - 1]
    if len(window) < 2:
        return []
    start, end = window[0], window[-1]
    sites: dict[heap_growth.SiteKey, list[int]] = {}
    for cols, by_site in per_process.values():
        for site, live in by_site.items():
            acc = sites.setdefault(site, [0] * len(window))
            for j, i in enumerate(window):
                acc[j] += live[cols[i]]
    grown = sorted(
        ((live[-1] - live[0], site) for site, live in sites.items() if live[-1] - live[0] >= heap_growth.MIN_SITE_GROWTH), key=lambda t: (-t[0], t[1])
    )
    out = []
    for growth, (site, function) in grown[: heap_growth.GROWTH_SITES]:
        live = sites[(site, function)]
        out.append(
            {
                "site": site,
                "function": function,
                "growth_kb": round(growth / 1024.0, 1),
                "kb_per_request": round(growth / 1024.0 / (end - start), 1),
                "requests_grew": sum(1 for a, b in zip(live, live[1:]) if b > a),
                "requests": len(window) - 1,
            }
        )
    return out
