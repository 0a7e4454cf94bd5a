"""ASGI apps: driven in-process through the ASGI interface (an http scope on an event loop, lifespan startup
and shutdown), in every mode that serves the app; a minimal stdlib ASGI app, no FastAPI needed."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from pathlib import Path

import pytest
from apps import ASGI_APP
from conftest import check_outputs, free_port, line_of, start_harness, wait_for_event, write_config, write_script
from schema_check import assert_summary


@pytest.fixture
def svc(tmp_path: Path) -> Path:
    d = tmp_path / "svc"
    d.mkdir()
    write_script(d, "asgi_service.py", ASGI_APP)
    return d


def _site(svc: Path, marker: str) -> str:
    return "asgi_service.py:%d" % line_of(svc / "asgi_service.py", marker)


def test_endpoint_drives_the_app_through_asgi_with_its_lifespan(tmp_path: Path, svc: Path, harness, monkeypatch) -> None:
    marker = tmp_path / "shutdown"
    monkeypatch.setenv("ASGI_SHUTDOWN_MARKER", str(marker))
    res = harness({"mode": "endpoint", "app": "asgi_service:app", "app_dir": str(svc), "endpoint": {"path": "/ok"}})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert_summary(s)
    [req] = s["requests"]
    assert req["status"] == 200 and req["duration_s"] > 0 and req["rss_before"] and req["rss_after"]
    assert s["app"] == {"ref": "asgi_service:app", "interface": "asgi", "lifespan": "started"}
    assert s["endpoint"] == {"path": "/ok", "method": "GET", "chosen_by": "option"}
    top = s["top_allocators"][0]
    assert top["file"].endswith(_site(svc, "# APP_ALLOC")) and top["function"] == "make_report"
    assert _site(svc, "# APP_ALLOC") in res.text("table.txt")
    assert marker.read_text() == "shut down", "lifespan shutdown ran after the capture"


def test_lifespan_state_reaches_requests_and_the_health_route_is_chosen(tmp_path: Path, svc: Path, harness) -> None:
    """No --endpoint: the app's routes are read (its Starlette-like `routes`): /health before /ok, though /ok is
    declared first; /health answers 200 only when the lifespan's state reached the request scope."""
    res = harness({"mode": "endpoint", "app": "asgi_service:app", "app_dir": str(svc), "endpoint": {"path": None}})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert s["requests"][0]["status"] == 200
    assert s["endpoint"]["path"] == "/health" and s["endpoint"]["chosen_by"] == "health route"
    assert s["endpoint"]["routes"] == ["GET /items/{id}", "GET /ok", "GET /health", "GET /leak"]
    steps = [e["message"] for e in res.events() if e["event"] == "step" and e["step"] == "endpoint"]
    assert steps and "no --endpoint given: profiling GET /health, its health route" in steps[0]


def test_without_a_health_route_the_first_parameterless_route_is_chosen(svc: Path, harness) -> None:
    res = harness({"mode": "endpoint", "app": "asgi_service:no_health", "app_dir": str(svc), "endpoint": {"path": None}})
    assert res.rc == 0, res.stderr
    assert res.summary["endpoint"]["path"] == "/ok" and res.summary["endpoint"]["chosen_by"] == "first route"


def test_no_route_to_choose_is_exit_2_listing_the_routes(svc: Path, harness) -> None:
    res = harness({"mode": "endpoint", "app": "asgi_service:only_params", "app_dir": str(svc), "endpoint": {"path": None}})
    assert res.rc == 2
    s = res.summary
    assert s["error_code"] == "ENDPOINT_REQUIRED" and s["requests"] == []
    assert "GET /items/{id}, POST /submit" in s["error"]
    assert "session_bin" not in s["artifacts"], "nothing measured"


def test_unreadable_routes_and_a_404_on_slash_is_never_a_quiet_profile(svc: Path, harness) -> None:
    res = harness({"mode": "endpoint", "app": "asgi_service:bare", "app_dir": str(svc), "endpoint": {"path": None}})
    assert res.rc == 2
    s = res.summary
    assert s["app"]["lifespan"] == "unsupported"  # it raised on the lifespan scope: it has none
    assert s["requests"][0]["status"] == 404
    assert s["error_code"] == "ENDPOINT_REQUIRED" and "answered 404" in s["error"]
    assert s["endpoint"]["chosen_by"] == "default"
    # Given explicitly, a 404 stays the warning it always was; the bare app answers /x.
    ok = harness({"mode": "endpoint", "app": "asgi_service:bare", "app_dir": str(svc), "endpoint": {"path": "/x"}})
    assert ok.rc == 0 and ok.summary["requests"][0]["status"] == 200


def test_a_raising_handler_is_the_apps_500_with_its_traceback(svc: Path, harness) -> None:
    res = harness({"mode": "endpoint", "app": "asgi_service:app", "app_dir": str(svc), "endpoint": {"path": "/raise"}})
    assert res.rc == 1
    s = res.summary
    assert s["requests"][0]["status"] == 500 and "answered 500" in s["error"]
    assert any("the app raised RuntimeError: handler crashed" in w for w in s["warnings"])
    assert s["error_details"]["type"] == "RuntimeError" and "handler crashed" in s["error_details"]["traceback"]


def test_post_body_query_and_factory(svc: Path, harness) -> None:
    res = harness({"mode": "endpoint", "app": "asgi_service:app", "app_dir": str(svc), "endpoint": {"path": "/echo?x=1", "method": "POST", "body": '{"k": 1}'}})
    assert res.rc == 0, res.stderr
    assert res.summary["requests"][0]["status"] == 200
    factory = harness({"mode": "endpoint", "app": "asgi_service:create_app()", "app_dir": str(svc), "endpoint": {"path": "/ok"}})
    assert factory.rc == 0 and factory.summary["app"]["interface"] == "asgi"


