"""The leak verdict: the seed's monotonic rule beside the robust Theil–Sen verdict (pure functions)."""

from __future__ import annotations

import json
import random

import pytest

from memray_harness.analysis.leak_verdict import (
    MIN_SAMPLES,
    is_monotonic_growth,
    leak_indicators,
    linear_fit,
    sign_test,
    theil_sen,
)

MIB = 1024.0  # KB


def reqs(afters, start=10000):
    out, before = [], start
    for i, after in enumerate(afters, 1):
        out.append({"request_num": i, "status": 200, "duration_s": 0.1, "rss_before": before, "rss_after": after, "rss_delta": after - before})
        before = after
    return out


def heap_reqs(heaps, rss=None):
    """Requests whose heap_after (KB) came from the capture; RSS flat unless given."""
    out = reqs(rss or [50000] * len(heaps), start=50000)
    prev = 0.0
    for r, h in zip(out, heaps):
        r.update(heap_before=prev, heap_after=h, heap_delta=h - prev)
        prev = h
    return out


# -- the seed's rule stays exactly as it was ------------------------------------------------------------
def test_monotonic_growth_flags_leak() -> None:
    li = leak_indicators(reqs([11000, 12000, 13000, 14000]))
    assert li["monotonic_growth"] is True and li["likely_leak"] is True
    assert li["rss_growth_mb"] == round(4000 / 1024, 3)
    assert li["slope_kb_per_request"] == 1000.0 and li["r_squared"] == 1.0
    assert li["source"] == "rss" and li["estimate_kb_per_request"] == 1000.0


def test_any_decrease_is_not_monotonic() -> None:
    assert is_monotonic_growth(reqs([11000, 12000, 11500, 13000])) is False


def test_deltas_only() -> None:
    assert is_monotonic_growth([{"request_num": i, "rss_delta": 10} for i in range(1, 4)]) is True


def test_linear_fit() -> None:
    slope, r2 = linear_fit([1.0, 3.0, 5.0])
    assert slope == 2.0 and r2 == 1.0
    assert linear_fit([1.0]) == (None, None)


# -- the estimator --------------------------------------------------------------------------------------
def test_theil_sen_of_a_line_is_exact_and_its_interval_collapses() -> None:
    pts = [(float(x), 100.0 + 7.0 * x) for x in range(1, 21)]
    assert theil_sen(pts) == (7.0, 7.0, 7.0)


def test_one_outlier_cannot_move_the_estimate() -> None:
    pts = [(float(x), 3.0 * x) for x in range(1, 16)]
    spiked = list(pts)
    spiked[13] = (14.0, 10**6)  # one absurd value
    assert theil_sen(spiked)[0] == 3.0
    assert linear_fit([y for _, y in spiked])[0] > 1000  # least squares is dragged away


def test_sen_interval_covers_the_true_slope_as_often_as_it_says() -> None:
    covered = 0
    for seed in range(300):
        rng = random.Random(seed)
        slope, lo, hi = theil_sen([(float(x), 50.0 * x + rng.uniform(-200, 200)) for x in range(1, 21)])
        assert lo <= slope <= hi
        covered += lo <= 50.0 <= hi
    assert 0.9 <= covered / 300 <= 1.0


def test_sign_test() -> None:
    assert sign_test(14, 0) == 1 / 2**14
    assert sign_test(5, 5) > 0.5


# -- the verdicts the issue asks for ----------------------------------------------------------------------
def test_early_drop_does_not_hide_a_steady_leak() -> None:
    """The issue's case: 3 MiB per request, a large start-up buffer released once early on."""
    rss, y = [], 60000.0
    for i in range(1, 16):
        y += 3 * MIB + (48 * MIB if i == 1 else 0) - (48 * MIB if i == 3 else 0)
        rss.append(y)
    li = leak_indicators(reqs(rss, start=60000))
    assert li["monotonic_growth"] is False and li["r_squared"] < 0.8  # the old rules say no
    assert li["likely_leak"] is True and li["source"] == "rss" and li["significance"] == "ci"
    assert li["estimate_kb_per_request"] == 3 * MIB
    assert li["reason"].startswith("RSS grew by a median of 3.00 MiB on 13 of 14 requests after warm-up")
    assert li["reason"].endswith("likely leak")


