"""Progress of the server's list read, so that reading a large account is not silence.

The jtel API answers with the whole account in one list: a million events is a gigabyte
and most of a minute. A read that is over within :data:`QUIET_FOR` seconds shows nothing
(a small account's plan looks as it always did). After that, a terminal gets one line
redrawn in place; anything else, a CI log, gets a plain line every :data:`PROGRESS_EVERY`
seconds, as apply's progress does, and a last line says what was read. Every line starts
with ``progress:``, like apply's.
"""

from __future__ import annotations

import sys
import time

from acdload.cli.app import say
from acdload.cli.apply_progress import PROGRESS_EVERY  # one cadence for every CI log line

QUIET_FOR = 1.0
"""Seconds of reading before a terminal shows the line."""
REDRAW_EVERY = 0.2
"""Seconds between redraws of the line on a terminal."""


class ListProgress:
    """Hears of the list read (bytes and records so far) and shows it.

    Used as a context manager around the read: on the way out a line drawn on a terminal
    is ended, so that what follows (the plan, or an error) starts on a line of its own.
    """

    def __init__(self, hide: bool = False) -> None:
        self.hide = hide
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.next_line = self.started + (QUIET_FOR if self.tty else PROGRESS_EVERY)
        self.read_bytes = 0
        self.records = 0
        self.shown = False
        self.line_open = False  # a line drawn on the terminal and not ended

    def __enter__(self) -> ListProgress:
        return self

    def __exit__(self, failed: type[BaseException] | None, *exc: object) -> None:
        self.finish(failed=failed is not None)

    def finish(self, failed: bool = False) -> None:
        """The read is over: say what was read (or just end the line, when it failed).
        Once only: what is shown afterwards is not this read's."""
        if not self.shown or self.hide:
            return
        self.hide = True
        if not failed:
            self._show(f"progress: read the server's events: {self._so_far()}", last=True)
        elif self.line_open:
            sys.stderr.write("\n")
            sys.stderr.flush()
        self.line_open = False

    def __call__(self, read_bytes: int, records: int) -> None:
        self.read_bytes, self.records = read_bytes, records
        now = time.monotonic()
        if self.hide or now < self.next_line:
            return
        self.next_line = now + (REDRAW_EVERY if self.tty else PROGRESS_EVERY)
        self._show(f"progress: reading the server's events: {self._so_far()}")

    def _so_far(self) -> str:
        seconds = time.monotonic() - self.started
        return f"{self.records:,} events, {self.read_bytes / 2**20:,.0f} MB in {seconds:.0f}s"

    def _show(self, text: str, last: bool = False) -> None:
        self.shown = True
        if not self.tty:
            say(text)
            return
        sys.stderr.write(f"\r\033[K{text}" + ("\n" if last else ""))
        sys.stderr.flush()
        self.line_open = not last
