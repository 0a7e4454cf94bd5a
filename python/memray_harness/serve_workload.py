"""serve: the app served in-process until SIGINT/SIGTERM or timeout_seconds (live-web)."""
from __future__ import annotations

import time
from typing import Any, Callable, Optional

from . import events, interrupts
from .config import Config
from .live import LIVE_ADDRESS
from .outcome import Outcome
from .tracking import Capture
from .wsgi_server import BackgroundServer


def _wait_for_stop(timeout: Optional[float]) -> str:
    """Block until SIGINT/SIGTERM (the normal end of serving) or the timeout; returns why."""
    stop = interrupts.current()
    deadline = time.monotonic() + timeout if timeout is not None else None
    with stop.phase(interrupts.RECORD):
        # Short waits so signal handlers run promptly on every Python version.
        while not stop.stopped.wait(0.2):
            if deadline is not None and time.monotonic() >= deadline:
                return "timeout"
    return stop.first or "signal"


def _serve_until_stopped(app: Callable[..., Any], cfg: Config, port: int, outcome: Outcome) -> None:
    # The server thread starts inside the window, so every frame of it is known to memray.
    server = BackgroundServer(app, host=LIVE_ADDRESS, port=port, quiet=False).start()
    try:
        events.step("live", "serving the app on port %d until SIGINT/SIGTERM%s" % (
            server.port, " or %ss" % cfg.timeout_seconds if cfg.timeout_seconds else ""))
        outcome.extra["live"] = {"stopped_by": _wait_for_stop(cfg.timeout_seconds),
                                 "service_port": server.port, "live_port": cfg.live_port}
    finally:
        server.stop()


def run_serve(app: Callable[..., Any], cfg: Config, port: int, capture: Capture) -> Outcome:
    """port: chosen (and announced) before the capture, since a live Tracker blocks for a client."""
    outcome = Outcome()
    capture.run(_serve_until_stopped, app, cfg, port, outcome)
    return outcome
