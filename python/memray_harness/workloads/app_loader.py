"""Import an app from `module:attr` (or `module:factory()`), like waitress/gunicorn/uvicorn do, and tell
whether it is a WSGI app (`app(environ, start_response)`) or an ASGI 3 app (`async app(scope, receive, send)`).

The reference format is contract.json's patterns.app_ref (named groups module, attr, call).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
from typing import Any, Callable, Optional

from ..contract import contract
from ..errors import HarnessError


def _parse(spec: str) -> re.Match[str]:
    match = contract().app_ref.match(spec.strip())
    if not match:
        raise HarnessError("APP_NOT_FOUND", "app %r is not 'module:attr' or 'module:factory()'" % spec)
    return match


def load_app(spec: str, app_dir: Optional[str] = None) -> Callable[..., Any]:
    """Raises HarnessError (APP_NOT_FOUND, APP_IMPORT_FAILED) with what to fix."""
    match = _parse(spec)
    module_name, attr = match.group("module"), match.group("attr")
    if app_dir:
        if not os.path.isdir(app_dir):
            raise HarnessError("APP_IMPORT_FAILED", "app_dir %s does not exist" % app_dir)
        sys.path.insert(0, app_dir)
        os.chdir(app_dir)  # apps often read config files relative to their directory
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise HarnessError(
            "APP_IMPORT_FAILED",
            "cannot import module %r of app %r (%s: %s); check 'app' and 'app_dir' (sys.path[0]=%s)"
            % (module_name, spec, type(exc).__name__, exc, sys.path[0] if sys.path else ""),
        ) from exc
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise HarnessError("APP_IMPORT_FAILED", "module %r has no attribute %r (app %r)" % (module_name, attr, spec))
        obj = getattr(obj, part)
    if match.group("call"):
        try:
            obj = obj()
        except Exception as exc:
            raise HarnessError("APP_IMPORT_FAILED", "app factory %r raised %s: %s" % (spec, type(exc).__name__, exc)) from exc
    if not callable(obj):
        raise HarnessError("APP_IMPORT_FAILED", "app %r is a %s, not a WSGI or ASGI callable" % (spec, type(obj).__name__))
    return obj


WSGI, ASGI = "wsgi", "asgi"


def _is_async(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))  # noqa: B004


def _positional(fn: Any) -> Optional[tuple[int, int, bool]]:
    """(required, total, *args) positional parameters of a callable; None when Python cannot tell."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positional = [p for p in params if p.kind in kinds]
    required = sum(1 for p in positional if p.default is inspect.Parameter.empty)
    return required, len(positional), any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in params)


def _fits(shape: Optional[tuple[int, int, bool]], n: int) -> bool:
    if shape is None:
        return False
    required, total, star = shape
    return required <= n and (total >= n or star)


def describe_callable(obj: Any) -> str:
    """What was found, for an error: its type and signature."""
    kind = "class" if inspect.isclass(obj) else "async callable" if _is_async(obj) else type(obj).__name__
    try:
        return "%s %s%s" % (kind, getattr(obj, "__qualname__", type(obj).__qualname__), inspect.signature(obj))
    except (TypeError, ValueError):
        return kind


def interface_of(obj: Any, spec: str) -> str:
    """ "wsgi" or "asgi" (uvicorn's rule for ASGI 3: a coroutine function, or an object whose __call__ is one,
    taking scope, receive, send). Raises HarnessError APP_INTERFACE_UNKNOWN saying what it found otherwise
    (a class, an ASGI 2 app, a callable taking neither 2 nor 3 arguments)."""
    shape = _positional(obj)
    if not inspect.isclass(obj):
        if _is_async(obj) and (shape is None or _fits(shape, 3)):
            return ASGI
        if not _is_async(obj) and (shape is None or _fits(shape, 2)):
            return WSGI
        if not _is_async(obj) and shape is not None and shape[0] == 3:
            return ASGI  # a synchronous wrapper that returns the app's awaitable
    raise HarnessError(
        "APP_INTERFACE_UNKNOWN",
        "app %r is neither a WSGI app, app(environ, start_response), nor an ASGI 3 app, async app(scope, receive, send): "
        "it is a %s" % (spec, describe_callable(obj)),
    )


def app_module_name(spec: str) -> str:
    return _parse(spec).group("module")
