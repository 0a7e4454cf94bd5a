"""Run a script exactly like `python script.py`, but in this process under the Tracker."""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator
from typing import Any, Optional

from .outcome import Outcome, from_exception, from_system_exit, timed_out
from .timeouts import Watchdog, WorkloadTimeout, time_limit


def precompile(script_path: str) -> Optional[types.CodeType]:
    """Compile before the capture starts, so the compiler's allocations are not charged to the
    workload; None when it does not compile (run_script then reports the SyntaxError as usual)."""
    try:
        with open(script_path, "rb") as f:
            return compile(f.read(), script_path, "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError):
        return None


def run_script(
    script_path: str,
    args: list[str],
    timeout: Optional[float] = None,
    code: Optional[types.CodeType] = None,
) -> tuple[Outcome, dict[str, Any]]:
    """(outcome, the script's globals).

    Not runpy.run_path: that discards the module namespace when the script raises. The caller
    keeps the globals alive until the capture ends, as the interpreter would until exit, so
    module-level caches count as leaked/surviving instead of being freed by the harness.
    """
    module = _main_module(script_path)
    outcome = Outcome()
    watchdog: Optional[Watchdog] = None
    with _as_main(module, script_path, args):
        try:
            if code is None:
                with open(script_path, "rb") as f:
                    code = compile(f.read(), script_path, "exec", dont_inherit=True)
            with time_limit(timeout) as watchdog:
                exec(code, module.__dict__)
        except SystemExit as exc:
            outcome = from_system_exit(exc)
        except WorkloadTimeout as exc:
            outcome = timed_out(exc, timeout)
        except KeyboardInterrupt as exc:
            outcome = from_exception(exc, "script")
            outcome.exit_code = 130
        except BaseException as exc:  # noqa: B902 - any failure is data, the capture must go on
            outcome = from_exception(exc, "script")
    if watchdog is not None and watchdog.fired and outcome.code != "WORKLOAD_TIMEOUT":
        # It ran past the bound and swallowed the stop (or ended as it came): the bound fired all the same.
        outcome = timed_out(WorkloadTimeout(), timeout)
    return outcome, module.__dict__


def _main_module(script_path: str) -> types.ModuleType:
    """A fresh __main__ for the script, as `python script.py` makes it."""
    module = types.ModuleType("__main__")
    module.__dict__.update(
        {
            "__file__": script_path,
            "__builtins__": __builtins__,
            "__spec__": None,
            "__loader__": None,
            "__package__": None,
            "__cached__": None,
        }
    )
    return module


@contextlib.contextmanager
def _as_main(module: types.ModuleType, script_path: str, args: list[str]) -> Iterator[None]:
    """sys.argv, sys.path[0] and sys.modules["__main__"] as the script expects them, restored after."""
    saved_argv, saved_path0 = sys.argv, sys.path[0] if sys.path else None
    saved_main = sys.modules.get("__main__")
    sys.argv = [script_path] + list(args)
    script_dir = os.path.dirname(os.path.abspath(script_path))
    if sys.path:
        sys.path[0] = script_dir
    else:
        sys.path.append(script_dir)
    sys.modules["__main__"] = module  # pickle/multiprocessing resolve __main__ names here
    try:
        yield
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None and sys.path and sys.path[0] == script_dir:
            sys.path[0] = saved_path0
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        sys.stdout.flush()
        sys.stderr.flush()
