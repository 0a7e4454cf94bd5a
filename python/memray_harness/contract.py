"""contract.json: core's tables (mode rules, reports, artifacts, error codes, defaults).

Generated from packages/core and shipped inside this package; the harness keeps no copy of its
own. Loaded once, on first use. Keys the harness does not use are ignored, so core may add some.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Optional

from .typed_json import ShapeError, build

CONTRACT_FILE = "contract.json"


class ContractError(Exception):
    """contract.json is missing or malformed: the harness was staged incompletely."""


@dataclass(frozen=True)
class ModeDefaults:
    requests: int
    delay_seconds: float


@dataclass(frozen=True)
class ModeRule:
    mode: str
    # import | request | requests | serve | script | script-or-requests (core's WorkloadKind)
    workload: str
    # required | optional | fallback (needed when there is no script) | none
    app: str
    # required | optional | none
    script: str
    # Config flags the mode forces whatever the user asked (TypeScript applies them too).
    forces: dict[str, bool]
    object_census: bool
    gc_before_stop: bool
    live: bool
    reports: tuple[str, ...]
    # high_watermark | leaked: what table/tree/top_allocators describe
    table_source: str
    primary_report: Optional[str]
    defaults: ModeDefaults


@dataclass(frozen=True)
class ReportFile:
    """A file a report writes, and the key summary.artifacts lists it under."""

    file: str
    artifact_key: str


@dataclass(frozen=True)
class ReportSpec(ReportFile):
    """A report: its main file (ReportFile's fields), how it is made, and the files it writes besides."""

    name: str
    # memray-flamegraph | table-tree | memray-stats | requests-verdict
    generator: str
    flamegraph_flags: tuple[str, ...]
    # Files the report writes besides `file`: its machine-readable twin.
    extra_files: tuple[ReportFile, ...]


@dataclass(frozen=True)
class ArtifactSpec:
    key: str
    file: str
    # harness | host
    producer: str


@dataclass(frozen=True)
class ErrorCodeRule:
    exit_code: int
    hint: str


@dataclass(frozen=True)
class Defaults:
    live_port: int
    requests_file: str
    # snapshot: heavy dependencies imported after the service's module when installed (and no modules given).
    snapshot_dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Patterns:
    app_ref: str


@dataclass(frozen=True)
class Files:
    summary: str
    host_sections: str
    harness_state: str
    attach_processes: str


@dataclass(frozen=True)
class _ContractJson:
    version: int
    modes: tuple[ModeRule, ...]
    reports: tuple[ReportSpec, ...]
    artifacts: tuple[ArtifactSpec, ...]
    error_codes: dict[str, ErrorCodeRule]
    files: Files
    defaults: Defaults
    patterns: Patterns


class Contract:
    """Lookups over contract.json; every lookup of an unknown name raises KeyError naming it."""

    def __init__(self, raw: _ContractJson) -> None:
        self.modes: dict[str, ModeRule] = {m.mode: m for m in raw.modes}
        self.reports: dict[str, ReportSpec] = {r.name: r for r in raw.reports}
        self.artifacts: dict[str, ArtifactSpec] = {a.key: a for a in raw.artifacts}
        self.error_codes: dict[str, ErrorCodeRule] = dict(raw.error_codes)
        self.defaults = raw.defaults
        self.files = raw.files
        self.app_ref: re.Pattern[str] = re.compile(raw.patterns.app_ref)

    def mode(self, name: str) -> ModeRule:
        return _lookup(self.modes, name, "mode")

    def report(self, name: str) -> ReportSpec:
        return _lookup(self.reports, name, "report")

    def artifact(self, key: str) -> ArtifactSpec:
        return _lookup(self.artifacts, key, "artifact key")

    def exit_code(self, code: str) -> int:
        return _lookup(self.error_codes, code, "error code").exit_code

    def hint(self, code: str) -> str:
        return _lookup(self.error_codes, code, "error code").hint


def _lookup(table: dict[str, Any], name: str, what: str) -> Any:
    try:
        return table[name]
    except KeyError:
        raise KeyError("%s %r is not in %s (known: %s)" % (what, name, CONTRACT_FILE, ", ".join(table))) from None


def _read_text() -> str:
    from importlib.resources import files  # Python >= 3.9

    return files(__package__).joinpath(CONTRACT_FILE).read_text(encoding="utf-8")


def parse(text: str) -> Contract:
    try:
        return Contract(build(_ContractJson, json.loads(text), CONTRACT_FILE, ignore_extra=True))
    except (ValueError, ShapeError, re.error) as exc:
        raise ContractError("%s is malformed (%s); regenerate it with `npm run schemas -w @alpiq/memray-core`" % (CONTRACT_FILE, exc)) from exc


@cache
def contract() -> Contract:
    """The shipped contract, read on first use."""
    try:
        text = _read_text()
    except (OSError, ImportError) as exc:
        raise ContractError("cannot read %s next to the memray_harness package (%s): stage the whole package" % (CONTRACT_FILE, exc)) from exc
    return parse(text)
