"""Leak verdict from per-request RSS: the seed's monotonic rule plus a least-squares trend.

RSS moves in pages and allocator arenas, so a real leak does not always grow RSS on every
single request; the slope/r² fit catches steady growth that the strict monotonic rule misses.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import finite

WARMUP_REQUESTS = 1          # first request loads caches/imports: not a leak signal
MIN_MONOTONIC_REQUESTS = 3   # below this, "grew every time" is too easy to hit by chance
MIN_FIT_SAMPLES = 3          # two points always fit a line perfectly
R_SQUARED_THRESHOLD = 0.8
GROWTH_FLOOR_KB = 1024.0     # fitted growth over the window must exceed 1 MB


def _values(requests: Sequence[Dict[str, Any]], key: str) -> List[Optional[float]]:
    out: List[Optional[float]] = []
    for r in requests:
        v = r.get(key)
        usable = isinstance(v, (int, float)) and not isinstance(v, bool) and finite.finite_number(v)
        out.append(float(v) if usable else None)
    return out


def is_monotonic_growth(requests: Sequence[Dict[str, Any]]) -> bool:
    """RSS grew on every request and never decreased, over >= 2 requests."""
    if len(requests) < 2:
        return False
    after = _values(requests, "rss_after")
    if all(v is not None for v in after):
        steps = [b - a for a, b in zip(after, after[1:])]  # type: ignore[operator]
        first = _values(requests[:1], "rss_delta")[0]
        before0 = _values(requests[:1], "rss_before")[0]
        if first is None and before0 is not None:
            first = after[0] - before0  # type: ignore[operator]
        if first is not None:
            steps.insert(0, first)
        return all(s > 0 for s in steps)
    deltas = _values(requests, "rss_delta")
    return all(d is not None and d > 0 for d in deltas)


def linear_fit(ys: Sequence[float]) -> Tuple[Optional[float], Optional[float]]:
    """(slope per step, r²) of ys against 0..n-1. r² is None when ys has no variance; both are None
    when the values are too large to fit in floating point."""
    try:
        return _linear_fit(ys)
    except (OverflowError, ZeroDivisionError, ValueError):
        return None, None


def _linear_fit(ys: Sequence[float]) -> Tuple[Optional[float], Optional[float]]:
    n = len(ys)
    if n < 2:
        return None, None
    mean_x = (n - 1) / 2.0
    mean_y = sum(ys) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    sxy = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(ys))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    if not math.isfinite(slope):
        return None, None
    if syy == 0:
        return slope, None
    r2 = (sxy * sxy) / (sxx * syy)
    return slope, r2 if math.isfinite(r2) else None


def rss_growth_mb(requests: Sequence[Dict[str, Any]]) -> Optional[float]:
    if not requests:
        return None
    last = _values(requests[-1:], "rss_after")[0]
    first = _values(requests[:1], "rss_before")[0]
    if first is None:
        first = _values(requests[:1], "rss_after")[0]
    if first is None or last is None:
        return None
    return round((last - first) / 1024.0, 3)


def leak_indicators(requests: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    monotonic = is_monotonic_growth(requests)
    after = [v for v in _values(requests, "rss_after") if v is not None]
    warmup = WARMUP_REQUESTS if len(after) > MIN_FIT_SAMPLES else 0
    window = after[warmup:]
    slope, r2 = linear_fit(window)
    trend_leak = (
        slope is not None and r2 is not None
        and len(window) >= MIN_FIT_SAMPLES
        and slope > 0 and r2 >= R_SQUARED_THRESHOLD
        and slope * (len(window) - 1) >= GROWTH_FLOOR_KB
    )
    likely = (monotonic and len(requests) >= MIN_MONOTONIC_REQUESTS) or trend_leak
    return {
        "rss_growth_mb": rss_growth_mb(requests),
        "monotonic_growth": monotonic,
        "likely_leak": bool(likely),
        "slope_kb_per_request": round(slope, 3) if slope is not None else None,
        "r_squared": round(r2, 4) if r2 is not None else None,
        "warmup_requests": warmup,
        "samples": len(window),
    }
