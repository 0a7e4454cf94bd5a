"""endpoint (Tracker around ONE request, server side) and sequence (Tracker around N requests)."""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional

from . import http_client, interrupts, rss
from .config import Config
from .outcome import Outcome
from .tracking import Capture
from .wsgi_server import BackgroundServer, MeasuringMiddleware

DEFAULT_REQUEST_TIMEOUT = 300.0


class _RssProbe:
    """RSS at request receipt and after the response body was produced, measured server side."""

    def __init__(self) -> None:
        self.rss_before: Optional[int] = None
        self.rss_after: Optional[int] = None

    def around(self, fn: Callable[[], List[bytes]]) -> List[bytes]:
        self.rss_before, self.rss_after = rss.current_rss_kb(), None
        try:
            return fn()
        finally:
            self.rss_after = rss.current_rss_kb()


def _record(num: int, status: Optional[int], duration: float,
            before: Optional[int], after: Optional[int]) -> Dict[str, Any]:
    delta = after - before if before is not None and after is not None else None
    return {"request_num": num, "status": status, "duration_s": round(duration, 6),
            "rss_before": before, "rss_after": after, "rss_delta": delta}


def _judge(outcome: Outcome, cfg: Config) -> None:
    """>= 500 fails the run (exit 1); 4xx is a warning (a mistyped --endpoint profiles an error
    page); the run itself still completes."""
    client_errors = set()
    for req in outcome.requests:
        status = req.get("status")
        if status is not None and status >= 500:
            outcome.fail("%s %s answered %d (request %d)"
                         % (cfg.endpoint.method, cfg.endpoint.path, status, req["request_num"]))
        elif status is not None and status >= 400:
            client_errors.add(status)
    for status in sorted(client_errors):
        outcome.warnings.append("%s %s answered %d: check the endpoint path, method and body"
                                % (cfg.endpoint.method, cfg.endpoint.path, status))


def _send(num: int, port: int, cfg: Config, outcome: Outcome) -> tuple:
    status, duration, error = http_client.send(port, cfg.endpoint, cfg.timeout_seconds or DEFAULT_REQUEST_TIMEOUT)
    if error is not None:
        outcome.fail("request %d: %s" % (num, error))
    return status, duration


def run_endpoint(app: Callable[..., Any], cfg: Config, capture: Capture) -> Outcome:
    """The window opens when the request arrives and closes once its body is produced."""
    outcome = Outcome()
    server = BackgroundServer(MeasuringMiddleware(app, capture.run)).start()
    try:
        status, duration = _send(1, server.port, cfg, outcome)
    finally:
        server.stop()
    outcome.requests.append(_record(1, status, duration, capture.rss_before, capture.rss_after))
    _judge(outcome, cfg)
    return outcome


def _sequence(app: Callable[..., Any], cfg: Config, outcome: Outcome) -> None:
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
                outcome.fail("sequence stopped after %d of %d requests: timeout_seconds=%s"
                             % (num - 1, cfg.requests, cfg.timeout_seconds))
                break
            status, duration = _send(num, server.port, cfg, outcome)
            outcome.requests.append(_record(num, status, duration, probe.rss_before, probe.rss_after))
            if num < cfg.requests and cfg.delay_seconds > 0:
                stop.stopped.wait(cfg.delay_seconds)  # a signal ends the pause at once
    finally:
        server.stop()


def run_sequence(app: Callable[..., Any], cfg: Config, capture: Capture) -> Outcome:
    """N requests with a delay, one window around all of them so temporal.html shows growth."""
    outcome = Outcome()
    with interrupts.current().phase(interrupts.SOFT):  # finish the current request, then stop
        capture.run(_sequence, app, cfg, outcome)
    _judge(outcome, cfg)
    return outcome
