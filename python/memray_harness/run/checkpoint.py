"""The run so far, kept in out_dir while the harness works (not an artifact).

If the harness process ends abruptly (the workload called os._exit, was killed, ran out of memory),
a second harness started with --recover reads it and finishes the run from session.bin: what was
measured before the end is kept. Removed once summary.json is written.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from typing import Any, Optional

from ..contract import contract


def _state_file() -> str:
    return contract().files.harness_state


def save(out_dir: str, summary: Mapping[str, Any], phase: str) -> None:
    path = os.path.join(out_dir, _state_file())
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"phase": phase, "summary": summary}, f, default=str, allow_nan=False)
        os.replace(tmp, path)
    except (OSError, ValueError, TypeError):
        pass  # best effort: the state only matters if the harness dies


def load(out_dir: str) -> Optional[dict[str, Any]]:
    try:
        with open(os.path.join(out_dir, _state_file()), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("summary"), dict) else None


def clear(out_dir: str) -> None:
    for name in (_state_file(), _state_file() + ".tmp"):
        with contextlib.suppress(OSError):
            os.remove(os.path.join(out_dir, name))
