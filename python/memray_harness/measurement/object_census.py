"""The object census (a mode rule's object_census): which Python objects survive the workload, by type.

memray's track_object_lifetimes needs Python >= 3.13.3 and memray >= 1.19; elsewhere a gc diff
(objects gc tracks after the run that were not there before) answers the same question for
container objects and class instances (not for ints/str/bytes, which gc does not track).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Iterable
from typing import Any, Optional

from ..contract import contract

METHOD_MEMRAY = "memray-surviving-objects"
METHOD_GC = "gc-diff"
TOP_IN_SUMMARY = 10
# The census is written as this artifact of contract.json.
OBJECTS_ARTIFACT = "objects_json"


def _version_tuple(text: Optional[str]) -> tuple:
    parts = []
    for piece in (text or "0").split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def surviving_objects_supported(memray_version: Optional[str]) -> bool:
    return sys.version_info >= (3, 13, 3) and _version_tuple(memray_version) >= (1, 19)


def type_name(obj: Any) -> str:
    cls = type(obj)
    return "%s.%s" % (getattr(cls, "__module__", "?"), getattr(cls, "__qualname__", cls.__name__))


def _size(obj: Any) -> int:
    try:
        return int(sys.getsizeof(obj))
    except Exception:
        return 0


class GcDiff:
    """Snapshot gc-tracked objects before; after, the new ones are those still alive."""

    def __init__(self) -> None:
        self._before: list[Any] = []
        self._ids: set = set()

    def before(self) -> None:
        gc.collect()
        # Holding references keeps ids unique: a freed object's id could otherwise be reused.
        self._before = gc.get_objects()
        self._ids = set(map(id, self._before))

    def after(self) -> list[Any]:
        gc.collect()
        ids, before = self._ids, self._before
        fresh = [o for o in gc.get_objects() if id(o) not in ids and o is not before and o is not ids and not type(o).__module__.startswith("memray_harness")]
        self._before, self._ids = [], set()
        return fresh


class ObjectCensus:
    """The census a mode rule asks for (object_census): memray's surviving objects where this Python and
    memray offer them (the Tracker must track object lifetimes: `native`), else a gc diff around the workload."""

    def __init__(self, wanted: bool, memray_present: bool, memray_version: Optional[str]) -> None:
        self.wanted = wanted
        self.native = wanted and memray_present and surviving_objects_supported(memray_version)
        self._gc_diff = GcDiff() if wanted and not self.native else None

    def before(self) -> None:
        """Just before the workload starts."""
        if self._gc_diff is not None:
            self._gc_diff.before()

    def take(self, surviving_objects: Optional[tuple]) -> Optional[dict[str, Any]]:
        """memray-objects.json's content once the capture ended (the Tracker's surviving objects when
        native); None when there is nothing to count."""
        if self.native and surviving_objects is not None:
            live = [o for o in surviving_objects if not type(o).__module__.startswith("memray_harness")]
            return census(live, METHOD_MEMRAY)
        if self._gc_diff is not None:
            return census(self._gc_diff.after(), METHOD_GC)
        return None


def census(objects: Iterable[Any], method: str) -> dict[str, Any]:
    """memray-objects.json content, types sorted by total size desc then name."""
    groups: dict[str, list[int]] = {}
    for obj in objects:
        entry = groups.setdefault(type_name(obj), [0, 0])
        entry[0] += 1
        entry[1] += _size(obj)
    rows = [{"type": t, "count": c, "size": s} for t, (c, s) in groups.items()]
    rows.sort(key=lambda r: (-r["size"], -r["count"], r["type"]))
    return {
        "method": method,
        "python_version": "%d.%d.%d" % sys.version_info[:3],
        "total_count": sum(r["count"] for r in rows),
        "total_size": sum(r["size"] for r in rows),
        "objects": rows,
    }


def write(out_dir: str, data: dict[str, Any]) -> str:
    path = os.path.join(out_dir, contract().artifact(OBJECTS_ARTIFACT).file)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, allow_nan=False)
        f.write("\n")
    return path


def summary_block(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": data["method"],
        "total_count": data["total_count"],
        "total_size": data["total_size"],
        "top": data["objects"][:TOP_IN_SUMMARY],
    }
