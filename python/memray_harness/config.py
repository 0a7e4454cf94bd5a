"""Load and validate config.json (keys and meanings: docs/harness-protocol.md)."""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .errors import ConfigError

MODES = (
    "script", "snapshot", "endpoint", "sequence", "stats",
    "leaks", "objects", "live-web", "live-remote",
)
REPORTS = ("flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree", "stats")
DEFAULT_REPORTS = ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"]
DEFAULT_REQUESTS_FILE = "/tmp/memray-run-requests.json"
DEFAULT_LIVE_PORT = 9001


@dataclass
class Endpoint:
    path: str = "/"
    method: str = "GET"
    body: Optional[str] = None
    headers: Dict[str, str] = field(default_factory=dict)


@dataclass
class Config:
    mode: str
    run_id: str
    out_dir: str
    artifact_prefix: str
    script: Optional[str] = None
    script_path: Optional[str] = None
    script_args: List[str] = field(default_factory=list)
    app: Optional[str] = None
    app_dir: Optional[str] = None
    modules: List[str] = field(default_factory=list)
    endpoint: Endpoint = field(default_factory=Endpoint)
    requests: int = 1
    delay_seconds: float = 0.0
    native_traces: bool = True
    trace_python_allocators: bool = True
    allow_no_memray: bool = False
    install_requirements: bool = True
    requests_file: str = DEFAULT_REQUESTS_FILE
    reports: List[str] = field(default_factory=lambda: list(DEFAULT_REPORTS))
    live_port: int = DEFAULT_LIVE_PORT
    service_port: Optional[int] = None
    timeout_seconds: Optional[float] = None

    @property
    def is_live(self) -> bool:
        return self.mode in ("live-web", "live-remote")


def default_run_id(name: str, now: Optional[float] = None) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
    return "%s-%s" % (stem, time.strftime("%Y%m%d-%H%M%S", time.localtime(now)))


def _expect(raw: Dict[str, Any], key: str, types: tuple, what: str, nullable: bool = False) -> Any:
    value = raw.get(key)
    if value is None and nullable:
        return None
    # bool is an int subclass: never accept it where a number is meant.
    if isinstance(value, bool) and bool not in types:
        raise ConfigError("config key %r must be %s, got %r" % (key, what, value))
    if not isinstance(value, types):
        raise ConfigError("config key %r must be %s, got %r" % (key, what, value))
    return value


def _str_list(raw: Dict[str, Any], key: str) -> List[str]:
    value = raw.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("config key %r must be a list of strings, got %r" % (key, value))
    return list(value)


