"""Small units: config validation, path shortening, requests file, rss."""

from __future__ import annotations

import json
import os
import sysconfig
from typing import Optional

import pytest
from conftest import base_config

from memray_harness import paths
from memray_harness.config import Config, parse_config
from memray_harness.errors import HarnessError
from memray_harness.measurement import rss
from memray_harness.workloads import requests_file


def _raw(mode: str = "script", changes: Optional[dict] = None) -> dict:
    raw = base_config(mode, "/tmp/x", "/tmp/x/requests.json")
    raw.update(changes or {})
    return raw


def test_config_loads_into_dataclasses() -> None:
    cfg = parse_config(
        _raw("sequence", {"app": "svc:app", "delay_seconds": 0, "endpoint": {"path": "/r", "method": "POST", "body": "{}", "headers": {"X-A": "1"}}})
    )
    assert isinstance(cfg, Config) and cfg.mode == "sequence"
    assert cfg.endpoint.method == "POST" and cfg.endpoint.headers == {"X-A": "1"}
    assert isinstance(cfg.delay_seconds, float)  # JSON 0 is a float field
    assert cfg.target.kind == "local" and cfg.target.service_port is None
    assert cfg.host_artifacts == ["harness_log"]


def test_config_target_travels_to_summary_target() -> None:
    cfg = parse_config(_raw(changes={"target": {"kind": "docker", "name": "svc", "python": "python3", "service_port": 5000}}))
    assert cfg.target.to_json() == {"kind": "docker", "name": "svc", "python": "python3", "service_port": 5000}


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"requests": None}, "config.requests: expected int"),
        ({"native_traces": "yes"}, "config.native_traces: expected bool"),
        ({"requests": True}, "config.requests: expected int"),
        ({"endpoint": {"path": "/", "method": "GET", "body": None}}, "config.endpoint: missing key(s) headers"),
        ({"script_args": ["a", 1]}, "config.script_args[1]: expected str"),
        ({"surprise": 1}, "config: unknown key(s) surprise"),
        ({"target": {"kind": "docker", "name": "svc", "python": "python3", "service_port": None, "image": "x"}}, "config.target: unknown key(s) image"),
        ({"mode": "teleport"}, "mode 'teleport' is not in contract.json"),
    ],
)
def test_config_that_does_not_fit_is_invalid_config(change, needle) -> None:
    with pytest.raises(HarnessError) as err:
        parse_config(_raw(changes=change))
    assert err.value.code == "INVALID_CONFIG" and err.value.exit_code == 2
    assert needle in err.value.message


def test_config_missing_key_is_invalid_config() -> None:
    raw = _raw()
    del raw["host_artifacts"]
    with pytest.raises(HarnessError) as err:
        parse_config(raw)
    assert err.value.code == "INVALID_CONFIG" and "missing key(s) host_artifacts" in err.value.message


def test_shorten_paths() -> None:
    purelib = sysconfig.get_paths()["purelib"]
    assert paths.shorten(os.path.join(purelib, "polars", "frame.py")) == "polars/frame.py"
    stdlib = sysconfig.get_paths()["stdlib"]
    assert paths.shorten(os.path.join(stdlib, "json", "encoder.py")) == "json/encoder.py"
    assert paths.shorten(os.path.join(paths.ORIGINAL_CWD, "job.py")) == "job.py"
    assert paths.shorten("Objects/listobject.c") == "Objects/listobject.c"


def test_the_agent_loaded_from_an_earlier_runs_staging_is_the_harness(monkeypatch) -> None:
    # In mode attach the service often holds the agent an earlier run loaded, from that run's staging
    # directory: its frames are still ours, never the service's top allocators.
    monkeypatch.setattr(paths, "SERVER_LOOPS_ARE_HARNESS", False)
    earlier = "/tmp/memray-cli-AbC123/memray_harness/attach/agent.py"
    assert not earlier.startswith(paths.HARNESS_DIR)
    assert paths.is_harness_file(earlier) and paths.harness_name(earlier) == "attach/agent.py"
    assert paths.is_harness_allocation([("_serve", earlier, 229), ("run", "/usr/lib/python3.11/threading.py", 975)])
    service = "/srv/app/optimization_service/app.py"
    assert not paths.is_harness_file(service) and paths.harness_name(service) == "app.py"
    assert not paths.is_harness_allocation([("make_items", service, 57), ("handle", "/opt/venv/gunicorn/workers/sync.py", 84)])
    # the workload's entries are recognised by their name within the package, wherever it lives
    staged = "/tmp/memray-cli-XyZ/memray_harness/workloads/script.py"
    assert not paths.is_harness_allocation([("main", "/home/u/job.py", 3), ("run_script", staged, 40)])


