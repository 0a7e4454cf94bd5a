"""EngineProcess: the report engine as a child process of the harness (`python -m memray_harness.report_engine`)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from typing import Any, Optional

from .. import paths
from .engine_plan import PLAN_ON_STDIN


class EngineProcess:
    """A report engine started ahead of its plan (start_engine), or for it (make_reports)."""

    def __init__(self, proc: subprocess.Popen[bytes], stderr: Any) -> None:
        self.proc = proc
        self.stderr = stderr  # a temporary file: never a pipe nobody reads while the engine works
        self.used = False

    def send(self, plan: dict[str, Any]) -> bool:
        """Hand over the plan; False when the engine is gone (it died waiting)."""
        self.used = True
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps(plan, allow_nan=False) + "\n").encode("utf-8"))
            self.proc.stdin.close()
            return True
        except (OSError, ValueError):
            return False

    def discard(self) -> None:
        """Not needed after all (no capture, an error): end it and close its files (idempotent)."""
        if not self.used:
            self.used = True
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()  # EOF: the engine exits at once
                self.proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - it still ends with its process group
                self.kill()
        self.close_files()

    def kill(self) -> None:
        """The engine and every reader it forked (its process group)."""
        kill_engine(self.proc)

    def stderr_tail(self, lines: int = 3) -> str:
        """Its last lines on stderr, joined with " | "."""
        self.stderr.seek(0)
        return " | ".join(self.stderr.read().decode("utf-8", "replace").strip().splitlines()[-lines:])

    def close_files(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass


def kill_engine(proc: subprocess.Popen[bytes]) -> None:
    """The engine process and every reader it forked (its process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        with contextlib.suppress(OSError):
            proc.kill()
    with contextlib.suppress(Exception):
        proc.wait(timeout=30)


def start_engine(cwd: str) -> EngineProcess:
    """Start the report engine now, to wait for its plan: it imports memray and its reporters while the
    workload runs (0.2-0.3 s of interpreter start-up and imports off the run's critical path). Called
    before the Tracker starts, so none of this is in the capture. OSError: it could not start."""
    env = dict(os.environ)
    env.setdefault("COLUMNS", "120")  # rich formats stats.txt to the terminal width
    # The engine imports memray_harness too: make sure it finds it wherever we were imported from.
    harness_root = os.path.dirname(paths.HARNESS_DIR)
    env["PYTHONPATH"] = os.pathsep.join([harness_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the engine writes it while it runs; EngineProcess closes it
    try:
        # Own session (process group): a terminal's Ctrl-C reaches the harness alone, which decides
        # what stops, and the engine's forked readers are stopped with it (killpg).
        proc = subprocess.Popen(
            [sys.executable, "-m", "memray_harness.report_engine", PLAN_ON_STDIN],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except OSError:
        stderr.close()
        raise
    return EngineProcess(proc, stderr)


def engine_with_plan(engine: Optional[EngineProcess], plan: dict[str, Any], cwd: str) -> EngineProcess:
    """The started-early engine, sent its plan; without one (or one that died waiting) a new one.
    OSError: no engine could start."""
    if engine is not None and not engine.used and engine.send(plan):
        return engine
    if engine is not None:
        engine.discard()
    fresh = start_engine(cwd)
    if not fresh.send(plan):
        fresh.discard()
        raise OSError("it exited before its plan was sent")
    return fresh
