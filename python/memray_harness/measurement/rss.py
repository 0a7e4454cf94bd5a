"""Resident set size in KB: current (for before/after deltas) and peak (getrusage)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Optional

SOURCE_PROC = "proc_status_vmrss"
SOURCE_PS = "ps"
SOURCE_MAXRSS = "getrusage_maxrss"


def proc_rss_kb(pid: int | str = "self") -> Optional[int]:
    """VmRSS of /proc/<pid>/status in KB; None where it cannot be read."""
    try:
        with open("/proc/%s/status" % pid, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])  # already kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _from_ps() -> Optional[int]:
    # macOS/BSD have no /proc; `ps -o rss=` prints KB there too.
    try:
        out = subprocess.run(
            ["ps", "-o", "rss=", "-p", str(os.getpid())],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=5,
            check=False,
        ).stdout
        return int(out.strip().split()[0])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


def peak_rss_kb() -> Optional[int]:
    """getrusage ru_maxrss in KB (Linux reports KB, macOS bytes). A peak: never goes down."""
    try:
        import resource
    except ImportError:  # Windows: no resource module
        return None
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        value //= 1024
    return int(value)


def current_rss() -> tuple[Optional[int], str]:
    """(current RSS in KB, how it was read). Falls back to the peak, marked as such."""
    value = proc_rss_kb()
    if value is not None:
        return value, SOURCE_PROC
    value = _from_ps()
    if value is not None:
        return value, SOURCE_PS
    return peak_rss_kb(), SOURCE_MAXRSS


def current_rss_kb() -> Optional[int]:
    return current_rss()[0]
