"""One exception hierarchy for conditions that end a command.

Problems in manifests are not exceptions (see ``problems``); these are for what stops a
whole run: a usage mistake, a target that cannot be used. The CLI translates them into a
message and an exit code in one place.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status; pipelines branch on these, so they never change meaning."""

    OK = 0
    FAILURE = 1  # invalid input, failed events, a stale saved plan
    USAGE = 2  # bad flags, missing file, no target, apply without --yes off a terminal
    TARGET = 3  # target unusable: unreachable, token refused, wrong base URL, keeps failing
    PENDING = 4  # plan --detailed-exitcode: creates are pending
    INTERRUPTED = 130


class AcdloadError(Exception):
    """Base class. ``hint`` tells the user what to do next."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageProblem(AcdloadError):
    """The command line cannot be carried out as given (exit 2)."""

    exit_code = ExitCode.USAGE


class TargetError(AcdloadError):
    """The server cannot be used: unreachable, token refused, wrong base URL (exit 3)."""

    exit_code = ExitCode.TARGET


class Cancelled(AcdloadError):
    """The user (or a ``confirm`` callback) said no: a decision, not a usage error (exit 1)."""

    exit_code = ExitCode.FAILURE


class StalePlanError(AcdloadError):
    """A saved plan no longer matches the manifests, the target or the server (exit 1)."""

    exit_code = ExitCode.FAILURE
