"""The exit codes every acdload command shares (see docs/exit-codes.md)."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status; pipelines branch on these, so they never change meaning."""

    OK = 0
    FAILURE = 1  # invalid input, failed events, a stale saved plan
    USAGE = 2  # bad flags, missing file, no target, apply without --yes off a terminal
    TARGET = 3  # target unusable: unreachable, token refused, wrong base URL, keeps failing
    PENDING = 4  # plan --detailed-exitcode: creates are pending
    INTERRUPTED = 130
