"""A hand-written mirror of core's zod summarySchema (packages/core/src/summary-schema.ts).

The TypeScript side validates real harness output with zod; this keeps the Python tests honest
about the same required keys, types and units without a JSON Schema dependency.
"""
from __future__ import annotations

from typing import Any, Dict

NUM = (int, float)


def _num_or_none(v: Any) -> bool:
    return v is None or (isinstance(v, NUM) and not isinstance(v, bool))


def _int_or_none(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def assert_summary(s: Dict[str, Any]) -> None:
    assert isinstance(s["run_id"], str) and s["run_id"]
    assert s["script"] is None or isinstance(s["script"], str)
    assert isinstance(s["timestamp"], str) and s["timestamp"].endswith("Z")
    assert _int_or_none(s["exit_code"])
    assert s["error"] is None or isinstance(s["error"], str)
    assert _num_or_none(s["duration_seconds"])
    mem = s["memory"]
    for k in ("rss_before", "rss_after", "rss_delta", "tracemalloc_current", "tracemalloc_peak", "tracemalloc_delta"):
        assert _num_or_none(mem[k]), k
    assert _num_or_none(mem.get("rss_peak"))
    for t in s["top_allocators"]:
        assert isinstance(t["file"], str) and isinstance(t["size_kb"], NUM) and isinstance(t["count"], int)
    for r in s["requests"]:
        assert isinstance(r["request_num"], int)
        assert _int_or_none(r["status"])
        for k in ("duration_s", "rss_before", "rss_after", "rss_delta"):
            assert _num_or_none(r[k]), k
    li = s["leak_indicators"]
    assert _num_or_none(li["rss_growth_mb"])
    assert isinstance(li["monotonic_growth"], bool) and isinstance(li["likely_leak"], bool)
    p = s["profiling"]
    for k in ("memray_enabled", "native_traces", "trace_python_allocators"):
        assert isinstance(p[k], bool), k
    assert all(isinstance(v, str) for v in s["artifacts"].values())
    assert isinstance(s.get("warnings", []), list)
