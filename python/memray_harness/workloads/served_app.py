"""The app a run serves, whichever interface it speaks: WSGI through the in-process wsgiref server, ASGI
called directly on an event loop of its own (asgi_app.py). Loaded before the capture: importing the app
is not the workload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..errors import HarnessError
from .app_loader import ASGI, interface_of, load_app
from .asgi_app import AsgiApp
from .routes import GIVEN


@dataclass
class ServedApp:
    ref: str
    interface: str  # "wsgi" | "asgi"
    obj: Callable[..., Any]
    asgi: Optional[AsgiApp] = None
    warnings: list[str] = field(default_factory=list)
    # How the requested path was chosen (routes.py's GIVEN, HEALTH, FIRST_ROUTE, DEFAULT).
    chosen_by: str = GIVEN

    def summary(self) -> dict[str, Any]:
        """summary.app: the app as the run served it."""
        return {"ref": self.ref, "interface": self.interface, "lifespan": self.asgi.lifespan if self.asgi else None}

    def close(self) -> list[str]:
        """After the capture: an ASGI app's lifespan shutdown; returns warnings."""
        if self.asgi is None:
            return []
        self.asgi.shutdown()
        return list(self.asgi.warnings)


def load_served_app(spec: str, app_dir: Optional[str]) -> ServedApp:
    """Import the app, tell its interface, start an ASGI app's lifespan. Raises HarnessError: APP_NOT_FOUND,
    APP_IMPORT_FAILED (also a failed lifespan startup), APP_INTERFACE_UNKNOWN."""
    obj = load_app(spec, app_dir)
    interface = interface_of(obj, spec)
    if interface != ASGI:
        return ServedApp(spec, interface, obj)
    asgi = AsgiApp(obj, spec)
    try:
        asgi.startup()
    except RuntimeError as exc:
        asgi.close()
        raise HarnessError("APP_IMPORT_FAILED", "ASGI app %r could not start: %s" % (spec, exc)) from exc
    return ServedApp(spec, interface, obj, asgi)
