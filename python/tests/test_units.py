"""Small units: config validation, path shortening, requests file, rss."""
from __future__ import annotations

import json
import os
import sysconfig

import pytest

from memray_harness import paths, requests_file, rss
from memray_harness.config import ConfigError, parse_config


def test_config_defaults_and_leaks_forces_python_allocators() -> None:
    cfg = parse_config({"mode": "leaks", "out_dir": "/tmp/x", "script_path": "/tmp/job.py",
                        "trace_python_allocators": False})
    assert cfg.trace_python_allocators is True
    assert cfg.run_id.startswith("job-") and cfg.artifact_prefix == "runs/" + cfg.run_id
    assert cfg.endpoint.path == "/" and cfg.endpoint.method == "GET"
    assert cfg.live_port == 9001 and cfg.requests == 1


@pytest.mark.parametrize("raw, needle", [
    ({"mode": "script", "out_dir": "rel"}, "out_dir"),
    ({"mode": "script", "out_dir": "/tmp/x"}, "script_path"),
    ({"mode": "endpoint", "out_dir": "/tmp/x"}, "app"),
    ({"mode": "sequence", "out_dir": "/tmp/x", "app": "a:b", "requests": 0}, "requests"),
    ({"mode": "script", "out_dir": "/tmp/x", "script_path": "/a.py", "reports": ["pie"]}, "pie"),
    ({"mode": "script", "out_dir": "/tmp/x", "script_path": "/a.py", "native_traces": "yes"}, "native_traces"),
])
def test_config_errors_name_the_key(raw, needle) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert needle in err.value.message


def test_shorten_paths() -> None:
    purelib = sysconfig.get_paths()["purelib"]
    assert paths.shorten(os.path.join(purelib, "polars", "frame.py")) == "polars/frame.py"
    stdlib = sysconfig.get_paths()["stdlib"]
    assert paths.shorten(os.path.join(stdlib, "json", "encoder.py")) == "json/encoder.py"
    assert paths.shorten(os.path.join(paths.ORIGINAL_CWD, "job.py")) == "job.py"
    assert paths.shorten("Objects/listobject.c") == "Objects/listobject.c"


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
