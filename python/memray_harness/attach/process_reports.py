"""Each tracked process's reports: the run's reports (contract.json) made from its capture by the
harness's report engine, with the process's directory as the run directory (reports/make_reports.py).

Nothing asked for goes missing silently: a report that cannot be made is listed in the process's
`missing_reports` with why. An aggregated capture (--aggregate, memray's
FileFormat.AGGREGATED_ALLOCATIONS) keeps, per stack, only what was live at the high-water mark and
what was never freed, plus the memory snapshots: memray cannot make the temporal flamegraph
(allocation history) or the temporary-allocations flamegraph from it, nor compute statistics (`memray
stats`); the high-water-mark and leaks flamegraphs, the table and the tree it can.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

from ..contract import ReportSpec, contract
from ..reports.engine_plan import parse_flamegraph_flags
from ..reports.fallback_stats import memray_stats
from ..reports.generators import FLAMEGRAPH, REQUESTS_VERDICT, STATS
from ..reports.make_reports import make_reports
from .tracked import Tracked, mib

AGGREGATED = "an aggregated capture (--aggregate)"
# memray's own words when asked for what an aggregated capture does not hold.
MEMRAY_AGGREGATE_REFUSALS = ("pre-aggregated capture file",)


def aggregate_blocker(spec: ReportSpec) -> Optional[str]:
    """Why an aggregated capture cannot give this report, or None when it can."""
    if spec.generator == STATS:
        return "%s has no individual allocations: memray cannot compute statistics from it" % AGGREGATED
    if spec.generator != FLAMEGRAPH:
        return None
    opts = parse_flamegraph_flags(list(spec.flamegraph_flags))
    if opts is None:
        return None
    if opts.read.startswith("temporal"):
        return "%s keeps no allocation history: memray makes no temporal flamegraph from it" % AGGREGATED
    if opts.read == "temporary":
        return "%s keeps no individual allocations: memray cannot find temporary allocations in it" % AGGREGATED
    return None


def per_process(names: list[str]) -> list[str]:
    """The reports made from each capture (requests.txt is the run's, made once)."""
    out = []
    for name in names:
        try:
            if contract().report(name).generator != REQUESTS_VERDICT:
                out.append(name)
        except KeyError:
            out.append(name)  # make_reports says it is unknown
    return out


def _has_capture(t: Tracked, out_dir: str) -> bool:
    return t.has_capture and os.path.isfile(t.session(out_dir))


def _aggregate_blocker(name: str, aggregate: bool) -> Optional[str]:
    """Why this capture cannot give the report: only an aggregated one refuses some (None: it can)."""
    return aggregate_blocker(contract().report(name)) if aggregate and name in contract().reports else None


def lacking(t: Tracked, out_dir: str, names: list[str], aggregate: bool) -> list[str]:
    """The reports a process's capture can give whose files are not in its directory (none without a capture)."""
    if not _has_capture(t, out_dir):
        return []
    known = [name for name in per_process(names) if name in contract().reports]
    return [name for name in known if not _aggregate_blocker(name, aggregate) and not _made(t.directory(out_dir), contract().report(name))]


def skip(t: Tracked, out_dir: str, names: list[str], reason: str) -> None:
    """None of the process's reports is made (reason), its capture listed when it has one."""
    t.missing_reports = [{"report": name, "reason": reason} for name in per_process(names)]
    t.reports = _artifacts(t, out_dir, [])


def make_process_reports(memray: Any, t: Tracked, out_dir: str, names: list[str], leaked_table: bool, aggregate: bool) -> None:
    """t.reports, missing_reports, top_allocators, peak_memory_mb, leaked_mb (and warnings)."""
    names = per_process(names)
    session = t.session(out_dir)
    directory = t.directory(out_dir)
    if not _has_capture(t, out_dir):
        skip(t, out_dir, names, "no capture: %s" % (t.error or "tracking never started"))
        return
    wanted: list[str] = []
    for name in names:
        blocker = _aggregate_blocker(name, aggregate)
        if blocker:
            t.missing_reports.append({"report": name, "reason": blocker})
        else:
            wanted.append(name)
    result = make_reports(memray, session, directory, wanted, leaked_table=leaked_table, service_capture=True)
    for w in result.warnings:
        if aggregate and any(refusal in w for refusal in MEMRAY_AGGREGATE_REFUSALS):
            continue  # the statistics behind memray_stats: listed above when asked for, else not needed
        t.warnings.append("pid %d (%s): %s" % (t.pid, t.role, w))
    made = [n for n in wanted if n not in result.failed and n in contract().reports and _made(directory, contract().report(n))]
    for name in wanted:
        if name not in made:  # failed, unknown, or abandoned after a signal
            reason = next((w for w in result.warnings if name in w), "the report engine did not make it")
            t.missing_reports.append({"report": name, "reason": reason})
    t.reports = _artifacts(t, out_dir, made)
    t.top_allocators = list(result.top_allocators or [])
    stats = result.memray_stats or memray_stats(memray, session, result.stats_json)
    if stats is not None and stats.get("peak_memory") is not None:
        t.peak_memory_mb = mib(float(stats["peak_memory"]))
    if leaked_table:
        t.leaked_mb = _leaked_mb(os.path.join(directory, contract().artifact("table_json").file))


def _made(directory: str, spec: ReportSpec) -> bool:
    return all(os.path.isfile(os.path.join(directory, f)) for f in [spec.file] + [e.file for e in spec.extra_files])


def _artifacts(t: Tracked, out_dir: str, made: list[str]) -> dict[str, str]:
    """artifact key -> path under the run directory, for the files there."""
    out: dict[str, str] = {}
    session = contract().artifact("session_bin")
    files = [(session.key, session.file)]
    for name in made:
        spec = contract().report(name)
        files.append((spec.artifact_key, spec.file))
        files.extend((extra.artifact_key, extra.file) for extra in spec.extra_files)
    for key, file in files:
        if os.path.isfile(os.path.join(t.directory(out_dir), file)):
            out[key] = "%s/%s" % (t.dir_name, file)
    return out


def _leaked_mb(table_json: str) -> Optional[float]:
    """What the process never freed while tracked (its leaked table's total, the agent's own left out)."""
    try:
        with open(table_json, encoding="utf-8") as f:
            return mib(float(json.load(f)["total_bytes"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
