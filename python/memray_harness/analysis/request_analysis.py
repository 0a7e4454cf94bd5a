"""After the requests are known: heap growth per request from the capture, and the leak verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from . import heap_growth, leak_verdict


@dataclass
class RequestAnalysis:
    """summary.growth_sites (None: no heap growth was measured), summary.leak_indicators, and warnings."""

    leak_indicators: dict[str, Any]
    growth_sites: Optional[list[dict[str, Any]]] = None
    warnings: list[str] = field(default_factory=list)


def analyse(requests: list[dict[str, Any]], memray: Any, session: Optional[str], why_no_capture: str) -> RequestAnalysis:
    """The heap growth of each request (requests[i].heap_*, filled in place) and the leak verdict.

    session: session.bin when there is a usable capture, else None with `why_no_capture` saying why."""
    warnings: list[str] = []
    growth_sites = None
    note = why_no_capture if session is None else ""
    if session is not None and requests:
        try:
            growth = heap_growth.analyse(memray, session, requests, leak_verdict.warmup_for(len(requests)))
        except Exception as exc:  # a capture memray cannot read back: RSS still gives a verdict
            growth = None
            note = "the heap could not be read from the capture (%s: %s)" % (type(exc).__name__, exc)
            warnings.append("heap growth per request: %s" % note)
        if growth is None and not note:
            note = "the requests carry no time window (started_at/ended_at) to find them in the capture"
        elif growth is not None:
            heap_growth.apply(requests, growth)
            growth_sites = growth.growth_sites
            if growth.unmeasured:
                warnings.append(
                    "heap growth per request: %d request(s) had no memory snapshot between their end "
                    "and the next request's start; their heap is null" % growth.unmeasured
                )
    verdict = leak_verdict.leak_indicators(requests, note if requests else "")
    return RequestAnalysis(verdict, growth_sites, warnings)
