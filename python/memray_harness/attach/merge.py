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

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ..analysis import heap_growth, leak_verdict

TOP_ALLOCATORS = 10
MOVED_KB = leak_verdict.GREW_ABOVE_KB["heap"]  # a process's heap "moved" during a request by more than this


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


Measured = tuple[dict[int, int], dict[heap_growth.SiteKey, list[int]]]


def read_capture(
    memray: Any, session: str, requests: Sequence[Mapping[str, Any]], sites: bool
) -> tuple[HeapSeries, Optional[Measured], Optional[BaseException]]:
    """One process's capture, opened once (opening reads it whole): its heap series and, with `sites`,
    its live bytes per site at the requests' snapshot points (`_measured`). What stopped the sites (an
    error, or a signal: KeyboardInterrupt) is returned, for the growth-sites step to fail or be
    abandoned alone; the heap series still counts."""
    reader = memray.FileReader(session)
    try:
        snaps = list(reader.get_memory_snapshots())
        series = HeapSeries([int(s.time) for s in snaps], [int(s.heap) for s in snaps])
        measured, stopped = None, None
        if sites:
            try:
                measured = _measured(reader, series.times, requests)
            except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001
                stopped = exc
    finally:
        reader.close()
    return series, measured, stopped


def apply_heap(requests: list[dict[str, Any]], series: Mapping[int, HeapSeries]) -> int:
    """requests[i].heap_before/heap_after/heap_delta (KB, summed over the processes) and served_by,
    in place; returns how many requests got no heap value. Each process's snapshots around the requests
    are heap_growth's snapshot points."""
    points = {pid: heap_growth.snapshot_points(s.times, requests) for pid, s in series.items()}
    prev = {pid: (series[pid].heap[before] if before is not None else None) for pid, (before, _, _) in points.items()}
    prev_total = _total(prev)
    unmeasured = 0
    for i, r in enumerate(requests):
        after = {pid: (series[pid].heap[ends[i]] if i in ends else None) for pid, (_, ends, _) in points.items()}
        total = _total(after)
        if total is None:
            unmeasured += 1 if heap_growth.request_window(r) else 0
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
def _measured(reader: Any, times: list[int], requests: Sequence[Mapping[str, Any]]) -> Measured:
    """({request index: column}, {site: live bytes per column}) of one capture; column 0 before request 1."""
    before, ends, _ = heap_growth.snapshot_points(times, requests)
    anchors = {-1: before} if before is not None else {}
    anchors.update(ends)
    points = sorted(set(anchors.values()))
    if not points:
        return {}, {}
    by_site, _ = heap_growth.live_by_site(reader, points)
    by_site.pop(heap_growth.HARNESS, None)
    col = {p: j for j, p in enumerate(points)}
    return {i: col[k] for i, k in anchors.items()}, by_site


def growth_sites(per_process: Mapping[int, Measured], warmup: int) -> list[dict[str, Any]]:
    """summary.growth_sites over the processes (read_capture's sites of each): growth from the end of
    the warm-up (or before request 1) to the last request every process measured, biggest first."""
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
