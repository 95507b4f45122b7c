"""Apply's progress on stderr: a bar on a terminal, plain periodic lines elsewhere (CI
logs stay readable), and a line for every event that fails.

It counts creates, not events: events that exist pass in no time, so a rate over all
events would promise an ETA a load of mostly creates never meets. Shown: created, failed
and remaining creates, the time elapsed, and the ETA at the creates' own rate.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from acdload.applying.applier import Result
from acdload.cli.app import say
from acdload.reports.plan_values import key_text
from acdload.reports.redact import redact

PROGRESS_EVERY = 5.0  # seconds between plain progress lines off a terminal
BAR_WIDTH = 30


def duration(seconds: float) -> str:
    """``0:07``, ``12:30``, ``1:02:03``: a clock reading, as people read time left."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(created: int, failed: int, remaining: int, elapsed: float) -> str:
    """``5 created, 1 failed, 94 remaining, 0:02 elapsed, ETA 0:38 (3.0 creates/s)``;
    the ETA is ``--`` until a create has been settled."""
    settled = created + failed
    rate = settled / elapsed if settled and elapsed > 0 else 0.0
    eta = duration(remaining / rate) if rate else "--"
    return (
        f"{created} created, {failed} failed, {remaining} remaining, "
        f"{duration(elapsed)} elapsed, ETA {eta} ({rate:.1f} creates/s)"
    )


class Progress:
    """Hears each event's result (``on_result``) and shows how the creates go.

    Used as a context manager around the run: a bar a stopped run left unfinished (Ctrl-C,
    ``--fail-fast``, a canary) has no line end of its own, so leaving ends its line and
    what follows (the report, the summary) starts on a line of its own; :meth:`end_line`
    does the same for a message in the middle of the run.
    """

    def __init__(
        self,
        total: int,
        creates: int,
        hide: bool,
        show_redacted: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.creates = creates
        self.done = self.created = self.failed = self.settled = 0
        self.clock = clock
        self.started = self.last_line = clock()
        self.tty = sys.stderr.isatty()
        self.hide = hide
        self.redacted = show_redacted
        self.bar_open = False  # a bar is drawn and its line not ended

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end_line()

    def end_line(self) -> None:
        """End the line of a bar drawn so far, so that a message can follow it."""
        if self.bar_open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.bar_open = False

    def text(self) -> str:
        return progress_text(
            self.created, self.failed, self.creates - self.settled, self.clock() - self.started
        )

    def __call__(self, result: Result) -> None:
        self.done += 1
        if result.action == "create":
            self.settled += 1
            self.created += result.outcome in ("created", "updated")
            self.failed += result.outcome == "failed"
        if result.outcome == "failed":
            where = f"{result.file}:{result.line}"
            text = (
                f"failed: {where} {key_text(result.key)}: HTTP {result.http_status}: {result.error}"
            )
            self._line(redact(text) if self.redacted else text)
        if self.hide:
            return
        if self.tty:
            filled = BAR_WIDTH * self.done // max(self.total, 1)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            sys.stderr.write(f"\r\033[K[{bar}] {self.text()}")
            self.bar_open = True
            if self.done >= self.total:
                self.end_line()
            sys.stderr.flush()
        elif self.clock() - self.last_line >= PROGRESS_EVERY:
            self.last_line = self.clock()
            self._line(f"progress: {self.text()}")

    def _line(self, text: str) -> None:
        if self.bar_open:
            sys.stderr.write("\r\033[K")
            self.bar_open = False
        say(text)
