"""config.json as typed dataclasses (keys and meanings: docs/harness-protocol.md).

Only the TypeScript side writes config.json, after core's zod schema validated it, so every key is
present and values are in range. This only builds the dataclasses: a config they cannot hold
(a key missing, unknown or of the wrong type, or a mode contract.json does not know) is
INVALID_CONFIG.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Optional

from .contract import contract
from .errors import HarnessError
from .typed_json import ShapeError, build


@dataclass
class Endpoint:
    # None: not given (--endpoint): the harness chooses one of the app's routes (workloads/routes.py).
    path: Optional[str]
    method: str
    body: Optional[str]
    headers: dict[str, str]


@dataclass
class TargetInfo:
    """Where the run happens; recorded as summary.target."""

    kind: str
    name: str
    python: str
    service_port: Optional[int] = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class AttachOptions:
    """Mode attach: the window, which processes, the capture format, and whether requests are sent."""

    duration_seconds: float
    # --pid: these processes only; empty: every process that serves (workers, or the main process).
    pids: list[int]
    aggregate: bool
    # Send `requests` requests to the service's own port; False: observe whatever traffic comes.
    send_requests: bool


@dataclass
class Config:
    mode: str
    run_id: str
    out_dir: str
    artifact_prefix: str
    script: Optional[str]
    script_path: Optional[str]
    script_args: list[str]
    app: Optional[str]
    app_dir: Optional[str]
    modules: list[str]
    endpoint: Endpoint
    requests: int
    delay_seconds: float
    native_traces: bool
    trace_python_allocators: bool
    allow_no_memray: bool
    install_requirements: bool
    requests_file: str
    reports: list[str]
    live_port: int
    service_port: Optional[int]
    timeout_seconds: Optional[float]
    target: TargetInfo
    # Artifact keys of files the host adds to the run directory (always listed in summary.artifacts).
    host_artifacts: list[str]
    # Wait this long after the reports for the host's host-sections.json (signals); None: nothing comes.
    host_sections_wait_seconds: Optional[float]
    # Problems the host met preparing the run (files not copied, ...): summary.warnings.
    host_warnings: list[str]
    # Run tracemalloc beside memray (memory.tracemalloc_source "tracemalloc") instead of deriving its
    # figures from the capture; optional in config.json (false when absent).
    tracemalloc: bool = False
    # Mode attach only (None otherwise); optional in config.json.
    attach: Optional[AttachOptions] = None
    # A directory the host made for this run alone (the config, the requests file) that nothing needs
    # once the run is over: removed by the harness when the host went away (the host cannot any more).
    # Optional in config.json (None when absent: nothing to remove).
    scratch_dir: Optional[str] = None


def default_run_id(name: str, now: Optional[float] = None) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
    return "%s-%s" % (stem, time.strftime("%Y%m%d-%H%M%S", time.localtime(now)))


def parse_config(raw: Any) -> Config:
    """Raises HarnessError INVALID_CONFIG saying which key does not fit."""
    try:
        cfg = build(Config, raw, "config")
    except ShapeError as exc:
        raise HarnessError("INVALID_CONFIG", "config.json does not fit the harness: %s" % exc) from exc
    try:
        contract().mode(cfg.mode)
    except KeyError as exc:
        raise HarnessError("INVALID_CONFIG", "config.json: %s" % exc.args[0]) from exc
    return cfg


def load_config(path: str) -> Config:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as exc:
        raise HarnessError("INVALID_CONFIG", "cannot read config %s: %s" % (path, exc)) from exc
    except ValueError as exc:
        raise HarnessError("INVALID_CONFIG", "config %s is not valid JSON: %s" % (path, exc)) from exc
    return parse_config(raw)
