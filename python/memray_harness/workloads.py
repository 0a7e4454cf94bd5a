"""Pick and run the workload of a mode; each workload runs its part inside Capture.run()."""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

from . import live
from .app_loader import app_module_name
from .config import Config
from .endpoint_workload import run_endpoint, run_sequence
from .outcome import Outcome
from .script_workload import precompile, run_script
from .snapshot_workload import run_snapshot
from .tracking import Capture

App = Optional[Callable[..., Any]]


def needs_app(cfg: Config) -> bool:
    """Whether the app object must be loaded before the capture (snapshot imports it inside)."""
    if cfg.mode in ("endpoint", "sequence", "live-web"):
        return True
    return cfg.mode in ("stats", "leaks", "objects", "live-remote") and not cfg.script_path and bool(cfg.app)


def _script(cfg: Config, capture: Capture) -> Tuple[Outcome, Any]:
    return capture.run(run_script, cfg.script_path or "", cfg.script_args, cfg.timeout_seconds,
                       precompile(cfg.script_path or ""))


def run(cfg: Config, app: App, capture: Capture) -> Tuple[Outcome, Any]:
    """(outcome, keepalive). Keep `keepalive` (the script's globals) until reports are done."""
    mode = cfg.mode
    if mode == "snapshot":
        modules = list(cfg.modules) or [app_module_name(cfg.app or "")]
        return run_snapshot(modules, capture, cfg.app_dir), None
    if mode == "endpoint":
        return run_endpoint(app, cfg, capture), None  # type: ignore[arg-type]
    if mode == "sequence":
        return run_sequence(app, cfg, capture), None  # type: ignore[arg-type]
    if mode == "live-web":
        return live.run_live_web(app, cfg, capture), None  # type: ignore[arg-type]
    if mode == "live-remote":
        return live.run_live_remote(app, cfg, capture)
    # script, stats, leaks, objects: the script if there is one, else the app's request sequence
    if cfg.script_path:
        return _script(cfg, capture)
    return run_sequence(app, cfg, capture), None  # type: ignore[arg-type]
