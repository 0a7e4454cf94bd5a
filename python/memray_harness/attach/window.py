"""The window: how long the service's processes are tracked, and what the harness does meanwhile.

It ends when attach.duration_seconds have passed (stopped_by "duration"), at the first SIGINT or
SIGTERM (stopped_by "interrupt": the reports are still made; a second signal skips them), or, when
the run sends requests (attach.send_requests), after the last one (stopped_by "requests"): `requests`
requests to the service's own port on 127.0.0.1 (target.service_port) with `delay_seconds` between
them, recorded as the sequence mode records them (RSS: the tracked processes' summed). A tracked
process that ends is marked died and the others go on; when none is left, the window ends
(stopped_by "error").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import events, interrupts
from ..analysis import heap_growth
from ..config import Config
from ..workloads import http_client
from ..workloads.endpoint import request_record
from . import tracked as tracked_mod
from .client import LeaseKeeper
from .discovery import alive
from .tracked import Tracked

POLL_SECONDS = 0.5
DEFAULT_REQUEST_TIMEOUT = 300.0


@dataclass
class WindowResult:
    stopped_by: str = "duration"
    seconds: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Requests that answered >= 500 or got no answer: the run's error.
    failures: list[str] = field(default_factory=list)


def run_window(cfg: Config, tracked: list[Tracked], keeper: LeaseKeeper, port: Optional[int]) -> WindowResult:
    """The window, with signals recorded (the first ends it; a second raises KeyboardInterrupt)."""
    assert cfg.attach is not None
    result = WindowResult()
    started = time.monotonic()
    with interrupts.current().phase(interrupts.SOFT):
        if cfg.attach.send_requests and port is not None:
            _send_requests(cfg, tracked, keeper, port, result)
        else:
            _wait(cfg.attach.duration_seconds, tracked, keeper, result)
    result.seconds = round(time.monotonic() - started, 3)
    _judge(cfg, result)
    return result


def still_tracking(tracked: list[Tracked], keeper: LeaseKeeper) -> bool:
    """Marks the processes that ended (or whose session did) and says whether one is still tracked."""
    for t in tracked:
        if t.status != "tracking":
            continue
        if not alive(t.info):
            tracked_mod.mark_died(t)
            keeper.remove(t.pid)
            events.emit("attach-process-died", pid=t.pid, role=t.role)
        elif t.pid in keeper.lost and t.error is None:
            t.error = "tracking ended before the window did: %s" % keeper.lost[t.pid]
    return any(t.status == "tracking" for t in tracked)


def _wait(duration: float, tracked: list[Tracked], keeper: LeaseKeeper, result: WindowResult) -> None:
    stop = interrupts.current()
    deadline = time.monotonic() + duration
    while True:
        if stop.requested:
            result.stopped_by = "interrupt"
            return
        if not still_tracking(tracked, keeper):
            result.stopped_by = "error"
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            result.stopped_by = "duration"
            return
        stop.stopped.wait(min(POLL_SECONDS, remaining))


def _send_requests(cfg: Config, tracked: list[Tracked], keeper: LeaseKeeper, port: int, result: WindowResult) -> None:
    stop = interrupts.current()
    timeout = cfg.timeout_seconds or DEFAULT_REQUEST_TIMEOUT
    result.stopped_by = "requests"
    for num in range(1, cfg.requests + 1):
        if stop.requested:
            result.stopped_by = "interrupt"
            result.warnings.append("the window ended by %s after %d of %d requests" % (stop.describe(), num - 1, cfg.requests))
            return
        if not still_tracking(tracked, keeper):
            result.stopped_by = "error"
            return
        before = tracked_mod.total_rss_kb(tracked)
        started_at = time.time()
        status, duration, error = http_client.send(port, cfg.endpoint, timeout)
        ended_at = time.time()
        after = tracked_mod.total_rss_kb(tracked)
        result.requests.append(request_record(num, status, duration, before, after, (started_at, ended_at), error))
        # Each process writes a memory snapshot every 10 ms: one must fall between two requests (merge.py).
        pause = cfg.delay_seconds if num < cfg.requests else 0.0
        stop.stopped.wait(max(pause, heap_growth.SETTLE_SECONDS))


def _judge(cfg: Config, result: WindowResult) -> None:
    """>= 500 or no answer fails the run (as sequence mode does); 4xx is a warning."""
    client_errors = set()
    for r in result.requests:
        status = r.get("status")
        if r.get("error"):
            result.failures.append("request %d: %s" % (r["request_num"], r["error"]))
        elif status is not None and status >= 500:
            result.failures.append("%s %s answered %d (request %d)" % (cfg.endpoint.method, cfg.endpoint.path, status, r["request_num"]))
        elif status is not None and status >= 400:
            client_errors.add(status)
    for status in sorted(client_errors):
        result.warnings.append("%s %s answered %d: check the endpoint path, method and body" % (cfg.endpoint.method, cfg.endpoint.path, status))
