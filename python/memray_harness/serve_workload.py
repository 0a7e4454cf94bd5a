"""serve: the app served in-process until SIGINT/SIGTERM or timeout_seconds (live-web)."""
from __future__ import annotations

import signal
import threading
from typing import Any, Callable, Optional

from . import events
from .config import Config
from .live import LIVE_ADDRESS
from .outcome import Outcome
from .tracking import Capture
from .wsgi_server import BackgroundServer


def _wait_for_stop(timeout: Optional[float]) -> str:
    """Block until SIGINT/SIGTERM or the timeout; returns why."""
    stop = threading.Event()
    reason = {"why": "timeout"}

    def on_signal(signum: int, frame: object) -> None:
        reason["why"] = signal.Signals(signum).name
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.is_set():
            # Short waits so signal handlers run promptly on every Python version.
            if not stop.wait(0.2) and timeout is not None:
                timeout -= 0.2
                if timeout <= 0:
                    break
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return reason["why"]


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
