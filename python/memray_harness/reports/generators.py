"""The generators of contract.json's reports that this harness implements, and the names of their progress events."""

from __future__ import annotations

from ..contract import ReportSpec

# Made from session.bin by the report engine.
FLAMEGRAPH, TABLE_TREE, STATS = "memray-flamegraph", "table-tree", "memray-stats"
# Made after the requests are known (requests_report.py), not from session.bin alone.
REQUESTS_VERDICT = "requests-verdict"
FROM_CAPTURE = (FLAMEGRAPH, TABLE_TREE, STATS)

JSON_TWIN = "-json"  # the event of a report's machine-readable twin (stats -> stats-json)


def event_names(spec: ReportSpec) -> list[str]:
    """The names of a report's progress events (table and tree share one; stats has a -json twin)."""
    if spec.generator == TABLE_TREE:
        return [TABLE_TREE]
    if spec.generator == STATS:
        return [spec.name] + [spec.name + JSON_TWIN for _ in spec.extra_files]
    return [spec.name]


def report_of(event_name: str) -> str:
    """The report an event is about (stats-json -> stats)."""
    return event_name[: -len(JSON_TWIN)] if event_name.endswith(JSON_TWIN) else event_name