@pytest.mark.parametrize("drop_at", [3, 6, 10, 15])
def test_a_release_anywhere_in_a_leak_is_still_a_leak(drop_at: int) -> None:
    heaps, y = [], 0.0
    for i in range(1, 16):
        y += 3 * MIB + (32 * MIB if i == 1 else 0) - (32 * MIB if i == drop_at else 0)
        heaps.append(y)
    li = leak_indicators(heap_reqs(heaps))
    assert li["likely_leak"] is True and li["source"] == "heap", li["reason"]
    assert li["median_delta_kb"] == 3 * MIB


def test_cache_filled_once_then_flat_is_no_leak() -> None:
    li = leak_indicators(heap_reqs([8200.0] * 20))  # heap_before of request 1 is 0
    assert li["likely_leak"] is False and li["estimate_kb_per_request"] == 0.0
    assert li["grew_requests"] == 0 and "no leak" in li["reason"]


def test_random_up_and_down_without_trend_is_no_leak() -> None:
    rng = random.Random(1103)
    li = leak_indicators(heap_reqs([rng.uniform(0, 16 * MIB) for _ in range(20)]))
    assert li["likely_leak"] is False and li["ci_low_kb_per_request"] < 0 < li["ci_high_kb_per_request"]


def test_false_positive_rate_on_random_series_is_the_intervals() -> None:
    """The documented rate: about 2.5% of trendless random series are called leaks (one-sided 95%)."""
    called = 0
    for seed in range(400):
        rng = random.Random(seed)
        called += leak_indicators(heap_reqs([rng.uniform(0, 16 * MIB) for _ in range(20)]))["likely_leak"]
    assert called / 400 < 0.05


def test_tiny_growth_below_the_floors_is_no_leak() -> None:
    li = leak_indicators(reqs([10004, 10008, 10012, 10016, 10020, 10024], start=10000))
    assert li["likely_leak"] is False and "below" in li["reason"]
    li = leak_indicators(heap_reqs([100.0 + 2 * i for i in range(20)]))  # 2 KB per request, 36 KB in all
    assert li["likely_leak"] is False and "run more requests" in li["reason"]


def test_heap_is_preferred_and_rss_is_the_fallback() -> None:
    li = leak_indicators(heap_reqs([float(i * MIB) for i in range(1, 11)]))
    assert li["source"] == "heap" and li["heap_kb_per_request"] == MIB and li["heap_samples"] == 9
    li = leak_indicators(reqs([11000, 12000, 13000, 14000, 15000, 16000]), heap_note="memray is not installed")
    assert li["source"] == "rss" and "since memray is not installed" in li["reason"]


def test_failed_requests_are_counted_in_the_reason() -> None:
    r = heap_reqs([float(i * MIB) for i in range(1, 11)])
    r[3]["status"] = 500
    r[6].update(status=None, error="GET /x failed: RemoteDisconnected")
    li = leak_indicators(r)
    assert li["failed_requests"] == 2 and li["likely_leak"] is True
    assert li["reason"].startswith("2 of 10 requests failed (1 answered >= 500, 1 got no answer); ")


def test_too_few_requests() -> None:
    li = leak_indicators(reqs([11000, 12000]))
    assert li["likely_leak"] is False and "too few" in li["reason"] and li["samples"] < MIN_SAMPLES


def test_no_requests() -> None:
    li = leak_indicators([])
    assert li == {**li, "rss_growth_mb": None, "monotonic_growth": False, "likely_leak": False, "samples": 0}


def test_indicators_are_json() -> None:
    for r in (reqs([11000, 12000, 11500, 13000, 13100]), heap_reqs([1.0, 2.0, 3.0, 4.0, 5.0]), []):
        json.dumps(leak_indicators(r), allow_nan=False)
