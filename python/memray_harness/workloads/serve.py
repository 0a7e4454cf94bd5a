"""serve: the app served in-process until SIGINT/SIGTERM or timeout_seconds (live-web): a WSGI app by
wsgiref, an ASGI app by the harness's small asyncio HTTP/1.1 server (asgi_server.py)."""

from __future__ import annotations

import time
from typing import Optional, Union

from .. import events, interrupts
from ..config import Config
from ..errors import HarnessError
from ..measurement.capture import Capture
from ..measurement.live_stream import LIVE_ADDRESS
from .asgi_server import AsgiServer
from .outcome import Outcome
from .served_app import ServedApp
from .wsgi_server import BackgroundServer

Server = Union[BackgroundServer, AsgiServer]


def _wait_for_stop(timeout: Optional[float]) -> str:
    """Block until SIGINT/SIGTERM (the normal end of serving), the loss of the host, or the timeout; returns why."""
    stop = interrupts.current()
    deadline = time.monotonic() + timeout if timeout is not None else None
    with stop.phase(interrupts.RECORD):
        # Short waits so signal handlers run promptly on every Python version.
        while not stop.stopped.wait(0.2):
            if deadline is not None and time.monotonic() >= deadline:
                return "timeout"
    return stop.first or ("host lost" if stop.host_lost is not None else "signal")


def bind(app: ServedApp, cfg: Config) -> Server:
    """The service's socket, listening before the run is announced: a live Tracker blocks until a client
    connects, and requests sent meanwhile wait in the backlog instead of being refused."""
    try:
        if app.asgi is not None:
            return AsgiServer(app.asgi, host=LIVE_ADDRESS, port=cfg.service_port or 0, quiet=False)
        return BackgroundServer(app.obj, host=LIVE_ADDRESS, port=cfg.service_port or 0, quiet=False)
    except OSError as exc:
        raise HarnessError("INVALID_OPTION", "cannot serve the app on port %s of the target: %s" % (cfg.service_port or "(any)", exc.strerror or exc)) from exc


def _serve_until_stopped(server: Server, cfg: Config, outcome: Outcome) -> None:
    # The server thread starts inside the window, so every frame of it is known to memray.
    server.start()
    try:
        events.step("live", "serving the app on port %d until SIGINT/SIGTERM%s" % (server.port, " or %ss" % cfg.timeout_seconds if cfg.timeout_seconds else ""))
        outcome.extra["live"] = {"stopped_by": _wait_for_stop(cfg.timeout_seconds), "service_port": server.port, "live_port": cfg.live_port}
    finally:
        server.stop()


def run_serve(server: Server, cfg: Config, capture: Capture) -> Outcome:
    """server: bound (and announced) before the capture, since a live Tracker blocks for a client."""
    outcome = Outcome()
    try:
        capture.run(_serve_until_stopped, server, cfg, outcome)
    finally:
        server.stop()  # also when the capture never started
    return outcome
