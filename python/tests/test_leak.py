"""Leak heuristic: the seed's monotonic rule plus the slope/r² trend."""
from __future__ import annotations

from memray_harness.leak import is_monotonic_growth, leak_indicators, linear_fit


def reqs(afters, start=10000):
    out, before = [], start
    for i, after in enumerate(afters, 1):
        out.append({"request_num": i, "status": 200, "duration_s": 0.1,
                    "rss_before": before, "rss_after": after, "rss_delta": after - before})
        before = after
    return out


def test_monotonic_growth_flags_leak() -> None:
    li = leak_indicators(reqs([11000, 12000, 13000, 14000]))
    assert li["monotonic_growth"] is True and li["likely_leak"] is True
    assert li["rss_growth_mb"] == round(4000 / 1024, 3)
    assert li["slope_kb_per_request"] == 1000.0 and li["r_squared"] == 1.0
    assert li["warmup_requests"] == 1 and li["samples"] == 3


def test_two_requests_monotonic_but_not_likely() -> None:
    li = leak_indicators(reqs([11000, 12000]))
    assert li["monotonic_growth"] is True and li["likely_leak"] is False


def test_any_decrease_is_not_monotonic() -> None:
    r = reqs([11000, 12000, 11500, 13000])
    assert is_monotonic_growth(r) is False


def test_flat_rss_is_no_leak() -> None:
    li = leak_indicators(reqs([10000] * 6, start=10000))
    assert li["monotonic_growth"] is False and li["likely_leak"] is False
    assert li["slope_kb_per_request"] == 0.0 and li["r_squared"] is None


def test_noisy_steady_growth_caught_by_slope() -> None:
    # One dip breaks the strict rule, the trend is still a clear 2 MB per request.
    afters = [20000, 22000, 24100, 23900, 28000, 30100, 32000, 34000]
    li = leak_indicators(reqs(afters))
    assert li["monotonic_growth"] is False
    assert li["slope_kb_per_request"] > 1500 and li["r_squared"] >= 0.8
    assert li["likely_leak"] is True


def test_tiny_growth_below_floor_is_no_leak() -> None:
    li = leak_indicators(reqs([10004, 10008, 10012, 10016, 10020, 10016], start=10000))
    assert li["monotonic_growth"] is False and li["likely_leak"] is False


def test_noise_without_trend_is_no_leak() -> None:
    li = leak_indicators(reqs([30000, 26000, 31000, 25000, 30500, 26500]))
    assert li["likely_leak"] is False and (li["r_squared"] or 0) < 0.8


def test_no_requests() -> None:
    li = leak_indicators([])
    assert li == {**li, "rss_growth_mb": None, "monotonic_growth": False, "likely_leak": False, "samples": 0}


def test_deltas_only() -> None:
    r = [{"request_num": i, "rss_delta": 10} for i in range(1, 4)]
    assert is_monotonic_growth(r) is True


def test_linear_fit() -> None:
    slope, r2 = linear_fit([1.0, 3.0, 5.0])
    assert slope == 2.0 and r2 == 1.0
    assert linear_fit([1.0]) == (None, None)
