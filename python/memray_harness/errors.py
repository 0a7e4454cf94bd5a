"""HarnessError: a failure that ends the run, with its code from contract.json's error_codes."""

from __future__ import annotations

from typing import Optional

from . import events
from .contract import contract

EXIT_OK = 0


class HarnessError(Exception):
    """`code` is a key of contract.json's error_codes; the exit code comes from that table."""

    def __init__(self, code: str, message: str, details: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.exit_code = contract().exit_code(code)  # KeyError: a code core does not define
        self.code = code
        self.message = message
        # summary.error_details; defaults to {type: HarnessError, message, traceback: ""}
        self.details = details

    @property
    def hint(self) -> str:
        return contract().hint(self.code)


def announce(exc: HarnessError) -> None:
    """The failure on stderr, for people and (as an `error` event) for the TypeScript side."""
    events.say("memray-harness: %s [%s: %s]" % (exc.message, exc.code, exc.hint))
    events.error(exc.code, exc.message)
