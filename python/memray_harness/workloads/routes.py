"""The app's routes (Flask's url_map; Starlette's and FastAPI's routes), and the request a run sends when no
--endpoint was given: the service's health route (/health, /healthz, /ready, /ping), else its first
route without path parameters that takes the method, else none (ENDPOINT_REQUIRED, listing the routes).
An app whose routes cannot be read (another framework, a bare WSGI/ASGI callable) gets `/`, and a 404
answer there is then an error, never a quiet profile of a 404 page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..errors import HarnessError

HEALTH_PATHS = ("/health", "/healthz", "/ready", "/ping")
DEFAULT_PATH = "/"
# How the path was chosen (summary.endpoint.chosen_by).
GIVEN, HEALTH, FIRST_ROUTE, DEFAULT = "option", "health route", "first route", "default"
MAX_LISTED = 30


@dataclass(frozen=True)
class Route:
    path: str
    methods: frozenset[str]
    parameterless: bool
    # The framework's own (Flask's static files, FastAPI's /docs and /openapi.json): never chosen.
    internal: bool = False

    def describe(self) -> str:
        methods = sorted(m for m in self.methods if m not in ("HEAD", "OPTIONS")) or sorted(self.methods)
        return "%s %s" % ("|".join(methods), self.path)


@dataclass(frozen=True)
class EndpointChoice:
    path: str
    chosen_by: str
    framework: Optional[str]
    routes: tuple[Route, ...]

    def summary(self, method: str) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "method": method, "chosen_by": self.chosen_by}
        if self.chosen_by != GIVEN:
            out["framework"] = self.framework
            out["routes"] = [r.describe() for r in self.routes if not r.internal][:MAX_LISTED]
        return out


def _flask_routes(app: Any) -> list[Route]:
    routes = []
    for rule in app.url_map.iter_rules():
        methods = frozenset(rule.methods or ())
        routes.append(Route(rule.rule, methods, not rule.arguments, rule.endpoint == "static"))
    return routes


def _starlette_routes(routes: list[Any], prefix: str = "", depth: int = 0) -> list[Route]:
    out: list[Route] = []
    for route in routes:
        path = prefix + str(getattr(route, "path", ""))
        methods = getattr(route, "methods", None)
        if methods is not None:
            endpoint = getattr(route, "endpoint", None)
            internal = str(getattr(endpoint, "__module__", "") or "").startswith("fastapi.")  # /docs, /openapi.json
            out.append(Route(path or "/", frozenset(methods), "{" not in path, internal))
        elif depth < 4 and isinstance(getattr(route, "routes", None), list):  # a Mount: its routes under its path
            out.extend(_starlette_routes(route.routes, path.rstrip("/"), depth + 1))
    return out


def app_routes(app: Any) -> Optional[tuple[str, list[Route]]]:
    """(framework, routes in the order they were declared), or None when the app's routes cannot be read.
    Middleware around the app (an object with `.app`) is looked through."""
    seen: set[int] = set()
    obj = app
    for _ in range(10):
        if obj is None or id(obj) in seen:
            return None
        seen.add(id(obj))
        url_map = getattr(obj, "url_map", None)
        if url_map is not None and callable(getattr(url_map, "iter_rules", None)):
            return "flask", _flask_routes(obj)
        try:
            routes = getattr(obj, "routes", None)
        except Exception:  # noqa: BLE001 - a property of someone else's object
            routes = None
        if isinstance(routes, list) and routes and all(hasattr(r, "path") for r in routes):
            return "starlette", _starlette_routes(routes)
        obj = getattr(obj, "app", None)
    return None


def _allows(route: Route, method: str) -> bool:
    return method in route.methods or (method == "HEAD" and "GET" in route.methods)


def choose(app: Any, method: str, ref: str) -> EndpointChoice:
    """The path to request when none was given. Raises HarnessError ENDPOINT_REQUIRED, listing the routes,
    when the app has routes but none to choose."""
    found = app_routes(app)
    if found is None:
        return EndpointChoice(DEFAULT_PATH, DEFAULT, None, ())
    framework, routes = found
    candidates = [r for r in routes if not r.internal and r.parameterless and _allows(r, method)]
    for health in HEALTH_PATHS:
        for route in candidates:
            if route.path.rstrip("/") == health:
                return EndpointChoice(route.path, HEALTH, framework, tuple(routes))
    if candidates:
        return EndpointChoice(candidates[0].path, FIRST_ROUTE, framework, tuple(routes))
    listed = [r.describe() for r in routes if not r.internal]
    raise HarnessError(
        "ENDPOINT_REQUIRED",
        "no --endpoint given, and app %r (%s) has no %s route without path parameters to choose: its routes are %s"
        % (ref, framework, method, ", ".join(listed[:MAX_LISTED]) + (" ..." if len(listed) > MAX_LISTED else "") if listed else "none"),
    )


def describe(choice: EndpointChoice, method: str) -> str:
    """The progress line of a chosen endpoint."""
    if choice.chosen_by == HEALTH:
        why = "its health route"
    elif choice.chosen_by == FIRST_ROUTE:
        why = "its first %s route without path parameters (no health route)" % method
    else:
        return "no --endpoint given and the routes of this app cannot be read (not Flask, Starlette or FastAPI): profiling %s %s" % (method, choice.path)
    return "no --endpoint given: profiling %s %s, %s (of %d %s routes; --endpoint PATH picks another)" % (
        method,
        choice.path,
        why,
        len([r for r in choice.routes if not r.internal]),
        choice.framework,
    )
