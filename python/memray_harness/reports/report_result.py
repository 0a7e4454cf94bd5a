"""ReportResult: what the report step gives the summary (figures, warnings, failed reports, the engine's jobs)."""

from __future__ import annotations

from typing import Any, Optional

from .. import events
from .generators import report_of

NO_SPACE = "No space left on device"


class ReportResult:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.stats_json: Optional[dict[str, Any]] = None
        # summary.memray_stats {peak_memory, total_allocations, total_bytes_allocated} (compute_statistics).
        self.memray_stats: Optional[dict[str, Any]] = None
        # summary.top_allocators, from the table/tree pass (None when it did not run).
        self.top_allocators: Optional[list[dict[str, Any]]] = None
        # Derived tracemalloc figures {current, peak, delta} (derived_tracemalloc.py), when asked and made.
        self.tracemalloc: Optional[dict[str, int]] = None
        # Reports that failed: their partial files are removed.
        self.failed: list[str] = []
        # Of those, the ones that failed because the disk is full.
        self.no_space: list[str] = []
        # Reports a second Ctrl-C/SIGTERM stopped (not failures: the user asked).
        self.abandoned: list[str] = []
        # Per-job figures of the engine (read, seconds, max_rss_kb), for benchmarks and the log.
        self.jobs: list[dict[str, Any]] = []

    def fail(self, event_name: str, seconds: float, message: str) -> None:
        """A report (or its twin) that could not be made at all, and its failed progress event."""
        self.warnings.append("report %s failed: %s" % (event_name, message))
        self.failed.append(report_of(event_name))
        events.report(event_name, False, seconds, message)

    def find_no_space(self) -> None:
        """Which failed reports failed because the disk is full (their warning says so)."""
        self.no_space = [name for name in self.failed if any(name in w and NO_SPACE in w for w in self.warnings)]
