"""What the report engine is asked to make (the plan sent to it) and how it groups the work: one job per
distinct read of the capture, longest first."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import paths
from ..contract import ReportSpec, contract
from .generators import FLAMEGRAPH, STATS, TABLE_TREE

# The engine's argument when its plan comes on stdin (one JSON line); EOF instead: it is not needed.
PLAN_ON_STDIN = "-"
# Relative cost of each read, to start the longest first (measured on the bench workload).
READ_COST = {"stats": 2.2, "temporal_high_watermark": 2.2, "high_watermark": 2.0, "temporary": 1.6, "temporal_leaked": 1.4, "leaked": 1.1}
CONFIDENTIAL_FILES = ("all", "none", "default")

ReadKey = tuple[str, bool, int]  # (read, merge_threads, threshold)


def plan_request(session: str, out_dir: str, reports: list[str], leaked_table: bool, derive_tracemalloc: bool, service_capture: bool = False) -> dict[str, Any]:
    """The plan as the harness sends it (JSON): the reports to make from session.bin into out_dir.
    service_capture: the capture is of a service's own process (mode attach), not of the harness's."""
    return {
        "session": session,
        "out_dir": out_dir,
        "reports": reports,
        "cwd": paths.ORIGINAL_CWD,  # table sites are shown relative to where the harness started
        "table_source": "leaked" if leaked_table else "high_watermark",
        "derive_tracemalloc": derive_tracemalloc,
        "totals": True,
        "workers": None,
        "service_capture": service_capture,
    }


@dataclass(frozen=True)
class FlamegraphOptions:
    """What a `memray flamegraph` flag list asks for (the CLI's defaults otherwise)."""

    read: str  # the record set: see READ_COST
    threshold: int = -1  # temporary allocation threshold
    merge_threads: bool = True
    inverted: bool = False
    no_web: bool = False
    confidential_files: str = "default"

    @property
    def show_memory_leaks(self) -> bool:
        return self.read in ("leaked", "temporal_leaked")


def _flag_value(flags: list[str], i: int) -> tuple[str, int]:
    """The value of the option at flags[i] (`--x=v` or `--x v`) and the index of the option after it."""
    if "=" in flags[i]:
        return flags[i].split("=", 1)[1], i + 1
    return (flags[i + 1] if i + 1 < len(flags) else ""), i + 2


def parse_flamegraph_flags(flags: list[str]) -> Optional[FlamegraphOptions]:
    """The flags of memray's flamegraph command this engine renders itself; None: let memray's CLI."""
    switches: set[str] = set()
    threshold = -1
    confidential = "default"
    i = 0
    while i < len(flags):
        f = flags[i]
        if f in ("--leaks", "--temporal", "--split-threads", "--inverted", "--no-web"):
            switches.add(f)
            i += 1
        elif f == "--temporary-allocations":
            threshold = 1
            i += 1
        elif f.startswith("--temporary-allocation-threshold"):
            value, i = _flag_value(flags, i)
            try:
                threshold = int(value)
            except ValueError:
                return None
        elif f.startswith("--confidential-files"):
            confidential, i = _flag_value(flags, i)
            if confidential not in CONFIDENTIAL_FILES:
                return None
        else:
            return None  # --max-memory-records and anything newer: memray's CLI knows
    leaks, temporal = "--leaks" in switches, "--temporal" in switches
    if (leaks or temporal) and threshold >= 0:
        return None  # memray's CLI reports these usage errors itself
    if temporal:
        read = "temporal_leaked" if leaks else "temporal_high_watermark"
    elif leaks:
        read = "leaked"
    elif threshold >= 0:
        read = "temporary"
    else:
        read = "high_watermark"
    return FlamegraphOptions(read, threshold, "--split-threads" not in switches, "--inverted" in switches, "--no-web" in switches, confidential)


@dataclass
class Job:
    """One read of the capture and everything made from it (reports, derived figures)."""

    key: ReadKey
    flamegraphs: list[tuple[ReportSpec, Optional[FlamegraphOptions]]] = field(default_factory=list)
    table_tree: list[ReportSpec] = field(default_factory=list)
    derive: bool = False  # contribute to the derived tracemalloc figures

    @property
    def read(self) -> str:
        return self.key[0]

    @property
    def names(self) -> list[str]:
        out = [s.name for s, _ in self.flamegraphs]
        if self.table_tree:
            out.append(TABLE_TREE)
        return out


@dataclass
class Plan:
    session: str
    out_dir: str
    jobs: list[Job]
    stats: Optional[ReportSpec]  # the stats report, if asked
    totals: bool  # compute_statistics for summary.memray_stats
    fallback: list[tuple[ReportSpec, list[str]]]  # reports memray's CLI makes (flags unknown here)
    workers: int


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def make_plan(raw: dict[str, Any]) -> Plan:
    """The jobs of a plan request: reports that share a read share its job."""
    jobs: dict[ReadKey, Job] = {}

    def job(key: ReadKey) -> Job:
        if key not in jobs:
            jobs[key] = Job(key)
        return jobs[key]

    stats_spec: Optional[ReportSpec] = None
    fallback: list[tuple[ReportSpec, list[str]]] = []
    table_specs: list[ReportSpec] = []
    for name in raw["reports"]:
        spec = contract().report(name)
        if spec.generator == FLAMEGRAPH:
            opts = parse_flamegraph_flags(list(spec.flamegraph_flags))
            if opts is None:
                fallback.append((spec, list(spec.flamegraph_flags)))
            else:
                job((opts.read, opts.merge_threads, opts.threshold)).flamegraphs.append((spec, opts))
        elif spec.generator == TABLE_TREE:
            table_specs.append(spec)
        elif spec.generator == STATS:
            stats_spec = spec
    if table_specs:
        job(("leaked" if raw.get("table_source") == "leaked" else "high_watermark", True, -1)).table_tree = table_specs
    if raw.get("derive_tracemalloc"):
        job(("leaked", True, -1)).derive = True  # live bytes when tracking stopped
        job(("high_watermark", True, -1)).derive = True  # live bytes at the high-water mark
        if ("temporal_high_watermark", True, -1) in jobs:  # and at each snapshot's high-water mark
            jobs[("temporal_high_watermark", True, -1)].derive = True
    ordered = sorted(jobs.values(), key=lambda j: -READ_COST.get(j.read, 1.0))
    workers = raw.get("workers") or usable_cpus()
    return Plan(raw["session"], raw["out_dir"], ordered, stats_spec, bool(raw.get("totals", True)), fallback, max(1, int(workers)))
