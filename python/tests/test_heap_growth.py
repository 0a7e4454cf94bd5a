"""Heap growth per request and the leak verdict, end to end: the real harness, real memray, real HTTP
on 127.0.0.1, and stdlib WSGI fixtures whose memory behaviour is known exactly.

Every verdict test runs three times: a verdict must not flap."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import memray
import pytest
from conftest import check_outputs, line_of, start_harness, write_config, write_script

from memray_harness.analysis import heap_growth

KIB = 1024
KNOWN_LEAK = 512 * KIB  # bytes per request leaked by /leak

VERDICT_APP = """
import random

KNOWN_LEAK = 512 * 1024
LEAKED = []
CACHE = {}
STARTUP = {"n": 0, "buffer": None}
CHURN = {"rng": random.Random(1103), "held": b""}
FLAKY = {"n": 0}


def filled(size, fill):
    return bytes([fill]) * size


def answer(start_response, status, body):
    start_response(status, [("Content-Type", "text/plain")])
    return [body]


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/leak":
        LEAKED.append(bytes([1]) * KNOWN_LEAK)  # KNOWN-LEAK
        return answer(start_response, "200 OK", b"leaked %d" % len(LEAKED))
    if path == "/cache":
        if not CACHE:
            for i in range(32):
                CACHE[i] = bytes([i]) * (128 * 1024)  # CACHE-FILL
        return answer(start_response, "200 OK", b"cached %d" % len(CACHE))
    if path == "/startup-leak":
        STARTUP["n"] += 1
        if STARTUP["n"] == 1:
            STARTUP["buffer"] = filled(32 * 1024 * 1024, 7)
        elif STARTUP["n"] == 3:
            STARTUP["buffer"] = None
        LEAKED.append(bytes([3]) * (3 * 1024 * 1024))  # STARTUP-LEAK
        return answer(start_response, "200 OK", b"ok")
    if path == "/churn":
        CHURN["held"] = b""
        CHURN["held"] = filled(CHURN["rng"].randrange(0, 16 * 1024 * 1024), 5)
        return answer(start_response, "200 OK", b"ok")
    if path == "/flaky":
        FLAKY["n"] += 1
        if FLAKY["n"] % 7 == 0:
            raise ConnectionResetError("the handler dropped the connection")  # no answer at all
        if FLAKY["n"] % 4 == 0:
            return answer(start_response, "500 Internal Server Error", b"failed")
        return answer(start_response, "200 OK", b"ok")
    return answer(start_response, "404 Not Found", b"?")
