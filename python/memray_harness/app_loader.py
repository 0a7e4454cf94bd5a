"""Import a WSGI app from `module:attr` (or `module:factory()`), like waitress/gunicorn do."""
from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any, Callable, Optional

from .errors import ConfigError

_SPEC = re.compile(r"^(?P<module>[A-Za-z_][\w.]*)(:(?P<attr>[A-Za-z_][\w.]*)(?P<call>\(\))?)?$")


def load_app(spec: str, app_dir: Optional[str] = None) -> Callable[..., Any]:
    """Raises ConfigError (exit 2) with what to fix when the app cannot be loaded."""
    match = _SPEC.match(spec.strip())
    if not match:
        raise ConfigError("app %r is not 'module:attr' or 'module:factory()'" % spec)
    module_name = match.group("module")
    attr = match.group("attr") or "app"
    if app_dir:
        if not os.path.isdir(app_dir):
            raise ConfigError("app_dir %s does not exist" % app_dir)
        sys.path.insert(0, app_dir)
        os.chdir(app_dir)  # apps often read config files relative to their directory
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigError(
            "cannot import module %r of app %r (%s: %s); check 'app' and 'app_dir' (sys.path[0]=%s)"
            % (module_name, spec, type(exc).__name__, exc, sys.path[0] if sys.path else "")
        )
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError("module %r has no attribute %r (app %r)" % (module_name, attr, spec))
        obj = getattr(obj, part)
    if match.group("call"):
        try:
            obj = obj()
        except Exception as exc:
            raise ConfigError("app factory %r raised %s: %s" % (spec, type(exc).__name__, exc))
    if not callable(obj):
        raise ConfigError("app %r is a %s, not a WSGI callable" % (spec, type(obj).__name__))
    return obj


def app_module_name(spec: str) -> str:
    return spec.split(":", 1)[0].strip()
