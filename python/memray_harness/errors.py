"""Errors that end a run with a specific exit code (see the protocol's exit codes)."""
from __future__ import annotations

EXIT_OK = 0
EXIT_WORKLOAD_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NO_MEMRAY = 3


class HarnessError(Exception):
    """A failure that stops the run before/around the workload, with the exit code to use."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class ConfigError(HarnessError):
    """Bad config or input (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_BAD_INPUT)