"""


def _svc(tmp_path: Path) -> Path:
    d = tmp_path / "svc"
    d.mkdir(exist_ok=True)
    write_script(d, "verdicts.py", VERDICT_APP)
    return d


def _sequence(harness, tmp_path: Path, path: str, requests: int = 20, reports=("requests",), rc: int = 0):
    """`requests` requests to `path` of the verdicts app in mode sequence; the harness must exit `rc`."""
    d = _svc(tmp_path)
    res = harness(
        {
            "mode": "sequence",
            "app": "verdicts:app",
            "app_dir": str(d),
            "requests": requests,
            "delay_seconds": 0,
            "endpoint": {"path": path},
            "reports": list(reports),
        }
    )
    assert res.rc == rc, res.stderr
    return res, d


def _within(value: float, truth: float, pct: float) -> bool:
    return abs(value - truth) <= truth * pct / 100.0


@pytest.mark.parametrize("attempt", range(3))
def test_a_known_leak_is_found_on_its_line_within_10_percent(tmp_path: Path, harness, attempt: int) -> None:
    res, d = _sequence(harness, tmp_path, "/leak")
    s = res.summary
    li = s["leak_indicators"]
    assert li["likely_leak"] is True and li["source"] == "heap" and li["method"] == "theil-sen"
    truth_kb = KNOWN_LEAK / KIB
    assert _within(li["estimate_kb_per_request"], truth_kb, 10), li
    assert li["ci_low_kb_per_request"] <= li["estimate_kb_per_request"] <= li["ci_high_kb_per_request"]
    first = s["growth_sites"][0]
    assert first["site"].endswith("verdicts.py:%d" % line_of(d / "verdicts.py", "# KNOWN-LEAK")), s["growth_sites"]
    assert first["function"] == "app" and _within(first["kb_per_request"], truth_kb, 10)
    assert first["requests_grew"] == first["requests"] == 19
    for r in s["requests"]:
        assert r["ended_at"] >= r["started_at"] and _within(r["heap_delta"], truth_kb, 10), r
    grown = [r for r in s["requests"] if r.get("heap_sites")]
    assert len(grown) == heap_growth.TOP_REQUESTS
    assert all(r["heap_sites"][0]["site"] == first["site"] for r in grown)
    text = res.text("requests.txt")
    assert "Verdict: LIKELY LEAK" in text and first["site"] in text and li["reason"] in text
    assert s["artifacts"]["requests_report"].endswith("requests.txt")


@pytest.mark.parametrize("attempt", range(3))
def test_a_cache_filled_once_is_no_leak_over_20_requests(tmp_path: Path, harness, attempt: int) -> None:
    res, d = _sequence(harness, tmp_path, "/cache")
    s = res.summary
    li = s["leak_indicators"]
    assert li["likely_leak"] is False and li["source"] == "heap", li["reason"]
    assert abs(li["estimate_kb_per_request"]) < 1.0 and li["grew_requests"] <= 1
    cache_site = "verdicts.py:%d" % line_of(d / "verdicts.py", "# CACHE-FILL")
    assert s["requests"][0]["heap_sites"][0]["site"].endswith(cache_site)  # the first request filled it
    assert _within(s["requests"][0]["heap_delta"], 4096, 10)


@pytest.mark.parametrize("attempt", range(3))
def test_an_early_drop_does_not_hide_a_steady_leak(tmp_path: Path, harness, attempt: int) -> None:
    res, d = _sequence(harness, tmp_path, "/startup-leak", requests=15)
    s = res.summary
    li = s["leak_indicators"]
    assert li["likely_leak"] is True and li["source"] == "heap", li["reason"]
    assert _within(li["estimate_kb_per_request"], 3 * KIB, 15), li
    assert s["requests"][2]["heap_delta"] < 0  # the drop is there
    assert "on 13 of 14 requests after warm-up" in li["reason"]
    assert s["growth_sites"][0]["site"].endswith("verdicts.py:%d" % line_of(d / "verdicts.py", "# STARTUP-LEAK"))


@pytest.mark.parametrize("attempt", range(3))
def test_random_ups_and_downs_are_no_leak(tmp_path: Path, harness, attempt: int) -> None:
    res, _ = _sequence(harness, tmp_path, "/churn")
    li = res.summary["leak_indicators"]
    assert li["likely_leak"] is False and li["source"] == "heap", li["reason"]
    assert li["ci_low_kb_per_request"] < 0 < li["ci_high_kb_per_request"]


def test_failed_requests_are_recorded_and_the_run_completes(tmp_path: Path, harness) -> None:
    res, _ = _sequence(harness, tmp_path, "/flaky", requests=10, reports=("requests", "table"), rc=1)
    assert res.summary["error_code"] == "WORKLOAD_FAILED"  # 500s fail the workload
    s = res.summary
    statuses = [r["status"] for r in s["requests"]]
    assert statuses == [200, 200, 200, 500, 200, 200, None, 500, 200, 200]
    assert "error" in s["requests"][6] and "error" not in s["requests"][5]
    li = s["leak_indicators"]
    assert li["failed_requests"] == 3
    assert li["reason"].startswith("3 of 10 requests failed (2 answered >= 500, 1 got no answer); ")
    assert (res.out_dir / "table.txt").exists() and "3 of 10 requests failed" in res.text("requests.txt")


def test_the_heap_per_site_adds_up_to_memrays_heap(tmp_path: Path, harness) -> None:
    """The two views memray gives agree: summed live bytes per site (the harness's own included) at a
    snapshot are that snapshot's heap."""
    res, _ = _sequence(harness, tmp_path, "/leak", requests=6)
    session = str(res.out_dir / "session.bin")
    reader = memray.FileReader(session)
    try:
        n = len(list(reader.get_memory_snapshots()))
        points = sorted({n // 4, n // 2, n - 1})
        by_site, totals = heap_growth.live_by_site(reader, points)
    finally:
        reader.close()
    assert [sum(live[j] for live in by_site.values()) for j in range(len(points))] == totals
    assert heap_growth.HARNESS in by_site  # the harness's own bookkeeping is seen, and kept apart


def test_without_memray_the_verdict_uses_rss_and_says_so(tmp_path: Path, harness) -> None:
    d = _svc(tmp_path)
    blocker = tmp_path / "nomemray"
    blocker.mkdir()
    (blocker / "memray.py").write_text("raise ImportError('memray hidden for this test')\n")
    res = harness(
        {
            "mode": "sequence",
            "app": "verdicts:app",
            "app_dir": str(d),
            "requests": 15,
            "delay_seconds": 0,
            "endpoint": {"path": "/startup-leak"},
            "allow_no_memray": True,
            "reports": [],
        },
        pythonpath=[str(blocker)],
    )
    assert res.rc == 0, res.stderr
    li = res.summary["leak_indicators"]
    assert li["source"] == "rss" and "since memray is not installed" in li["reason"]
    assert all(r.get("heap_after") is None for r in res.summary["requests"])
    assert li["likely_leak"] is True  # 3 MiB per request, written: RSS sees it too


def test_ctrl_c_during_a_sequence_keeps_the_heap_analysis(tmp_path: Path) -> None:
    d = _svc(tmp_path)
    config = write_config(
        tmp_path,
        {
            "mode": "sequence",
            "app": "verdicts:app",
            "app_dir": str(d),
            "requests": 200,
            "delay_seconds": 0.1,
            "endpoint": {"path": "/leak"},
            "reports": ["requests", "table", "temporal"],
        },
    )
    proc = start_harness(config, tmp_path)
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            if '"step": "capture"' in line:
                break
        time.sleep(2)  # some requests in; not a threshold, any number >= 1 of them will do
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    out = tmp_path / "out"
    check_outputs(out)
    s = json.loads((out / "summary.json").read_text())
    done = len(s["requests"])
    assert 1 <= done < 200 and s["error_code"] == "INTERRUPTED" and "after %d of 200 requests" % done in s["error"]
    assert all(r["status"] == 200 for r in s["requests"])
    assert all(r["heap_after"] is not None for r in s["requests"])
    for name in ("requests.txt", "table.txt", "temporal.html"):
        assert (out / name).exists(), name


TEST_CASES = Path(__file__).resolve().parents[2] / "test-cases"


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.parametrize("script,likely,truth_kb", [("startup-drop-leak.py", True, 3 * KIB), ("random-churn.py", False, None)])
def test_test_case_scripts_with_request_windows(harness, attempt: int, script: str, likely: bool, truth_kb) -> None:
    """Scripts in test-cases/ that write started_at/ended_at per request get the heap verdict too."""
    res = harness({"mode": "script", "script_path": str(TEST_CASES / script), "script": "test-cases/" + script, "reports": ["requests"]})
    assert res.rc == 0, res.stderr
    s = res.summary
    li = s["leak_indicators"]
    assert li["source"] == "heap" and li["likely_leak"] is likely, li["reason"]
    if truth_kb:
        assert _within(li["estimate_kb_per_request"], truth_kb, 15)
        assert s["growth_sites"][0]["site"].endswith("%s:%d" % (script, line_of(TEST_CASES / script, "# LEAK-LINE")))
    assert "script test-cases/%s" % script in res.text("requests.txt")
