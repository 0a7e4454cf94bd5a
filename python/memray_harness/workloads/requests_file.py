"""The per-request data a script writes: this run's own file ($MEMRAY_RUN_REQUESTS_FILE), else the
seed's fixed path (/tmp/memray-run-requests.json), read without ever taking another run's data.

The seed's contract: the script writes its per-request metrics to /tmp/memray-run-requests.json and
the runner merges them. memray-cli gives every run its own file and exports it as
MEMRAY_RUN_REQUESTS_FILE; a script written against the seed still writes the fixed path. Both are
read, this run's file first (`SeedRequests`): the fixed path only by the run that holds its lock
(`<path>.lock`, flock, held from just before the workload until the file is read), only when it was
written since that run's workload started (a file there before is removed, or its inode and mtime
noted), and it is consumed (removed) once read. A run that cannot take the lock never reads the fixed
path; one whose script names it waits for the lock first. docs/harness-protocol.md "Per-request data".
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any, Callable, Optional

from .. import finite, interrupts
from ..contract import contract

try:  # POSIX only; without it the fixed path is read by no run
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

# A requests file is per-request data, not a dataset: bound what is read and merged.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 10000

FIELDS = ("request_num", "status", "duration_s", "rss_before", "rss_after", "rss_delta")


def remove_stale(path: str) -> list[str]:
    """Delete a file left by an earlier run so it is never merged into this one."""
    return _remove(path, "could not remove stale requests file %s")


def _remove(path: str, failure: str) -> list[str]:
    """Delete `path` (gone already is fine); a warning, `failure` % path with the reason, when it cannot be."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return ["%s: %s" % (failure % path, exc)]
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


# Tests point the seed's fixed path elsewhere (a real run never sets it).
SEED_PATH_ENV = "MEMRAY_HARNESS_SEED_REQUESTS_FILE"
# A file whose mtime is this much before the workload started still counts as written during it
# (filesystems with coarse timestamps).
MTIME_SLACK_SECONDS = 1.0


def seed_path() -> str:
    """The seed's fixed path: contract.json's defaults.requests_file."""
    return os.environ.get(SEED_PATH_ENV) or contract().defaults.requests_file


def _stat(path: str) -> Optional[os.stat_result]:
    try:
        return os.stat(path)
    except OSError:
        return None


def _mentions(script_path: Optional[str], name: str) -> bool:
    """Whether the script's source names the file (a script written against the seed does)."""
    if not script_path:
        return False
    try:
        with open(script_path, "rb") as f:
            return name.encode() in f.read(4 * 1024 * 1024)
    except OSError:
        return False


class SeedRequests:
    """The per-request data of one script run: its own file first, else the seed's fixed path.

    prepare() before the workload (removes stale files, takes the fixed path's lock, notes the start),
    collect() once it ended (reads, consumes the fixed path's file, releases the lock)."""

    def __init__(self, run_file: str, script_path: Optional[str], fixed: Optional[str] = None) -> None:
        self.run_file = run_file
        self.fixed = fixed or seed_path()
        self.script_path = script_path
        self.same = os.path.abspath(run_file) == os.path.abspath(self.fixed)
        self.lock_fd: Optional[int] = None
        self.started: Optional[float] = None
        self.before: Optional[os.stat_result] = None  # the fixed path as it was when the workload started
        self.collected = False

    @property
    def holds_lock(self) -> bool:
        return self.lock_fd is not None

    def prepare(self, on_wait: Callable[[str], None]) -> list[str]:
        """Before the workload; returns warnings. on_wait(message) is called once when the lock is held by
        another run and this one waits for it (its script names the fixed path)."""
        must_wait = self.same or _mentions(self.script_path, os.path.basename(self.fixed))
        self.lock_fd = self._lock(must_wait, on_wait)
        warnings = [] if self.same else remove_stale(self.run_file)
        if self.holds_lock:
            warnings.extend(remove_stale(self.fixed))
        elif must_wait:
            warnings.append("could not lock %s.lock: the seed's requests file %s is not read by this run" % (self.fixed, self.fixed))
        self.before = _stat(self.fixed)
        self.started = time.time()
        return warnings

    def _lock(self, wait: bool, on_wait: Callable[[str], None]) -> Optional[int]:
        if fcntl is None:
            return None
        try:
            fd = os.open(self.fixed + ".lock", os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError:
            return None
        said = False
        stop = interrupts.current()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if not wait:
                    os.close(fd)
                    return None
            except OSError:
                os.close(fd)
                return None
            if not said:
                on_wait(
                    "waiting for another run that uses the seed's requests file %s to end (its lock %s.lock is held); "
                    "this run's script names that file" % (self.fixed, self.fixed)
                )
                said = True
            try:
                stop.stopped.wait(0.2)  # a signal raises here (before the workload)
                if stop.requested:
                    raise KeyboardInterrupt
            except BaseException:
                os.close(fd)
                raise

    def release(self) -> None:
        if self.lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.lock_fd)  # closing the last descriptor releases the flock
            self.lock_fd = None

    def _written_during_run(self, st: Optional[os.stat_result]) -> bool:
        if st is None or self.started is None:
            return False
        if self.before is not None and (st.st_ino, st.st_dev, st.st_mtime_ns) == (self.before.st_ino, self.before.st_dev, self.before.st_mtime_ns):
            return False  # the file that was there before the workload, untouched
        return st.st_mtime >= self.started - MTIME_SLACK_SECONDS

    def collect(self) -> tuple[list[dict[str, Any]], list[str], Optional[dict[str, Any]]]:
        """(requests, warnings, requests_source) once the workload ended; releases the lock. Called once."""
        if self.collected:
            return [], [], None
        self.collected = True
        try:
            return self._collect()
        finally:
            self.release()

    def _collect(self) -> tuple[list[dict[str, Any]], list[str], Optional[dict[str, Any]]]:
        warnings: list[str] = []
        fixed_new = self._written_during_run(_stat(self.fixed))
        if not self.same and os.path.exists(self.run_file):
            requests, more = load(self.run_file)
            warnings.extend(more)
            if fixed_new and self.holds_lock:
                warnings.append("the script also wrote the seed's %s; this run's own file %s was read instead" % (self.fixed, self.run_file))
                warnings.extend(self._consume(self.fixed))
            return requests, warnings, {"file": self.run_file, "kind": "run", "entries": len(requests)}
        if not fixed_new:
            return [], warnings, None
        if not self.holds_lock:
            warnings.append(
                "%s was written during this run while another run held its lock: not read (it may be the other run's); "
                "write per-request data to $MEMRAY_RUN_REQUESTS_FILE" % self.fixed
            )
            return [], warnings, None
        requests, more = load(self.fixed)
        warnings.extend(more)
        warnings.extend(self._consume(self.fixed))
        return requests, warnings, {"file": self.fixed, "kind": "seed", "entries": len(requests)}

    def _consume(self, path: str) -> list[str]:
        return _remove(path, "could not remove the requests file %s after reading it")