def test_tasks_the_app_spawns_are_the_apps(svc: Path, harness) -> None:
    res = harness({"mode": "endpoint", "app": "asgi_service:app", "app_dir": str(svc), "endpoint": {"path": "/spawn"}})
    assert res.rc == 0, res.stderr
    assert any(a["file"].endswith(_site(svc, "# TASK_ALLOC")) for a in res.summary["top_allocators"])


def test_sequence_finds_the_leak_line(svc: Path, harness) -> None:
    res = harness({"mode": "sequence", "app": "asgi_service:app", "app_dir": str(svc), "requests": 6, "delay_seconds": 0.05, "endpoint": {"path": "/leak"}})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert [r["status"] for r in s["requests"]] == [200] * 6
    assert s["leak_indicators"]["likely_leak"] is True
    assert s["growth_sites"][0]["site"].endswith(_site(svc, "# LEAK_LINE"))


@pytest.mark.parametrize("mode", ["stats", "leaks", "objects"])
def test_stats_leaks_objects_without_a_script(mode: str, svc: Path, harness) -> None:
    res = harness({"mode": mode, "app": "asgi_service:app", "app_dir": str(svc), "requests": 3, "endpoint": {"path": "/leak"}})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert [r["status"] for r in s["requests"]] == [200] * 3 and s["app"]["interface"] == "asgi"
    if mode == "stats":
        assert "stats_txt" in s["artifacts"]
    if mode == "leaks":
        assert s["top_allocators"][0]["file"].endswith(_site(svc, "# LEAK_LINE"))
    if mode == "objects":
        rows = {o["type"]: o for o in json.loads(res.text("memray-objects.json"))["objects"]}
        assert rows["asgi_service.LeakedPlan"]["count"] == 3


def test_neither_wsgi_nor_asgi_is_exit_2_saying_what_it_found(svc: Path, harness) -> None:
    res = harness({"mode": "endpoint", "app": "asgi_service:four_args", "app_dir": str(svc), "endpoint": {"path": "/"}})
    assert res.rc == 2
    s = res.summary
    assert s["error_code"] == "APP_INTERFACE_UNKNOWN"
    assert "neither a WSGI app" in s["error"] and "four_args(a, b, c, d)" in s["error"]
    cls = harness({"mode": "endpoint", "app": "asgi_service:App", "app_dir": str(svc), "endpoint": {"path": "/"}})
    assert cls.rc == 2 and "class App(routes)" in cls.summary["error"]


def test_a_failed_lifespan_startup_is_exit_2(svc: Path, harness) -> None:
    res = harness({"mode": "endpoint", "app": "asgi_service:startup_fails", "app_dir": str(svc), "endpoint": {"path": "/"}})
    assert res.rc == 2
    assert res.summary["error_code"] == "APP_IMPORT_FAILED" and "no database" in res.summary["error"]


def test_flask_routes_are_read_too(tmp_path: Path, harness) -> None:
    pytest.importorskip("flask")
    d = tmp_path / "flasksvc"
    d.mkdir()
    write_script(
        d,
        "flask_service.py",
        """
        from flask import Flask
        app = Flask(__name__)

        @app.get("/items/<int:n>")
        def item(n):
            return {"n": n}

        @app.get("/ping")
        def ping():
            return "pong"
        """,
    )
    res = harness({"mode": "endpoint", "app": "flask_service:app", "app_dir": str(d), "endpoint": {"path": None}})
    assert res.rc == 0, res.stderr
    s = res.summary
    assert s["app"]["interface"] == "wsgi" and s["endpoint"]["path"] == "/ping" and s["endpoint"]["framework"] == "flask"
    assert s["requests"][0]["status"] == 200


def test_live_web_serves_an_asgi_app_on_a_port(tmp_path: Path, svc: Path) -> None:
    import memray

    live_port = free_port()
    config = write_config(
        tmp_path, {"mode": "live-web", "run_id": "live", "app": "asgi_service:app", "app_dir": str(svc), "live_port": live_port, "timeout_seconds": 60}
    )
    proc = start_harness(config, tmp_path, stdout=None)
    reader = None
    try:
        live = wait_for_event(proc, "live")
        deadline = time.monotonic() + 15
        while reader is None:
            try:
                candidate = memray.SocketReader(port=live_port)
                candidate.__enter__()
                reader = candidate
            except Exception:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 15
        while True:
            try:
                request = urllib.request.Request("http://127.0.0.1:%d/echo?q=2" % live["service_port"], data=b"hello", method="POST")
                with opener.open(request, timeout=5) as r:
                    assert r.status == 200
                    assert json.loads(r.read()) == {"method": "POST", "body": "hello", "query": "q=2"}
                    break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with opener.open("http://127.0.0.1:%d/health" % live["service_port"], timeout=5) as r:
            assert r.status == 200
        try:
            opener.open("http://127.0.0.1:%d/nope" % live["service_port"], timeout=5)
            raise AssertionError("404 expected")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if reader is not None:
            reader.__exit__(None, None, None)
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == 0
    check_outputs(tmp_path / "out")
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["live"]["stopped_by"] == "SIGINT" and s["app"]["interface"] == "asgi"


def test_leaks_without_a_script_or_an_endpoint_chooses_too(svc: Path, harness) -> None:
    res = harness({"mode": "leaks", "app": "asgi_service:app", "app_dir": str(svc), "requests": 2, "endpoint": {"path": None}})
    assert res.rc == 0, res.stderr
    assert res.summary["endpoint"]["path"] == "/health" and [r["status"] for r in res.summary["requests"]] == [200, 200]
