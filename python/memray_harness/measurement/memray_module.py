"""memray itself: whether it imports here, its version, and the error that says how to install it."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Optional

from ..errors import HarnessError


def import_memray() -> tuple[Optional[ModuleType], Optional[str]]:
    """(memray module, None) or (None, why it did not import)."""
    try:
        import memray  # noqa: WPS433 (optional dependency)

        return memray, None
    except Exception as exc:  # ImportError, or a broken native extension
        return None, "%s: %s" % (type(exc).__name__, exc)


def memray_version(memray: Optional[ModuleType]) -> Optional[str]:
    if memray is None:
        return None
    try:
        from memray._version import __version__

        return str(__version__)
    except Exception:
        return getattr(memray, "__version__", None)


def pip_fix() -> str:
    return "%s -m pip install memray" % sys.executable


def missing_memray_error(reason: str) -> HarnessError:
    return HarnessError(
        "MEMRAY_NOT_INSTALLED",
        "memray is not importable by %s (%s). Install it with: %s "
        "(or allow a tracemalloc + RSS only run with allow_no_memray / --allow-no-memray)" % (sys.executable, reason, pip_fix()),
    )