def parse_config(raw: Any) -> Config:
    """Validate a decoded config object and fill defaults. Raises ConfigError (exit 2)."""
    if not isinstance(raw, dict):
        raise ConfigError("config must be a JSON object, got %s" % type(raw).__name__)
    raw = dict(raw)
    mode = raw.get("mode", "script")
    if mode not in MODES:
        raise ConfigError("config key 'mode' must be one of %s, got %r" % (", ".join(MODES), mode))
    if not isinstance(raw.get("out_dir"), str) or not os.path.isabs(raw["out_dir"]):
        raise ConfigError("config key 'out_dir' must be an absolute path, got %r" % raw.get("out_dir"))

    script_path = _expect(raw, "script_path", (str,), "an absolute path or null", nullable=True)
    if script_path is not None and not os.path.isabs(script_path):
        raise ConfigError("config key 'script_path' must be an absolute path, got %r" % script_path)
    name = os.path.splitext(os.path.basename(script_path))[0] if script_path else mode
    run_id = raw.get("run_id") or default_run_id(name)
    if not isinstance(run_id, str):
        raise ConfigError("config key 'run_id' must be a string, got %r" % run_id)

    cfg = Config(
        mode=mode,
        run_id=run_id,
        out_dir=raw["out_dir"],
        artifact_prefix=raw.get("artifact_prefix") or "runs/%s" % run_id,
        script=_expect(raw, "script", (str,), "a string or null", nullable=True),
        script_path=script_path,
    )
    if cfg.script is None and script_path:
        cfg.script = script_path
    if "script_args" in raw and raw["script_args"] is not None:
        cfg.script_args = _str_list(raw, "script_args")
    cfg.app = _expect(raw, "app", (str,), "'module:attr' or null", nullable=True)
    cfg.app_dir = _expect(raw, "app_dir", (str,), "an absolute path or null", nullable=True)
    if raw.get("modules") is not None:
        cfg.modules = _str_list(raw, "modules")
    if raw.get("endpoint") is not None:
        cfg.endpoint = _parse_endpoint(raw["endpoint"])
    if raw.get("requests") is not None:
        cfg.requests = _expect(raw, "requests", (int,), "an integer >= 1")
        if cfg.requests < 1:
            raise ConfigError("config key 'requests' must be >= 1, got %r" % cfg.requests)
    if raw.get("delay_seconds") is not None:
        cfg.delay_seconds = float(_expect(raw, "delay_seconds", (int, float), "a number >= 0"))
        if cfg.delay_seconds < 0:
            raise ConfigError("config key 'delay_seconds' must be >= 0")
    for key in ("native_traces", "trace_python_allocators", "allow_no_memray", "install_requirements"):
        if raw.get(key) is not None:
            setattr(cfg, key, _expect(raw, key, (bool,), "true or false"))
    if raw.get("requests_file") is not None:
        cfg.requests_file = _expect(raw, "requests_file", (str,), "an absolute path")
    if raw.get("reports") is not None:
        cfg.reports = _str_list(raw, "reports")
        unknown = [r for r in cfg.reports if r not in REPORTS]
        if unknown:
            raise ConfigError("unknown report(s) %s; known: %s" % (unknown, ", ".join(REPORTS)))
    if raw.get("live_port") is not None:
        cfg.live_port = _expect(raw, "live_port", (int,), "a port number")
    cfg.service_port = _expect(raw, "service_port", (int,), "a port number or null", nullable=True)
    timeout = _expect(raw, "timeout_seconds", (int, float), "a number or null", nullable=True)
    cfg.timeout_seconds = float(timeout) if timeout is not None else None

    if mode == "leaks":
        cfg.trace_python_allocators = True  # leaks needs pymalloc-level frees to be exact
    if mode == "stats" and "stats" not in cfg.reports:
        cfg.reports.append("stats")
    _check_workload(cfg)
    return cfg


def _parse_endpoint(raw: Any) -> Endpoint:
    if not isinstance(raw, dict):
        raise ConfigError("config key 'endpoint' must be an object {path, method, body, headers}")
    ep = Endpoint()
    path = raw.get("path") or "/"
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigError("endpoint.path must start with '/', got %r" % path)
    ep.path = path
    method = raw.get("method") or "GET"
    if not isinstance(method, str):
        raise ConfigError("endpoint.method must be a string, got %r" % method)
    ep.method = method.upper()
    body = raw.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)  # an object body is sent as JSON
    ep.body = body
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict):
        raise ConfigError("endpoint.headers must be an object of strings")
    ep.headers = {str(k): str(v) for k, v in headers.items()}
    return ep


def _check_workload(cfg: Config) -> None:
    """Each mode needs a workload; say which key is missing."""
    mode = cfg.mode
    if mode == "script" and not cfg.script_path:
        raise ConfigError("mode 'script' needs 'script_path' (the script to run)")
    if mode in ("endpoint", "sequence", "live-web") and not cfg.app:
        raise ConfigError("mode %r needs 'app' (a WSGI app as module:attr)" % mode)
    if mode in ("stats", "leaks", "objects", "live-remote") and not (cfg.script_path or cfg.app):
        raise ConfigError("mode %r needs a workload: 'script_path' or 'app'" % mode)
    if mode == "snapshot" and not (cfg.modules or cfg.app):
        raise ConfigError("mode 'snapshot' needs 'modules' (or 'app', whose module is imported)")


def load_config(path: str) -> Config:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as exc:
        raise ConfigError("cannot read config %s: %s" % (path, exc))
    except ValueError as exc:
        raise ConfigError("config %s is not valid JSON: %s" % (path, exc))
    return parse_config(raw)


def peek_out_dir(path: str) -> Optional[Dict[str, Any]]:
    """Best effort: the raw config, so a summary can be written even when validation fails."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        return raw if isinstance(raw, dict) else None
    except (OSError, ValueError):
        return None
