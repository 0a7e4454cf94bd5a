"""How a workload ended: exit code + error, captured without ever propagating."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Optional

TRACEBACK_TAIL_LINES = 30


@dataclass
class Outcome:
    exit_code: int = 0
    error: Optional[str] = None
    error_details: Optional[dict[str, str]] = None
    extra: dict[str, Any] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Not failures, but worth the user's attention (e.g. an endpoint answering 404).
    warnings: list[str] = field(default_factory=list)
    # A contract error code other than WORKLOAD_FAILED (a harness bug during the workload).
    code: Optional[str] = None

    @property
    def failed(self) -> bool:
        return self.exit_code != 0 or self.error is not None

    @property
    def error_code(self) -> Optional[str]:
        """summary.error_code: None when the workload succeeded."""
        if not self.failed:
            return None
        return self.code or "WORKLOAD_FAILED"

    def fail(self, message: str, exit_code: int = 1) -> None:
        if self.error is None:
            self.error = message
        if self.exit_code == 0:
            self.exit_code = exit_code


def exit_code_of(code: Any) -> int:
    """sys.exit() semantics: None -> 0, int -> itself, anything else (a message) -> 1."""
    if code is None:
        return 0
    if isinstance(code, bool):
        return int(code)
    if isinstance(code, int):
        return code
    return 1


def from_exception(exc: BaseException, where: str = "workload") -> Outcome:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    tail = "\n".join(tb.rstrip("\n").splitlines()[-TRACEBACK_TAIL_LINES:])
    message = "%s raised %s: %s" % (where, type(exc).__name__, exc)
    return Outcome(
        exit_code=1,
        error=message,
        error_details={"type": type(exc).__name__, "message": str(exc), "traceback": tail},
    )


def from_system_exit(exc: SystemExit, where: str = "script") -> Outcome:
    code = exit_code_of(exc.code)
    if code == 0:
        return Outcome()
    message = "%s exited with code %d" % (where, code)
    if exc.code is not None and not isinstance(exc.code, int):
        message += ": %s" % exc.code
    return Outcome(
        exit_code=code,
        error=message,
        error_details={"type": "SystemExit", "message": str(exc.code), "traceback": ""},
    )


def timed_out(exc: BaseException, seconds: Optional[float], where: str = "script") -> Outcome:
    """The workload ran past timeout_seconds and was stopped (WORKLOAD_TIMEOUT, exit 1); the traceback
    says where it was."""
    outcome = from_exception(exc, where)
    outcome.error = "%s ran past timeout_seconds=%g (--timeout) and was stopped; the reports cover what ran until then" % (where, seconds or 0)
    outcome.code = "WORKLOAD_TIMEOUT"
    outcome.error_details = dict(outcome.error_details or {}, type="WorkloadTimeout", message=outcome.error)
    return outcome