def test_requests_file_shapes(tmp_path) -> None:
    p = tmp_path / "r.json"
    p.write_text(json.dumps({"requests": [{"status": 200, "rss_before": 1, "rss_after": 5}, 7]}))
    reqs, warnings = requests_file.load(str(p))
    assert reqs[0]["request_num"] == 1 and reqs[0]["rss_delta"] == 4 and reqs[0]["duration_s"] is None
    assert warnings and "entry 2" in warnings[0]
    assert requests_file.load(str(tmp_path / "missing.json")) == ([], [])


def test_rss_reads_current_and_peak() -> None:
    value, source = rss.current_rss()
    assert value and value > 1000 and source == rss.SOURCE_PROC
    assert rss.peak_rss_kb() > 1000  # ru_maxrss lags VmRSS slightly: no ordering asserted


def test_schema_check_rejects_what_the_schema_forbids() -> None:
    from schema_check import SCHEMA, errors

    problems = errors({"run_id": "", "memory": {"rss_before": "45056"}, "requests": [{"request_num": 1.5}]}, SCHEMA)
    assert "$.script: required" in problems
    assert "$.run_id: shorter than 1" in problems
    assert any(p.startswith("$.memory.rss_before") for p in problems)
    assert any(p.startswith("$.requests[0].request_num") for p in problems)


def test_a_harness_bug_during_the_workload_is_harness_failed(tmp_path, monkeypatch) -> None:
    """Still one complete summary; the code and exit code come from contract.json."""
    from conftest import check_outputs

    from memray_harness.contract import contract
    from memray_harness.run import runner
    from memray_harness.workloads import workload

    script = tmp_path / "job.py"
    script.write_text("x = 1\n")
    monkeypatch.setenv("MEMRAY_RUN_REQUESTS_FILE", "unused")  # restored after the test

    def broken(*args, **kwargs):
        raise RuntimeError("bug in the harness")

    monkeypatch.setattr(workload, "run", broken)
    raw = _raw("script", {"out_dir": str(tmp_path / "out"), "script_path": str(script), "reports": [], "requests_file": str(tmp_path / "r.json")})
    code = runner.run(parse_config(raw))
    assert code == contract().exit_code("HARNESS_FAILED") == 3
    check_outputs(tmp_path / "out")
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["error_code"] == "HARNESS_FAILED" and "bug in the harness" in s["error"]
    assert s["error_details"]["type"] == "RuntimeError" and "broken" in s["error_details"]["traceback"]


def test_the_objects_capture_step_says_what_track_object_lifetimes_costs(monkeypatch) -> None:
    """The seed's known limitation: track_object_lifetimes adds memory and CPU overhead; objects mode says so
    in its progress when it uses it, and says which census it uses otherwise."""
    from memray_harness.measurement import object_census
    from memray_harness.run.runner import capture_message

    monkeypatch.setattr(object_census, "surviving_objects_supported", lambda version: True)
    native = object_census.ObjectCensus(True, True, "1.20.0")
    assert native.native
    assert "track_object_lifetimes: it adds memory and CPU overhead (for targeted debugging, not routine profiling)" in capture_message("objects", native)
    monkeypatch.setattr(object_census, "surviving_objects_supported", lambda version: False)
    fallback = object_census.ObjectCensus(True, True, "1.20.0")
    assert "gc before/after diff" in capture_message("objects", fallback)
    assert capture_message("leaks", object_census.ObjectCensus(False, True, "1.20.0")) == "running the leaks workload"
