"""endpoint (Tracker around ONE request, server side) and sequence (Tracker around N requests)."""

from __future__ import annotations

import gc
import time
from typing import Any, Callable, Optional

from .. import interrupts
from ..analysis import heap_growth
from ..config import Config
from ..measurement import rss
from ..measurement.capture import Capture
from . import http_client
from .outcome import Outcome
from .wsgi_server import BackgroundServer, MeasuringMiddleware

DEFAULT_REQUEST_TIMEOUT = 300.0


class _RssProbe:
    """RSS and wall-clock time at request receipt and after the response body was produced, measured
    server side (the times are the request's window in the capture: see heap_growth)."""

    def __init__(self) -> None:
        self.rss_before: Optional[int] = None
        self.rss_after: Optional[int] = None
        self.started_at: Optional[float] = None
        self.ended_at: Optional[float] = None

    def reset(self) -> None:
        self.rss_before = self.rss_after = self.started_at = self.ended_at = None

    def around(self, fn: Callable[[], list[bytes]]) -> list[bytes]:
        self.rss_before, self.rss_after = rss.current_rss_kb(), None
        self.started_at, self.ended_at = time.time(), None
        try:
            return fn()
        finally:
            self.ended_at = time.time()
            self.rss_after = rss.current_rss_kb()


def _record(
    num: int, status: Optional[int], duration: float, before: Optional[int], after: Optional[int], window: Optional[tuple] = None, error: Optional[str] = None
) -> dict[str, Any]:
    delta = after - before if before is not None and after is not None else None
    record: dict[str, Any] = {
        "request_num": num,
        "status": status,
        "duration_s": round(duration, 6),
        "rss_before": before,
        "rss_after": after,
        "rss_delta": delta,
    }
    if window is not None and window[0] is not None and window[1] is not None:
        record["started_at"], record["ended_at"] = round(window[0], 6), round(window[1], 6)
    if error is not None:
        record["error"] = error
    return record


def _judge(outcome: Outcome, cfg: Config) -> None:
    """>= 500 fails the run (exit 1); 4xx is a warning (a mistyped --endpoint profiles an error
    page); the run itself still completes."""
    client_errors = set()
    for req in outcome.requests:
        status = req.get("status")
        if status is not None and status >= 500:
            outcome.fail("%s %s answered %d (request %d)" % (cfg.endpoint.method, cfg.endpoint.path, status, req["request_num"]))
        elif status is not None and status >= 400:
            client_errors.add(status)
    for status in sorted(client_errors):
        outcome.warnings.append("%s %s answered %d: check the endpoint path, method and body" % (cfg.endpoint.method, cfg.endpoint.path, status))


def _send(num: int, port: int, cfg: Config, outcome: Outcome) -> tuple:
    status, duration, error = http_client.send(port, cfg.endpoint, cfg.timeout_seconds or DEFAULT_REQUEST_TIMEOUT)
    if error is not None:
        outcome.fail("request %d: %s" % (num, error))
    return status, duration, error


def run_endpoint(app: Callable[..., Any], cfg: Config, capture: Capture) -> Outcome:
    """The window opens when the request arrives and closes once its body is produced."""
    outcome = Outcome()
    server = BackgroundServer(MeasuringMiddleware(app, capture.run)).start()
    try:
        status, duration, error = _send(1, server.port, cfg, outcome)
    finally:
        server.stop()
    outcome.requests.append(_record(1, status, duration, capture.rss_before, capture.rss_after, error=error))
    _judge(outcome, cfg)
    return outcome


def _sequence(app: Callable[..., Any], cfg: Config, outcome: Outcome, settle: float) -> None:
    """settle: with a capture, the least pause after each request (memray's memory snapshots must fall
    between two requests to read the heap each one left behind; see heap_growth), after a gc.collect()."""
    probe = _RssProbe()
    # Started inside the window: memray then knows every frame of the server thread.
    server = BackgroundServer(MeasuringMiddleware(app, probe.around)).start()
    deadline = time.monotonic() + cfg.timeout_seconds if cfg.timeout_seconds else None
    try:
        stop = interrupts.current()
        for num in range(1, cfg.requests + 1):
            if stop.requested:  # Ctrl-C/SIGTERM: the current request finished; stop here
                break
            if deadline is not None and time.monotonic() > deadline:
                outcome.fail("sequence stopped after %d of %d requests: timeout_seconds=%s" % (num - 1, cfg.requests, cfg.timeout_seconds))
                outcome.code = "WORKLOAD_TIMEOUT"
                break
            probe.reset()
            status, duration, error = _send(num, server.port, cfg, outcome)
            record = _record(num, status, duration, probe.rss_before, probe.rss_after, (probe.started_at, probe.ended_at), error)
            if settle and "ended_at" in record:
                # Garbage waiting for the cyclic collector is not growth: collect it, then the heap
                # after this request is read from the first memory snapshot after measured_at.
                gc.collect()
                record["measured_at"] = round(time.time(), 6)
            outcome.requests.append(record)
            pause = cfg.delay_seconds if num < cfg.requests else 0.0
            if max(pause, settle) > 0:
                stop.stopped.wait(max(pause, settle))  # a signal ends the pause at once
    finally:
        server.stop()


def _sequence_softly(app: Callable[..., Any], cfg: Config, outcome: Outcome, settle: float) -> None:
    """Inside the window: a signal lets the current request finish, then the sequence stops. Not before:
    a live Tracker waits for its client in memray's accept loop, which only a raising handler ends."""
    with interrupts.current().phase(interrupts.SOFT):
        _sequence(app, cfg, outcome, settle)


def run_sequence(app: Callable[..., Any], cfg: Config, capture: Capture) -> Outcome:
    """N requests with a delay, one window around all of them so temporal.html shows growth."""
    outcome = Outcome()
    writes_file = capture.memray is not None and capture.destination is None  # session.bin, not a socket
    settle = heap_growth.SETTLE_SECONDS if writes_file else 0.0
    capture.run(_sequence_softly, app, cfg, outcome, settle)
    _judge(outcome, cfg)
    return outcome
