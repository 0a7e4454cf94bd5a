"""How many report readers fit in the memory left: each forked reader aggregates a record set of the
capture, and its peak grows with the capture's allocation count (tools/bench/scaling.mjs: 56 bytes per
allocation at 20 M allocations, 77 at 239 M — 18.5 GB for one reader of a 1.07 GB session.bin). Two readers at once on a large
capture can need more than a container's memory limit, and the OOM killer would then pick the service
the run is profiling: the engine runs fewer at once instead.
"""

from __future__ import annotations

import os
from typing import Optional

# A reader's peak per allocation in the capture (measured 56-77 B at 20-239 M allocations; rounded up).
READER_BYTES_PER_ALLOCATION = 80
UNLIMITED = 1 << 60  # cgroup v1 writes "no limit" as a page-rounded 2^63


def _read_int(path: str) -> Optional[int]:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    if text == "max":
        return UNLIMITED
    try:
        return int(text)
    except ValueError:
        return None


def _mem_available(meminfo: str) -> Optional[int]:
    try:
        with open(meminfo) as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def available_memory(root: str = "/") -> Optional[int]:
    """Bytes this process's readers may still use: the machine's MemAvailable, or less when a cgroup limit
    (cgroup v2 memory.max, v1 memory.limit_in_bytes) leaves less; None when nothing can be read."""
    candidates = []
    machine = _mem_available(os.path.join(root, "proc/meminfo"))
    if machine is not None:
        candidates.append(machine)
    for limit_file, usage_file in (
        ("sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory.current"),
        ("sys/fs/cgroup/memory/memory.limit_in_bytes", "sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        limit = _read_int(os.path.join(root, limit_file))
        usage = _read_int(os.path.join(root, usage_file))
        if limit is not None and usage is not None and limit < UNLIMITED:
            candidates.append(max(0, limit - usage))
            break
    return min(candidates) if candidates else None


def workers_within(workers: int, total_allocations: int, available: Optional[int]) -> int:
    """At most `workers`, and no more readers than `available` bytes hold at the measured peak per
    allocation; at least one (a capture too large for one reader fails as it would with memray's CLI)."""
    if available is None or total_allocations <= 0:
        return workers
    per_reader = total_allocations * READER_BYTES_PER_ALLOCATION
    return max(1, min(workers, available // per_reader))
