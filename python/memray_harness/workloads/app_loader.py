"""Import a WSGI app from `module:attr` (or `module:factory()`), like waitress/gunicorn do.

The reference format is contract.json's patterns.app_ref (named groups module, attr, call).
"""

from __future__ import annotations

import importlib
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
        raise HarnessError("APP_IMPORT_FAILED", "app %r is a %s, not a WSGI callable" % (spec, type(obj).__name__))
    return obj


def app_module_name(spec: str) -> str:
    return _parse(spec).group("module")
