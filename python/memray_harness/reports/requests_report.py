"""requests.txt (generator "requests-verdict" in contract.json's reports table), made once the requests
and their analysis are known.

Plain text, stable and greppable: the verdict and its reason, one row per request (status, duration,
RSS and heap after the request and their change), the sites whose live bytes grew over the analysed
requests, and the allocation sites of the requests that grew most.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping
from typing import Any, Optional

from .. import events
from ..analysis import leak_verdict
from ..contract import ReportSpec, contract
from .generators import REQUESTS_VERDICT


def wanted(reports: list[str]) -> Optional[ReportSpec]:
    """The requests.txt report spec when the config asks for it."""
    for name in reports:
        try:
            spec = contract().report(name)
        except KeyError:
            continue
        if spec.generator == REQUESTS_VERDICT:
            return spec
    return None


def write_report(out_dir: str, summary: Mapping[str, Any], reports: list[str], title: str) -> list[str]:
    """requests.txt when the config asks for it; returns warnings."""
    spec = wanted(reports)
    if spec is None:
        return []
    started = time.perf_counter()
    path = os.path.join(out_dir, spec.file)
    try:
        text = render(summary, title)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    except Exception as exc:
        with contextlib.suppress(OSError):
            os.remove(path + ".tmp")
        events.report(spec.name, False, time.perf_counter() - started, str(exc))
        return ["report %s failed: %s: %s" % (spec.name, type(exc).__name__, exc)]
    events.report(spec.name, True, time.perf_counter() - started)
    return []


# -- rendering ----------------------------------------------------------------------------------------
def _kb(value: Any, signed: bool = False) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "-"
    return leak_verdict.human_kb(float(value), signed)


def _num(value: Any, fmt: str) -> str:
    return fmt % value if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def render(summary: Mapping[str, Any], title: str) -> str:
    requests: list[dict[str, Any]] = summary.get("requests") or []
    li: dict[str, Any] = summary.get("leak_indicators") or {}
    lines = ["Requests: %d · %s" % (len(requests), title)]
    lines += _verdict(li)
    lines.append("")
    lines += _request_rows(requests)
    lines.append("")
    lines += _growth_sites(summary.get("growth_sites") or [], requests)
    lines += _requests_that_grew(requests)
    return "\n".join(lines) + "\n"


def _verdict(li: dict[str, Any]) -> list[str]:
    lines = ["Verdict: %s" % ("LIKELY LEAK" if li.get("likely_leak") else "no leak detected")]
    if li.get("reason"):
        lines.append("Reason: %s" % li["reason"])
    if li.get("method"):
        th = li.get("thresholds") or {}
        lines.append(
            "Method: %s slope of %s after each request (warm-up %s request(s), %d%% CI); likely leak when "
            "the CI's lower bound > 0, >= %s per request and >= %s over the requests analysed"
            % (
                li["method"],
                "the heap" if li.get("source") == "heap" else "RSS",
                li.get("warmup_requests", 0),
                round(100 * (li.get("confidence") or 0.95)),
                _kb(th.get("min_kb_per_request")),
                _kb(th.get("min_window_growth_kb")),
            )
        )
    lines.append("Seed rule: monotonic_growth=%s · RSS growth %s MB" % (str(bool(li.get("monotonic_growth"))).lower(), _num(li.get("rss_growth_mb"), "%.3f")))
    return lines


def _request_rows(requests: list[dict[str, Any]]) -> list[str]:
    lines = ["%4s  %6s  %10s  %11s  %11s  %11s  %11s" % ("#", "STATUS", "DURATION", "RSS AFTER", "RSS DELTA", "HEAP AFTER", "HEAP DELTA")]
    for r in requests:
        status = r.get("status")
        lines.append(
            "%4s  %6s  %10s  %11s  %11s  %11s  %11s%s"
            % (
                _num(r.get("request_num"), "%d"),
                status if status is not None else "-",
                _num(r.get("duration_s"), "%.3f s"),
                _kb(r.get("rss_after")),
                _kb(r.get("rss_delta"), True),
                _kb(r.get("heap_after")),
                _kb(r.get("heap_delta"), True),
                "  " + r["error"] if isinstance(r.get("error"), str) else "",
            )
        )
    if not requests:
        lines.append("(no requests were recorded)")
    return lines


def _growth_sites(sites: list[dict[str, Any]], requests: list[dict[str, Any]]) -> list[str]:
    lines = ["Sites whose live heap grew over the requests analysed:"]
    if not sites:
        measured = any(r.get("heap_after") is not None for r in requests)
        return lines + ["(none%s)" % ("" if measured else ": no heap measurement per request")]
    lines.append("%11s  %11s  %7s  %s" % ("GROWTH", "PER REQUEST", "GREW ON", "SITE  FUNCTION"))
    for s in sites:
        lines.append(
            "%11s  %11s  %7s  %s  %s"
            % (
                _kb(s.get("growth_kb")),
                _kb(s.get("kb_per_request")),
                "%s/%s" % (s.get("requests_grew", "-"), s.get("requests", "-")),
                s.get("site"),
                s.get("function"),
            )
        )
    return lines


def _requests_that_grew(requests: list[dict[str, Any]]) -> list[str]:
    grown = [r for r in requests if r.get("heap_sites")]
    if not grown:
        return []
    lines = ["", "Requests that grew most, and where:"]
    for r in sorted(grown, key=lambda x: (-(x.get("heap_delta") or 0), x.get("request_num") or 0)):
        lines.append("  request %s: heap %s" % (r.get("request_num"), _kb(r.get("heap_delta"), True)))
        for s in r["heap_sites"]:
            lines.append("    %11s  %s  %s" % (_kb(s.get("growth_kb"), True), s.get("site"), s.get("function")))
    return lines
