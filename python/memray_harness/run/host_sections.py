"""The host's sections of summary.json (signals collected around the workload), handed over as a file.

The host writes host-sections.json into out_dir once the workload ended, while the reports are made;
the harness waits for it (bounded) before its one write of summary.json, merges it and removes it.
The file may arrive by a non-atomic copy: it is re-read until it parses.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any, Callable, Optional

from ..contract import contract
from .summary import Summary

POLL_SECONDS = 0.1


def wait_for(out_dir: str, wait_seconds: float, gone: Callable[[], bool] = lambda: False) -> Optional[dict[str, Any]]:
    """The sections, or None when they did not arrive (complete) within wait_seconds, or the host is gone."""
    path = os.path.join(out_dir, contract().files.host_sections)
    deadline = time.monotonic() + wait_seconds
    while not gone():
        sections = _read(path)
        if sections is not None:
            with contextlib.suppress(OSError):
                os.remove(path)
            return sections
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_SECONDS)
    return None


def _read(path: str) -> Optional[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None  # not there yet, or still being copied
    return data if isinstance(data, dict) else None


def merge(summary: Summary, sections: dict[str, Any]) -> None:
    """signals replace, artifacts and warnings add (validated by zod on the host before they were sent)."""
    if sections.get("signals") is not None:
        summary.set_section("signals", sections["signals"])
    summary.add_artifacts(sections.get("artifacts") or {})
    summary.add_warnings(sections.get("warnings") or [])
