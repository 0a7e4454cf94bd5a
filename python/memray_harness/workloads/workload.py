"""The workload of a run, from its mode rule's workload kind (contract.json); each workload
runs its part inside Capture.run()."""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..config import Config
from ..contract import ModeRule
from ..errors import HarnessError
from ..measurement import live_stream
from ..measurement.capture import Capture
from .app_loader import app_module_name
from .endpoint import run_endpoint, run_sequence
from .outcome import Outcome
from .script import precompile, run_script
from .serve import Server as ListeningServer
from .serve import bind, run_serve
from .served_app import ServedApp
from .snapshot import run_snapshot

App = Optional[ServedApp]
Result = tuple[Outcome, Any]  # (outcome, keepalive: hold until the reports are made)
Server = Optional[ListeningServer]  # the serve workload's listening socket, bound before the capture


def uses_script(cfg: Config, rule: ModeRule) -> bool:
    return rule.script != "none" and bool(cfg.script_path)


def needs_app(cfg: Config, rule: ModeRule) -> bool:
    """The app object is loaded before the capture (an import workload imports it inside)."""
    return rule.app == "required" or (rule.app == "fallback" and not uses_script(cfg, rule))


def check(cfg: Config, rule: ModeRule) -> None:
    """What the rule says the run needs is given (TypeScript checks it too; memray-runner does not)."""
    if rule.script == "required" and not cfg.script_path:
        raise HarnessError("SCRIPT_NOT_FOUND", "mode %r needs script_path (the script to run)" % cfg.mode)
    if needs_app(cfg, rule) and not cfg.app:
        raise HarnessError(
            "APP_NOT_FOUND", "mode %r needs app (a WSGI or ASGI app as module:attr)%s" % (cfg.mode, " or a script" if rule.app == "fallback" else "")
        )
    if rule.workload == "import" and not (cfg.modules or cfg.app):
        raise HarnessError("INVALID_CONFIG", "mode %r imports modules: it needs 'modules' or 'app'" % cfg.mode)
    if rule.workload not in _KINDS:
        raise HarnessError("HARNESS_FAILED", "this harness has no %r workload (mode %r): contract.json is newer than the harness" % (rule.workload, cfg.mode))


def _script(cfg: Config, app: App, capture: Capture, server: Server) -> Result:
    return capture.run(run_script, cfg.script_path or "", cfg.script_args, cfg.timeout_seconds, precompile(cfg.script_path or ""))


def _import(cfg: Config, app: App, capture: Capture, server: Server) -> Result:
    # The seed's snapshot: the service's module and the heavy dependencies it has; --module: exactly those.
    modules = list(cfg.modules) or [app_module_name(cfg.app or "")]
    return run_snapshot(modules, capture, cfg.app_dir, with_dependencies=not cfg.modules), None


def _request(cfg: Config, app: App, capture: Capture, server: Server) -> Result:
    return run_endpoint(app, cfg, capture), None  # type: ignore[arg-type]


def _requests(cfg: Config, app: App, capture: Capture, server: Server) -> Result:
    return run_sequence(app, cfg, capture), None  # type: ignore[arg-type]


def _serve(cfg: Config, app: App, capture: Capture, server: Server) -> Result:
    return run_serve(server, cfg, capture), None  # type: ignore[arg-type]


def _script_or_requests(cfg: Config, app: App, capture: Capture, server: Server) -> Result:
    return (_script if cfg.script_path else _requests)(cfg, app, capture, server)


# core's WorkloadKind -> how this harness runs it
_KINDS: dict[str, Callable[[Config, App, Capture, Server], Result]] = {
    "import": _import,
    "request": _request,
    "requests": _requests,
    "serve": _serve,
    "script": _script,
    "script-or-requests": _script_or_requests,
}
# attach: the service's own processes, not a workload the harness runs (attach/attach_run.py).
WORKLOAD_KINDS = (*_KINDS, "attach")


def run(cfg: Config, rule: ModeRule, app: App, capture: Capture) -> Result:
    server = bind(app, cfg) if rule.workload == "serve" else None  # type: ignore[arg-type]
    if rule.live:
        live_stream.announce(cfg.live_port, server.port if server else None)
    return _KINDS[rule.workload](cfg, app, capture, server)
