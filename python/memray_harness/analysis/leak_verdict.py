"""The leak verdict over a sequence of requests: one outlier cannot move it, and it says why.

Two signals are kept side by side in `leak_indicators`:

* `monotonic_growth`, the seed's rule, unchanged: RSS grew on every request and never decreased.
* `likely_leak`, the robust verdict below.

Series. The heap in use at the end of each request (`requests[i].heap_after`, from the capture: see
heap_growth.py) when at least MIN_SAMPLES requests after the warm-up have it; otherwise RSS after each
request (`rss_after`). `source` says which ("heap" or "rss"). The first WARMUP_REQUESTS request(s)
are left out when there are more than MIN_SAMPLES requests: they fill caches and import lazily.

Estimate (`method` "theil-sen"). The Theil–Sen slope: the median, over every pair of requests i < j
after the warm-up, of (y_j - y_i) / (j - i), in KB per request (x is the request number, so a request
without a value is simply left out). A single outlier, such as a start-up buffer released once,
changes only the pairs it is part of, never their median (breakdown point 29%).

Confidence interval (`ci_low_kb_per_request`, `ci_high_kb_per_request`, `confidence` 0.95). Sen's
(1968) distribution-free interval: with N pairwise slopes sorted and C = 1.96 * sqrt(Var(S)),
Var(S) = n(n-1)(2n+5)/18 (Kendall's S, n samples), the bounds are the slopes of rank (N - C)/2 and
(N + C)/2 + 1, clamped to the smallest and largest slope.

Beside it, for people: the median per-request change (`median_delta_kb`) and on how many requests
the series grew by more than GREW_ABOVE_KB[source] (`grew_requests` of `samples`).

`likely_leak` is true when all of these hold (thresholds in `thresholds`):

* at least MIN_SAMPLES requests after the warm-up have a value;
* the growth is not noise (`significance`): the lower bound of the 95% interval is above 0 ("ci"), or,
  since a large release in mid-sequence (a level shift, not one outlier) drags the pairwise slopes
  down, the requests that grew outnumber those that shrank beyond chance (one-sided sign test,
  p <= SIGN_TEST_P = 0.025, `sign_test_p`) with a median change above 0 ("sign-test");
* the estimate is at least MIN_KB_PER_REQUEST[source] (heap 1 KB: the harness's own bookkeeping is
  not counted in the heap; RSS 4 KB, one page);
* the estimate over the analysed requests, estimate * (last - first request number), is at least
  MIN_WINDOW_GROWTH_KB[source] (heap 64 KB, RSS 1024 KB: RSS moves in pages and allocator arenas).

`reason` says it in one sentence, including how many requests failed (status >= 500 or no answer).

On a workload whose memory moves randomly without trend, a 95% interval still excludes 0 in about
2.5% of runs (one-sided): measured over 1000 seeded random series of 10-40 requests, 1.4-2.4% are
called a leak. Repeat a run before acting on a borderline verdict (the reason shows the interval).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Optional

from .. import finite

METHOD = "theil-sen"
CONFIDENCE = 0.95
Z_95 = 1.959964
WARMUP_REQUESTS = 1  # first request loads caches/imports: not a leak signal
MIN_MONOTONIC_REQUESTS = 3  # seed rule's companion: below this, "grew every time" is chance
MIN_SAMPLES = 4  # fewer points than this after the warm-up: no verdict
MIN_KB_PER_REQUEST = {"heap": 1.0, "rss": 4.0}
MIN_WINDOW_GROWTH_KB = {"heap": 64.0, "rss": 1024.0}
GREW_ABOVE_KB = {"heap": 1.0, "rss": 4.0}  # a request "grew" (or shrank) by more than this
SIGN_TEST_P = 0.025
# Kept for the least-squares fields (informational since the robust verdict).
R_SQUARED_THRESHOLD = 0.8
GROWTH_FLOOR_KB = 1024.0

Point = tuple[float, float]  # (request_num, value in KB)


# -- helpers ----------------------------------------------------------------------------------------
def _number(v: Any) -> Optional[float]:
    usable = isinstance(v, (int, float)) and not isinstance(v, bool) and finite.finite_number(v)
    return float(v) if usable else None


def _values(requests: Sequence[dict[str, Any]], key: str) -> list[Optional[float]]:
    return [_number(r.get(key)) for r in requests]


def human_kb(kb: float, signed: bool = False) -> str:
    """1536 -> "1.5 MiB"; 0.4 -> "0.4 KiB"."""
    sign = "+" if signed and kb > 0 else ("-" if kb < 0 else "")
    v = abs(kb)
    if v >= 1024 * 1024:
        text = "%.2f GiB" % (v / 1024 / 1024)
    elif v >= 1024:
        text = "%.2f MiB" % (v / 1024) if v < 10 * 1024 else "%.1f MiB" % (v / 1024)
    else:
        text = "%.1f KiB" % v
    return sign + text


# -- the seed's rule (unchanged) ---------------------------------------------------------------------
def is_monotonic_growth(requests: Sequence[dict[str, Any]]) -> bool:
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


def rss_growth_mb(requests: Sequence[dict[str, Any]]) -> Optional[float]:
    if not requests:
        return None
    last = _values(requests[-1:], "rss_after")[0]
    first = _values(requests[:1], "rss_before")[0]
    if first is None:
        first = _values(requests[:1], "rss_after")[0]
    if first is None or last is None:
        return None
    return round((last - first) / 1024.0, 3)


# -- least squares (informational: slope_kb_per_request, r_squared) ----------------------------------
def linear_fit(ys: Sequence[float]) -> tuple[Optional[float], Optional[float]]:
    """(slope per step, r²) of ys against 0..n-1. r² is None when ys has no variance; both are None
    when the values are too large to fit in floating point."""
    try:
        return _linear_fit(ys)
    except (OverflowError, ZeroDivisionError, ValueError):
        return None, None


def _linear_fit(ys: Sequence[float]) -> tuple[Optional[float], Optional[float]]:
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


# -- the robust estimator -----------------------------------------------------------------------------
def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0


def theil_sen(points: Sequence[Point]) -> Optional[tuple[float, float, float]]:
    """(slope, ci_low, ci_high) of the points (x distinct), or None with fewer than 2 points."""
    n = len(points)
    if n < 2:
        return None
    slopes = sorted((yj - yi) / (xj - xi) for i, (xi, yi) in enumerate(points) for (xj, yj) in points[i + 1 :] if xj != xi)
    if not slopes:
        return None
    big_n = len(slopes)
    c = Z_95 * math.sqrt(n * (n - 1) * (2 * n + 5) / 18.0)
    lo_rank = int(math.floor((big_n - c) / 2.0))  # 1-based rank of the lower bound
    hi_rank = int(math.ceil((big_n + c) / 2.0)) + 1  # 1-based rank of the upper bound
    lo = slopes[min(max(lo_rank, 1), big_n) - 1]
    hi = slopes[min(max(hi_rank, 1), big_n) - 1]
    return _median(slopes), lo, hi


def warmup_for(n_requests: int) -> int:
    return WARMUP_REQUESTS if n_requests > MIN_SAMPLES else 0


def series(requests: Sequence[dict[str, Any]], key: str, warmup: int) -> list[Point]:
    """(request_num, value) after the warm-up, for the requests that have a value."""
    out: list[Point] = []
    for i, r in enumerate(requests):
        if i < warmup:
            continue
        value = _number(r.get(key))
        num = _number(r.get("request_num"))
        if value is not None:
            out.append((num if num is not None else float(i + 1), value))
    # Request numbers from a script may repeat or be out of order: keep the first of each, in order.
    seen, ordered = set(), []
    for x, y in sorted(out, key=lambda p: p[0]):
        if x not in seen:
            seen.add(x)
            ordered.append((x, y))
    return ordered


def _base(requests: Sequence[dict[str, Any]], key: str, warmup: int) -> Optional[Point]:
    """The last warm-up request's value: the first analysed request's change is measured from it."""
    if not warmup or len(requests) < warmup:
        return None
    points = series(requests[:warmup], key, 0)
    return points[-1] if points else None


def _deltas(points: Sequence[Point]) -> list[float]:
    """Per-request change between consecutive requests (divided by the gap when one is missing)."""
    return [(y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in zip(points, points[1:])]


def _failures(requests: Sequence[dict[str, Any]]) -> tuple[int, int, int]:
    """(failed, answered >= 500, no answer): a request without a status but with an `error` got no answer."""
    server_errors = sum(1 for r in requests if isinstance(r.get("status"), int) and r["status"] >= 500)
    no_answer = sum(1 for r in requests if r.get("status") is None and r.get("error"))
    return server_errors + no_answer, server_errors, no_answer


def _failure_clause(requests: Sequence[dict[str, Any]]) -> str:
    failed, server_errors, no_answer = _failures(requests)
    if not failed:
        return ""
    parts = []
    if server_errors:
        parts.append("%d answered >= 500" % server_errors)
    if no_answer:
        parts.append("%d got no answer" % no_answer)
    return "%d of %d requests failed (%s); " % (failed, len(requests), ", ".join(parts))


def _verdict(points: Sequence[Point], source: str, base: Optional[Point] = None) -> dict[str, Any]:
    """base: the value at the end of the warm-up, so the first analysed request has a change too."""
    est = theil_sen(points)
    deltas = _deltas(([base] if base is not None and points and base[0] < points[0][0] else []) + list(points))
    grew = sum(1 for d in deltas if d > GREW_ABOVE_KB[source])
    shrank = sum(1 for d in deltas if d < -GREW_ABOVE_KB[source])
    median_delta = _median(deltas) if deltas else None
    out: dict[str, Any] = {
        "estimate_kb_per_request": None,
        "ci_low_kb_per_request": None,
        "ci_high_kb_per_request": None,
        "median_delta_kb": round(median_delta, 1) if median_delta is not None else None,
        "grew_requests": grew,
        "delta_samples": len(deltas),
        "likely": False,
        "sign_test_p": round(sign_test(grew, shrank), 6) if grew + shrank else None,
    }
    if est is None:
        return out
    slope, lo, hi = est
    out.update(estimate_kb_per_request=round(slope, 1), ci_low_kb_per_request=round(lo, 1), ci_high_kb_per_request=round(hi, 1))
    span = points[-1][0] - points[0][0]
    # Significant: the CI excludes 0, or (a release in mid-sequence drags pairwise slopes down) the
    # requests that grew outnumber those that shrank beyond chance and their median change is growth.
    by_sign = out["sign_test_p"] is not None and out["sign_test_p"] <= SIGN_TEST_P and (median_delta or 0) > 0
    out["significant"] = "ci" if lo > 0 else ("sign-test" if by_sign else None)
    out["likely"] = bool(
        len(points) >= MIN_SAMPLES and out["significant"] and slope >= MIN_KB_PER_REQUEST[source] and slope * span >= MIN_WINDOW_GROWTH_KB[source]
    )
    out["window_growth_kb"] = round(slope * span, 1)
    return out


def sign_test(grew: int, shrank: int) -> float:
    """One-sided binomial p-value of at least `grew` growing requests out of grew + shrank, if growing
    and shrinking were equally likely."""
    m = grew + shrank
    return sum(math.comb(m, i) for i in range(grew, m + 1)) / float(2**m)


def _reason(v: dict[str, Any], source: str, samples: int, warmup: int, requests: Sequence[dict[str, Any]], note: str) -> str:
    what = {"heap": "the heap", "rss": "RSS"}[source]
    after = " after warm-up" if warmup else ""
    head = _failure_clause(requests)
    if samples < MIN_SAMPLES:
        return "%s%s: only %d request(s)%s have a value, too few to judge a trend (at least %d are needed)%s" % (
            head,
            what[0].upper() + what[1:],
            samples,
            after,
            MIN_SAMPLES,
            note,
        )
    slope, lo, hi = v["estimate_kb_per_request"], v["ci_low_kb_per_request"], v["ci_high_kb_per_request"]
    trend = "Theil-Sen %s per request, 95%% CI %s to %s" % (human_kb(slope, True), human_kb(lo, True), human_kb(hi, True))
    if v.get("significant") == "sign-test":
        trend += "; growth outnumbers shrinking beyond chance, sign test p=%.2g" % v["sign_test_p"]
    if v["likely"]:
        body = "%s grew by a median of %s on %d of %d requests%s (%s)" % (
            what,
            human_kb(v["median_delta_kb"] or 0.0),
            v["grew_requests"],
            v["delta_samples"],
            after,
            trend,
        )
    else:
        body = "%s changed by a median of %s per request and grew on %d of %d requests%s (%s)" % (
            what,
            human_kb(v["median_delta_kb"] or 0.0, True),
            v["grew_requests"],
            v["delta_samples"],
            after,
            trend,
        )
    if v["likely"]:
        verdict = "likely leak"
    elif not v.get("significant"):
        verdict = "no leak: the growth is not distinguishable from noise"
    elif slope < MIN_KB_PER_REQUEST[source]:
        verdict = "no leak: below %s per request" % human_kb(MIN_KB_PER_REQUEST[source])
    else:
        verdict = "no leak yet: %s over these requests is below %s; run more requests" % (
            human_kb(v["window_growth_kb"]),
            human_kb(MIN_WINDOW_GROWTH_KB[source]),
        )
    body = body[0].upper() + body[1:]
    return "%s%s: %s%s" % (head, body, verdict, note)


def leak_indicators(requests: Sequence[dict[str, Any]], heap_note: str = "") -> dict[str, Any]:
    """summary.leak_indicators from the request records (with heap_* when the capture gave them).

    heap_note: why the heap could not be used, when there was a capture (added to `reason`)."""
    monotonic = is_monotonic_growth(requests)
    warmup = warmup_for(len(requests))
    rss_points = series(requests, "rss_after", warmup)
    heap_points = series(requests, "heap_after", warmup)
    source = "heap" if len(heap_points) >= MIN_SAMPLES else "rss"
    points = heap_points if source == "heap" else rss_points
    key = "heap_after" if source == "heap" else "rss_after"
    v = _verdict(points, source, _base(requests, key, warmup))
    note = _rss_note(heap_note, len(heap_points)) if source == "rss" else ""
    after = [p[1] for p in rss_points]
    slope, r2 = linear_fit(after)
    failed = _failures(requests)[0]
    out: dict[str, Any] = {
        "rss_growth_mb": rss_growth_mb(requests),
        "monotonic_growth": monotonic,
        "likely_leak": bool(v["likely"]),
        "method": METHOD,
        "source": source,
        "estimate_kb_per_request": v["estimate_kb_per_request"],
        "ci_low_kb_per_request": v["ci_low_kb_per_request"],
        "ci_high_kb_per_request": v["ci_high_kb_per_request"],
        "confidence": CONFIDENCE,
        "median_delta_kb": v["median_delta_kb"],
        "grew_requests": v["grew_requests"],
        "sign_test_p": v["sign_test_p"],
        "significance": v.get("significant"),
        "failed_requests": failed,
        "reason": _reason(v, source, len(points), warmup, requests, note),
        "thresholds": {
            "min_samples": MIN_SAMPLES,
            "min_kb_per_request": MIN_KB_PER_REQUEST[source],
            "min_window_growth_kb": MIN_WINDOW_GROWTH_KB[source],
            "grew_above_kb": GREW_ABOVE_KB[source],
        },
        # Least squares on RSS, kept for readers of earlier summaries (not the verdict).
        "slope_kb_per_request": round(slope, 3) if slope is not None else None,
        "r_squared": round(r2, 4) if r2 is not None else None,
        "warmup_requests": warmup,
        "samples": len(points),
    }
    if len(requests) and heap_points:
        hv = v if source == "heap" else _verdict(heap_points, "heap", _base(requests, "heap_after", warmup))
        out.update(_heap_fields(requests, hv, len(heap_points)))
    if source == "heap" and rss_points:
        rv = _verdict(rss_points, "rss", _base(requests, "rss_after", warmup))
        out["rss_kb_per_request"] = rv["estimate_kb_per_request"]
    elif source == "rss":
        out["rss_kb_per_request"] = v["estimate_kb_per_request"]
    return out


def _rss_note(heap_note: str, heap_samples: int) -> str:
    """Why the verdict uses RSS although there was a capture (for `reason`)."""
    if heap_note:
        return " (RSS, since %s)" % heap_note
    if heap_samples:
        return " (RSS: only %d request(s) have a heap measurement)" % heap_samples
    return ""


def _heap_fields(requests: Sequence[dict[str, Any]], hv: dict[str, Any], heap_samples: int) -> dict[str, Any]:
    """The heap's growth over the requests and its trend (hv: the heap's verdict), beside whichever decided."""
    heap_all = series(requests, "heap_after", 0)
    first_before = _number(requests[0].get("heap_before"))
    start = first_before if first_before is not None else heap_all[0][1]
    return {
        "heap_growth_mb": round((heap_all[-1][1] - start) / 1024.0, 3),
        "heap_kb_per_request": hv["estimate_kb_per_request"],
        "heap_ci_kb_per_request": [hv["ci_low_kb_per_request"], hv["ci_high_kb_per_request"]],
        "heap_samples": heap_samples,
    }
