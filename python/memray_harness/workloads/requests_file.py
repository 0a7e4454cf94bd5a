"""The per-request data a script writes (default /tmp/memray-run-requests.json)."""

from __future__ import annotations

import json
import os
from typing import Any

from .. import finite

# A requests file is per-request data, not a dataset: bound what is read and merged.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 10000

FIELDS = ("request_num", "status", "duration_s", "rss_before", "rss_after", "rss_delta")


def remove_stale(path: str) -> list[str]:
    """Delete a file left by an earlier run so it is never merged into this one."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return ["could not remove stale requests file %s: %s" % (path, exc)]
    return []


def _num(value: Any, integer: bool = False) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not finite.finite_number(value):
        return None
    return int(value) if integer else value


def normalise(entry: dict[str, Any], index: int) -> dict[str, Any]:
    """Keep the script's extra keys; coerce the schema's keys to numbers or null."""
    out = dict(entry)
    num = _num(entry.get("request_num"), integer=True)
    out["request_num"] = num if num is not None else index + 1
    out["status"] = _num(entry.get("status"), integer=True)
    out["duration_s"] = _num(entry.get("duration_s"))
    for key in ("rss_before", "rss_after", "rss_delta"):
        out[key] = _num(entry.get(key))
    if out["rss_delta"] is None and out["rss_before"] is not None and out["rss_after"] is not None:
        out["rss_delta"] = out["rss_after"] - out["rss_before"]
    return out


def load(path: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(requests, warnings). A missing file is normal; a malformed one is a warning, never fatal."""
    if not os.path.exists(path):
        return [], []
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        return [], ["requests file %s cannot be read (%s); per-request data skipped" % (path, exc)]
    if size > MAX_FILE_BYTES:
        return [], [
            "requests file %s is %d MB, over the %d MB bound; per-request data skipped (write one entry per request)"
            % (path, size // 2**20, MAX_FILE_BYTES // 2**20)
        ]
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        return [], ["requests file %s is not valid JSON (%s); per-request data skipped" % (path, exc)]
    if isinstance(data, dict) and isinstance(data.get("requests"), list):
        data = data["requests"]
    if not isinstance(data, list):
        return [], ["requests file %s must hold a JSON list of objects; got %s" % (path, type(data).__name__)]
    requests, warnings = [], []
    if len(data) > MAX_ENTRIES:
        warnings.append("requests file %s holds %d entries; the first %d are merged" % (path, len(data), MAX_ENTRIES))
        data = data[:MAX_ENTRIES]
    data, replaced = finite.clean(data, "requests")
    if replaced:
        warnings.append(finite.warning(replaced, "requests file %s" % path))
    skipped = [i + 1 for i, entry in enumerate(data) if not isinstance(entry, dict)]
    requests.extend(normalise(entry, i) for i, entry in enumerate(data) if isinstance(entry, dict))
    warnings.extend("requests file entry %d is not an object; skipped" % num for num in skipped[:5])
    if len(skipped) > 5:
        warnings.append("requests file: %d more entries are not objects; skipped" % (len(skipped) - 5))
    return requests, warnings
