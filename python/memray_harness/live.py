"""live-web / live-remote: the Tracker streams to a SocketDestination for `memray live PORT`."""
from __future__ import annotations

import signal
import socket
import threading
from typing import Any, Callable, Optional

from . import events
from .config import Config
from .endpoint_workload import run_sequence
from .outcome import Outcome
from .script_workload import precompile, run_script
from .tracking import Capture
from .wsgi_server import BackgroundServer

LIVE_ADDRESS = "0.0.0.0"  # the TS side publishes the port on host loopback only


def socket_destination(memray: Any, cfg: Config) -> Any:
    return memray.SocketDestination(server_port=cfg.live_port, address=LIVE_ADDRESS)


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


def _free_port(requested: Optional[int]) -> int:
    """The service port announced before the Tracker blocks (0 = pick an ephemeral one now)."""
    if requested:
        return requested
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LIVE_ADDRESS, 0))
        return int(s.getsockname()[1])


def run_live_web(app: Callable[..., Any], cfg: Config, capture: Capture) -> Outcome:
    outcome = Outcome()
    port = _free_port(cfg.service_port)
    events.emit("live", live_port=cfg.live_port, service_port=port)
    events.step("live", "waiting for `memray live %d` to connect" % cfg.live_port)
    capture.run(_serve_until_stopped, app, cfg, port, outcome)  # blocks until one client connects
    return outcome


def run_live_remote(app: Optional[Callable[..., Any]], cfg: Config, capture: Capture) -> Any:
    """Any workload (script, or the app's request sequence) streamed to the live client."""
    events.emit("live", live_port=cfg.live_port, service_port=None)
    events.step("live", "waiting for `memray live %d` to connect" % cfg.live_port)
    if app is not None:
        return run_sequence(app, cfg, capture), None
    return capture.run(run_script, cfg.script_path or "", cfg.script_args, cfg.timeout_seconds,
                       precompile(cfg.script_path or ""))
