"""The per-request data a script writes (default /tmp/memray-run-requests.json)."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Tuple

FIELDS = ("request_num", "status", "duration_s", "rss_before", "rss_after", "rss_delta")


def remove_stale(path: str) -> List[str]:
    """Delete a file left by an earlier run so it is never merged into this one."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return ["could not remove stale requests file %s: %s" % (path, exc)]
    return []


def _num(value: Any, integer: bool = False) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if integer else value


def normalise(entry: Dict[str, Any], index: int) -> Dict[str, Any]:
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


def load(path: str) -> Tuple[List[Dict[str, Any]], List[str]]:
    """(requests, warnings). A missing file is normal; a malformed one is a warning, never fatal."""
    if not os.path.exists(path):
        return [], []
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
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            warnings.append("requests file entry %d is not an object; skipped" % (i + 1))
            continue
        requests.append(normalise(entry, i))
    return requests, warnings
