"""JSON numbers everyone can read: NaN, Infinity and integers beyond 2**63 become null.

Python's json writes NaN/Infinity (not JSON) and any size of integer; JavaScript reads a huge
integer as Infinity, which core's schema rejects. So values a workload hands us are cleaned, and
each replacement is named in a warning.
"""

from __future__ import annotations

import math
from typing import Any

LIMIT = 2**63


def finite_number(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -LIMIT < value < LIMIT
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def clean(value: Any, path: str = "$") -> tuple[Any, list[str]]:
    """(value with every unrepresentable number replaced by None, the paths replaced)."""
    replaced: list[str] = []

    def walk(v: Any, at: str) -> Any:
        if isinstance(v, dict):
            return {k: walk(item, "%s.%s" % (at, k)) for k, item in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(item, "%s[%d]" % (at, i)) for i, item in enumerate(v)]
        if isinstance(v, (int, float)) and not finite_number(v):
            replaced.append(at)
            return None
        return v

    return walk(value, path), replaced


def warning(replaced: list[str], where: str) -> str:
    shown = ", ".join(replaced[:5]) + (" and %d more" % (len(replaced) - 5) if len(replaced) > 5 else "")
    return "%s held %d value(s) that are not finite JSON numbers (NaN, Infinity or beyond 2**63), recorded as null: %s" % (where, len(replaced), shown)
