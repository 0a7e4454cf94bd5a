"""Progress events: `@memray-harness {json}` lines on stderr, parsed by the TypeScript side."""

from __future__ import annotations

import json
import sys
from typing import Any

PREFIX = "@memray-harness "


def emit(event: str, **fields: Any) -> None:
    payload = {"event": event}
    payload.update(fields)
    line = PREFIX + json.dumps(payload, sort_keys=False, default=str, allow_nan=False)
    # One write + flush so the line is never interleaved with the workload's own output.
    try:
        sys.__stderr__.write(line + "\n")
        sys.__stderr__.flush()
    except (AttributeError, ValueError, OSError):
        pass


def step(name: str, message: str = "") -> None:
    emit("step", step=name, message=message)


def warning(message: str) -> None:
    emit("warning", message=message)


def report(name: str, ok: bool, seconds: float, message: str = "") -> None:
    fields: dict = {"name": name, "ok": ok, "seconds": round(seconds, 3)}
    if message:
        fields["message"] = message
    emit("report", **fields)


def error(code: str, message: str) -> None:
    """The run failed with a contract error code (before, around or after the workload)."""
    emit("error", code=code, message=message)
