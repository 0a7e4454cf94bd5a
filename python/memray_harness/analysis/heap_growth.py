"""Heap growth per request, from the capture: how much heap each request left behind, and where.

memray writes a memory record every 10 ms while it tracks (wall clock, milliseconds since the epoch).
`FileReader.get_memory_snapshots()` returns one snapshot per record, and
`FileReader.get_temporal_allocation_records()` returns, per allocation location (stack), intervals
`[allocated_before_snapshot, deallocated_before_snapshot)` in the same snapshot indices: the interval's
`n_bytes` are live at snapshot k when allocated_before_snapshot <= k < deallocated_before_snapshot
(None: never freed). Summed over every location, that is memray's own `heap` of each snapshot.

Each request knows its window (`started_at`, `ended_at`: time.time() around the app in the server
thread, or written by a script). The heap at the END of request i is read at the first snapshot taken
after `ended_at` (after `measured_at` when present: the sequence workload runs gc.collect() after each
request, so garbage waiting for the cyclic collector is not counted as growth) — provided it was taken
before request i+1 started (the sequence workload leaves at least SETTLE_SECONDS between requests for
that); otherwise that request gets no heap value (`null`) rather than a wrong one. The heap BEFORE
request 1 is the last snapshot before it started.

`heap_after` is the heap of the workload: what the harness allocates itself (its per-request records,
its HTTP client, the in-process server's handling around the app) is not counted. All heap values are
in KB, like the seed's rss_* fields.

Growth sites: allocation sites (innermost Python frame: file:line, function) whose live bytes grew
between two points. `requests[i].heap_sites` lists them for the TOP_REQUESTS requests that grew most;
`growth_sites` lists them over the analysed window (after the warm-up request), biggest first, with
the growth per request and on how many requests each site grew.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ..paths import is_harness_allocation, site_of

# memray writes a memory record every 10 ms: a pause of this length after a request makes sure one
# falls between two requests even on a busy host (see workloads/endpoint.py).
SETTLE_SECONDS = 0.05
TOP_REQUESTS = 3  # requests whose growth sites are listed
SITES_PER_REQUEST = 5
GROWTH_SITES = 10
MIN_SITE_GROWTH = 103  # bytes: smaller growth rounds to 0.1 KB and is not listed
NO_PYTHON_FRAME = "<no Python frame>"
HARNESS = ("<memray-harness>", "")  # the harness's own allocations: never a growth site, not in heap_*

SiteKey = tuple[str, str]  # (site "file:line", function)


def _ms(seconds: float) -> int:
    return int(math.floor(seconds * 1000.0))


def _time(v: Any) -> Optional[float]:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return float(v) if ok else None


def request_window(r: dict[str, Any]) -> Optional[tuple[float, float]]:
    """(start, the time from which the heap after the request is read): its end, or `measured_at` when
    the harness collected garbage after it."""
    s, e, m = _time(r.get("started_at")), _time(r.get("ended_at")), _time(r.get("measured_at"))
    if s is None or e is None or e < s:
        return None
    return s, max(e, m) if m is not None else e


@dataclass
class HeapGrowth:
    """What the capture says about the requests (all sizes in KB)."""

    heap_before: Optional[float] = None  # before request 1
    heap_after: dict[int, float] = field(default_factory=dict)  # request index -> heap at its end
    # request index -> [{site, function, growth_kb}] for the requests that grew most
    request_sites: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    growth_sites: list[dict[str, Any]] = field(default_factory=list)
    unmeasured: int = 0  # requests with a window but no snapshot between it and the next request
    snapshots: int = 0


def snapshot_points(times: Sequence[int], requests: Sequence[dict[str, Any]]) -> tuple[Optional[int], dict[int, int], int]:
    """(snapshot index before request 1 or None, {request index: snapshot index at its end}, unmeasured)."""
    windows = [request_window(r) for r in requests]
    ends: dict[int, int] = {}
    unmeasured = 0
    for i, w in enumerate(windows):
        if w is None:
            continue
        k = bisect.bisect_right(times, _ms(w[1]))  # first snapshot strictly after the end (ms resolution)
        nxt = next((x for x in windows[i + 1 :] if x is not None), None)
        if k >= len(times) or (nxt is not None and times[k] + 1 > _ms(nxt[0])):
            unmeasured += 1
            continue
        ends[i] = k
    before: Optional[int] = None
    first = next((w for w in windows if w is not None), None)
    if first is not None and windows[0] is not None:
        k = bisect.bisect_left(times, _ms(first[0])) - 1  # last snapshot strictly before the start
        before = k if k >= 0 else None
    return before, ends, unmeasured


def _site(record: Any, cache: dict[int, Optional[SiteKey]]) -> Optional[SiteKey]:
    """The innermost Python frame of a location, or None when the harness made it."""
    key = record.stack_id
    if key in cache:
        return cache[key]
    try:
        frames = list(record.stack_trace())
    except Exception:
        frames = []
    if not frames:
        site: Optional[SiteKey] = (NO_PYTHON_FRAME, "")
    elif is_harness_allocation(frames):
        site = None
    else:
        function, filename, line = frames[0]
        site = (site_of(filename, line), function or "???")
    cache[key] = site
    return site


def live_by_site(reader: Any, points: Sequence[int]) -> tuple[dict[SiteKey, list[int]], list[int]]:
    """({site: live bytes at each point}, memray's heap at each point) for the sorted, distinct snapshot
    indices `points`, from an open FileReader. Harness-owned locations are summed under HARNESS."""
    snaps = list(reader.get_memory_snapshots())
    totals = [int(snaps[p].heap) for p in points]
    by_site: dict[SiteKey, list[int]] = {}
    cache: dict[int, Optional[SiteKey]] = {}
    n = len(points)
    for record in reader.get_temporal_allocation_records(merge_threads=True):
        live: Optional[list[int]] = None
        for iv in record.intervals:
            lo = bisect.bisect_left(points, iv.allocated_before_snapshot)
            end = iv.deallocated_before_snapshot
            hi = n if end is None else bisect.bisect_left(points, end)
            if lo >= hi:
                continue
            if live is None:
                live = [0] * n
            for j in range(lo, hi):
                live[j] += iv.n_bytes
        if live is None:
            continue
        site = _site(record, cache) or HARNESS
        acc = by_site.setdefault(site, [0] * n)
        for j in range(n):
            acc[j] += live[j]
    return by_site, totals


def _growth(by_site: dict[SiteKey, list[int]], a: int, b: int, limit: int) -> list[dict[str, Any]]:
    grown = [(live[b] - live[a], site) for site, live in by_site.items() if live[b] - live[a] >= MIN_SITE_GROWTH]
    grown.sort(key=lambda t: (-t[0], t[1]))
    return [{"site": s, "function": f, "growth_kb": round(g / 1024.0, 1)} for g, (s, f) in grown[:limit]]


def analyse(memray: Any, session: str, requests: Sequence[dict[str, Any]], warmup: int) -> Optional[HeapGrowth]:
    """Heap per request from the capture; None when no request has a window."""
    if not any(request_window(r) for r in requests):
        return None
    # One FileReader for both passes: opening one reads the whole capture (tens of seconds on big ones).
    reader = memray.FileReader(session)
    try:
        times = [int(s.time) for s in reader.get_memory_snapshots()]
        before, ends, unmeasured = snapshot_points(times, requests)
        out = HeapGrowth(unmeasured=unmeasured, snapshots=len(times))
        points = sorted(set(ends.values()) | ({before} if before is not None else set()))
        if not points:
            return out
        by_site, _ = live_by_site(reader, points)
    finally:
        reader.close()
    by_site.pop(HARNESS, None)
    col = {p: j for j, p in enumerate(points)}
    heap = [sum(live[j] for live in by_site.values()) for j in range(len(points))]
    if before is not None:
        out.heap_before = round(heap[col[before]] / 1024.0, 1)
    for i, k in ends.items():
        out.heap_after[i] = round(heap[col[k]] / 1024.0, 1)

    # Growth of each measured request against the point before it (previous request's end / before 1).
    prev_point: dict[int, int] = {}
    last = col[before] if before is not None else None
    for i in range(len(requests)):
        if i in ends:
            if last is not None:
                prev_point[i] = last
            last = col[ends[i]]
        else:
            last = None  # a request without a value: the next one has no "before" either
    grown = sorted(((heap[col[ends[i]]] - heap[p], i) for i, p in prev_point.items()), key=lambda t: (-t[0], t[1]))
    for growth, i in grown[:TOP_REQUESTS]:
        if growth > 0:
            out.request_sites[i] = _growth(by_site, prev_point[i], col[ends[i]], SITES_PER_REQUEST)

    # Over the window after the warm-up: from the end of the warm-up (or before request 1) to the last end.
    anchors = ([(-1, col[before])] if before is not None else []) + [(i, col[ends[i]]) for i in sorted(ends)]
    window = [(pos, c) for pos, c in anchors if pos >= warmup - 1]
    if len(window) >= 2:
        (s_pos, s_col), (e_pos, e_col) = window[0], window[-1]
        steps = [(prev_point[i], col[ends[i]]) for i in sorted(ends) if i > s_pos and i in prev_point]
        for entry in _growth(by_site, s_col, e_col, GROWTH_SITES):
            live = by_site[(entry["site"], entry["function"])]
            entry["kb_per_request"] = round(entry["growth_kb"] / (e_pos - s_pos), 1)
            entry["requests_grew"] = sum(1 for a, b in steps if live[b] > live[a])
            entry["requests"] = len(steps)
            out.growth_sites.append(entry)
    return out


def apply(requests: list[dict[str, Any]], growth: HeapGrowth) -> None:
    """requests[i].heap_before/heap_after/heap_delta (KB) and heap_sites, in place."""
    prev: Optional[float] = growth.heap_before
    for i, r in enumerate(requests):
        after = growth.heap_after.get(i)
        r["heap_before"] = prev if after is not None else None
        r["heap_after"] = after
        r["heap_delta"] = round(after - prev, 1) if after is not None and prev is not None else None
        if i in growth.request_sites:
            r["heap_sites"] = growth.request_sites[i]
        prev = after
