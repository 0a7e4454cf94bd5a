"""endpoint (Tracker around ONE request, server side) and sequence (Tracker around N requests), for a WSGI
app (served by wsgiref in-process, real HTTP on 127.0.0.1) or an ASGI app (called on its own loop)."""

from __future__ import annotations

import gc
import time
from typing import Any, Callable, Optional

from .. import interrupts
from ..analysis import heap_growth
from ..config import Config
from ..contract import contract
from ..measurement import rss
from ..measurement.capture import Capture
from . import http_client, routes
from .outcome import Outcome
from .served_app import ServedApp
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


def request_record(
    num: int, status: Optional[int], duration: float, before: Optional[int], after: Optional[int], window: Optional[tuple] = None, error: Optional[str] = None
) -> dict[str, Any]:
    """One entry of summary.requests: its number, status, duration, RSS around it, when it ran, its error."""
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


def _judge(outcome: Outcome, cfg: Config, app: Optional[ServedApp] = None) -> None:
    """>= 500 fails the run (exit 1); 4xx is a warning (a mistyped --endpoint profiles an error
    page); the run itself still completes. A 404 on the path requested because none was given and the
    app's routes could not be read is ENDPOINT_REQUIRED (exit 2): never a quiet profile of a 404 page."""
    client_errors = set()
    for req in outcome.requests:
        status = req.get("status")
        if status is not None and status >= 500:
            outcome.fail("%s %s answered %d (request %d)" % (cfg.endpoint.method, cfg.endpoint.path, status, req["request_num"]))
        elif status == 404 and app is not None and app.chosen_by == routes.DEFAULT:
            outcome.fail(
                "no --endpoint given: %s %s answered 404 (the app's routes cannot be read to choose another); "
                "the run profiled a 404 page" % (cfg.endpoint.method, cfg.endpoint.path),
                exit_code=contract().exit_code("ENDPOINT_REQUIRED"),
            )
            outcome.code = outcome.code or "ENDPOINT_REQUIRED"
        elif status is not None and status >= 400:
            client_errors.add(status)
    for status in sorted(client_errors):
        outcome.warnings.append("%s %s answered %d: check the endpoint path, method and body" % (cfg.endpoint.method, cfg.endpoint.path, status))


class _Client:
    """Sends the run's request to the app and measures `around` the app's handling of it: through the
    in-process wsgiref server (WSGI), or by calling the app on its loop (ASGI)."""

    def __init__(self, app: ServedApp, cfg: Config, around: Callable[[Callable[[], Any]], Any]) -> None:
        self.app, self.cfg, self.around = app, cfg, around
        self.server = None if app.asgi is not None else BackgroundServer(MeasuringMiddleware(app.obj, around)).start()

    def send(self, num: int, outcome: Outcome) -> tuple:
        timeout = self.cfg.timeout_seconds or DEFAULT_REQUEST_TIMEOUT
        if self.app.asgi is not None:
            status, duration, error = self.app.asgi.request(self.cfg.endpoint, timeout, self.around)
        else:
            assert self.server is not None
            status, duration, error = http_client.send(self.server.port, self.cfg.endpoint, timeout)
        if error is not None:
            outcome.fail("request %d: %s" % (num, error))
        return status, duration, error

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


def _app_errors(app: ServedApp, cfg: Config, outcome: Outcome) -> None:
    """What an ASGI app raised while serving, said (a WSGI app's tracebacks are wsgiref's, in harness.log)."""
    if app.asgi is None or not app.asgi.errors:
        return
    for message in sorted(set(app.asgi.errors)):
        outcome.warnings.append("the app raised %s while serving %s %s" % (message, cfg.endpoint.method, cfg.endpoint.path))
    if outcome.failed and outcome.error_details is None and app.asgi.tracebacks:
        kind, _, message = app.asgi.errors[0].partition(": ")
        outcome.error_details = {"type": kind, "message": message, "traceback": app.asgi.tracebacks[0][-4000:]}


def run_endpoint(app: ServedApp, cfg: Config, capture: Capture) -> Outcome:
    """The window opens when the request reaches the app and closes once its body is produced."""
    outcome = Outcome()
    client = _Client(app, cfg, capture.run)
    try:
        status, duration, error = client.send(1, outcome)
    finally:
        client.close()
    outcome.requests.append(request_record(1, status, duration, capture.rss_before, capture.rss_after, error=error))
    _judge(outcome, cfg, app)
    _app_errors(app, cfg, outcome)
    return outcome


def _sequence(app: ServedApp, cfg: Config, outcome: Outcome, settle: float) -> None:
    """settle: with a capture, the least pause after each request (memray's memory snapshots must fall
    between two requests to read the heap each one left behind; see heap_growth), after a gc.collect()."""
    probe = _RssProbe()
    # Started inside the window: memray then knows every frame of the server thread.
    client = _Client(app, cfg, probe.around)
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
            status, duration, error = client.send(num, outcome)
            record = request_record(num, status, duration, probe.rss_before, probe.rss_after, (probe.started_at, probe.ended_at), error)
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
        client.close()


def _sequence_softly(app: ServedApp, cfg: Config, outcome: Outcome, settle: float) -> None:
    """Inside the window: a signal lets the current request finish, then the sequence stops. Not before:
    a live Tracker waits for its client in memray's accept loop, which only a raising handler ends."""
    with interrupts.current().phase(interrupts.SOFT):
        _sequence(app, cfg, outcome, settle)


def run_sequence(app: ServedApp, cfg: Config, capture: Capture) -> Outcome:
    """N requests with a delay, one window around all of them so temporal.html shows growth."""
    outcome = Outcome()
    writes_file = capture.memray is not None and capture.destination is None  # session.bin, not a socket
    settle = heap_growth.SETTLE_SECONDS if writes_file else 0.0
    capture.run(_sequence_softly, app, cfg, outcome, settle)
    _judge(outcome, cfg, app)
    _app_errors(app, cfg, outcome)
    return outcome
