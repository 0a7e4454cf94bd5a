"""summary.memray_stats when the report engine gave none: read from the capture's header."""

from __future__ import annotations

from typing import Any, Optional


def memray_stats(memray: Any, session: str, stats_json: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """The capture's header numbers, bytes from stats.json if it was made (total_bytes_allocated null
    otherwise); None when the capture cannot be read."""
    out: dict[str, Any]
    try:
        reader = memray.FileReader(session)
        try:
            meta = reader.metadata
            out = {"peak_memory": int(meta.peak_memory), "total_allocations": int(meta.total_allocations), "total_bytes_allocated": None}
        finally:
            reader.close()
    except Exception:
        return None
    if stats_json:
        out["total_bytes_allocated"] = stats_json.get("total_bytes_allocated")
        if stats_json.get("total_num_allocations") is not None:
            out["total_allocations"] = stats_json["total_num_allocations"]
    return out
