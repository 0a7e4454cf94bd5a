"""endpoint + sequence: a tiny WSGI app served in-process, real HTTP on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from apps import APP
from conftest import line_of, write_script
from schema_check import assert_summary


def _app(tmp_path: Path) -> Path:
    d = tmp_path / "svc"
    d.mkdir()
    write_script(d, "service.py", APP)
    return d


def test_endpoint_one_request_is_tracked(tmp_path: Path, harness) -> None:
    d = _app(tmp_path)
    res = harness({"mode": "endpoint", "app": "service:app", "app_dir": str(d), "endpoint": {"path": "/report", "method": "POST", "body": '{"k": 1}'}})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert_summary(s)
    [req] = s["requests"]
    assert req["status"] == 200 and req["request_num"] == 1 and req["duration_s"] > 0
    assert req["rss_before"] and req["rss_after"]
    site = "service.py:%d" % line_of(d / "service.py", "# APP_ALLOC")
    assert s["top_allocators"][0]["file"].endswith(site)
    assert s["top_allocators"][0]["function"] == "make_report"
    assert site in res.text("table.txt")
    assert "app svc/service.py" in res.text("tree.txt")  # the tree starts at the app, not the harness


def test_endpoint_factory_and_5xx(tmp_path: Path, harness) -> None:
    d = _app(tmp_path)
    res = harness({"mode": "endpoint", "app": "service:create_app()", "app_dir": str(d), "endpoint": {"path": "/boom"}})
    assert res.rc == 1
    s = res.summary
    assert s["requests"][0]["status"] == 500
    assert "answered 500" in s["error"] and s["error_code"] == "WORKLOAD_FAILED"
    assert "table_report" in s["artifacts"]


def test_endpoint_app_raising_is_500(tmp_path: Path, harness) -> None:
    d = _app(tmp_path)
    res = harness({"mode": "endpoint", "app": "service:app", "app_dir": str(d), "endpoint": {"path": "/raise"}})
    assert res.rc == 1
    assert res.summary["requests"][0]["status"] == 500


def test_endpoint_4xx_is_a_warning_not_a_failure(tmp_path: Path, harness) -> None:
    d = _app(tmp_path)
    res = harness({"mode": "endpoint", "app": "service:app", "app_dir": str(d), "endpoint": {"path": "/missing"}})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert s["requests"][0]["status"] == 404 and s["error"] is None
    assert any("GET /missing answered 404" in w for w in s["warnings"])


def test_bad_app_exits_2(tmp_path: Path, harness) -> None:
    d = _app(tmp_path)
    res = harness({"mode": "endpoint", "app": "service:nope", "app_dir": str(d)})
    assert res.rc == 2 and "no attribute" in res.summary["error"]
    assert res.summary["error_code"] == "APP_IMPORT_FAILED"
    res = harness({"mode": "endpoint", "app": "missing_mod:app", "app_dir": str(d)})
    assert res.rc == 2 and "cannot import" in res.summary["error"]
    res = harness({"mode": "endpoint", "app": None})
    assert res.rc == 2 and res.summary["error_code"] == "APP_NOT_FOUND" and "needs app" in res.summary["error"]


def test_sequence_leaking_app_is_flagged(tmp_path: Path, harness) -> None:
    d = _app(tmp_path)
    res = harness(
        {
            "mode": "sequence",
            "app": "service:app",
            "app_dir": str(d),
            "requests": 5,
            "delay_seconds": 0.05,
            "endpoint": {"path": "/leak"},
            "reports": ["temporal", "table"],
        }
    )
    assert res.rc == 0, res.stderr
    s = res.summary
    assert_summary(s)
    assert [r["request_num"] for r in s["requests"]] == [1, 2, 3, 4, 5]
    assert all(r["status"] == 200 for r in s["requests"])
    li = s["leak_indicators"]
    assert li["monotonic_growth"] is True and li["likely_leak"] is True
    assert li["rss_growth_mb"] >= 10
    leak_site = "service.py:%d" % line_of(d / "service.py", "# LEAK_LINE")
    assert s["top_allocators"][0]["file"].endswith(leak_site)
    assert s["top_allocators"][0]["size_kb"] >= 5 * 3 * 1024
    assert "temporal_flamegraph" in s["artifacts"]
