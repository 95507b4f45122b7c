"""Compaction: the journal keeps what exactly-once needs, not every run ever made.

What a run reads of the journal (``Journal.carried``), per target, is only:

- the lines after that target's last ``end``: the runs that never finished;
- each key's last merge (a ``done`` of outcome ``updated``), from any run.

Everything else before a target's last ``end`` is settled history: a finished run settled
every event of its load, and the server's events (matched by key) say what exists. So a
compacted journal keeps, for each target, the lines after its last ``end`` and the last
merge of each key before it, in their order; a line that cannot be read is kept as it is
(whose it is cannot be told, and it counts for nobody). Every target's ``carried()`` is
the same on the old journal and on the compacted one; the journal then grows with the
load and what is still unsettled, not with the number of runs.

A kill at any point leaves the old journal or the compacted one, never a mix: the
compacted lines are written to a file beside it, flushed to disk, and renamed over it
(atomic), and the directory is flushed so the rename survives a crash of the machine.

Every run holds a shared ``flock`` on the journal file while it has it open (the lock
on the target keeps out only runs to the same target). Compaction takes the journal
exclusively without waiting, and does nothing when another run has it open: that run
would go on writing into the replaced file, and its lines would be lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acdload.applying.journal_lines import merged_into, parse_line

DAMAGED, BLANK = -1, -2
"""Marks of a line that belongs to no known target: kept as it is, or dropped (blank)."""


@dataclass(frozen=True, slots=True)
class Compacted:
    """How many lines the journal had, and has."""

    before: int
    after: int


class Survey:
    """What compaction needs to know of each line of a journal, gathered as it is read.

    A run reads the whole journal when it starts (``Journal.carried``) and feeds each line
    to its survey; compaction at its end then reads only the lines added since, instead of
    parsing the journal a second time. The lines surveyed cannot have changed meanwhile:
    the run held its shared lock, so other runs could only append.
    """

    def __init__(self) -> None:
        self.file: tuple[int, int] | None = None
        """(device, inode) of the file surveyed: a journal replaced since is surveyed anew."""
        self.size = 0
        """Bytes surveyed: whole lines only."""
        self._marks: array[int] = array("i")  # each line's target, as an index; or DAMAGED, BLANK
        self._targets: dict[str | None, int] = {}
        self._last_end: dict[int, int] = {}
        self._merges: dict[tuple[int, str], int] = {}  # the last merge of each key, by target

    @property
    def lines(self) -> int:
        return len(self._marks)

    def add(self, raw: bytes, entry: dict[str, Any] | None, problem: str | None) -> None:
        """Note one line and what ``parse_line`` made of it. The last line, when it has no
        newline (cut short, or being written), is not noted: it is read again later."""
        if not raw.endswith(b"\n"):
            return
        number = len(self._marks)
        self.size += len(raw)
        if entry is None:
            self._marks.append(DAMAGED if problem is not None else BLANK)
            return
        target = self._targets.setdefault(entry.get("target"), len(self._targets))
        self._marks.append(target)
        if entry["kind"] == "end":
            self._last_end[target] = number
        elif merged_into(entry):
            self._merges[(target, entry["key"])] = number

    def kept(self) -> set[int]:
        """The numbers of the lines a compacted journal keeps."""
        last_end = self._last_end
        kept = {n for (target, _), n in self._merges.items() if n < last_end.get(target, -1)}
        kept.update(
            n
            for n, target in enumerate(self._marks)
            if target == DAMAGED or (target >= 0 and n > last_end.get(target, -1))
        )
        return kept


def compact(path: Path, survey: Survey | None = None) -> Compacted | None:
    """Rewrite the journal at ``path`` (a symbolic link is followed) without its settled
    history; ``survey``: what the run saw of it as it read it (the rest is read now).
    None when there was nothing to do: no settled line, a journal that is not a regular
    file (``/dev/null``), or one another run has open. Raises OSError when it cannot be
    read or rewritten; the journal is then as it was."""
    real = Path(os.path.realpath(path))
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as journal:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or not _exclusive(fd, real):
            return None
        if survey is None or survey.file != file_id(fd):
            survey = Survey()
        journal.seek(survey.size)
        for raw in journal:
            survey.add(raw, *parse_line(raw))
        surveyed, kept = survey.lines, survey.kept()
        if len(kept) == surveyed:
            return None
        journal.seek(0)
        # A line beyond the survey (one cut short at the end) is kept.
        _replace(real, (line for n, line in enumerate(journal) if n in kept or n >= surveyed))
        return Compacted(before=surveyed, after=len(kept))


def _exclusive(fd: int, real: Path) -> bool:
    """Lock the open journal exclusively if no run has it open, and it is still the file
    at its path (not one an earlier compaction replaced while this one opened it)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return same_file(fd, real)


def file_id(fd: int) -> tuple[int, int]:
    opened = os.fstat(fd)
    return opened.st_dev, opened.st_ino


def same_file(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the one at ``path`` (compaction replaces it)."""
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    return file_id(fd) == (current.st_dev, current.st_ino)


def _replace(real: Path, lines: Iterable[bytes]) -> None:
    """Write ``lines`` to a file beside ``real`` (owner-only), flush it to disk and rename
    it over ``real``; the temporary file is removed when that fails."""
    temporary = real.with_name(f".{real.name}.compacting")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()  # left by a compaction that was killed (never followed if a link)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for line in lines:
                out.write(line if line.endswith(b"\n") else line + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    # The rename is done; flushing the directory makes it survive a crash of the machine,
    # which a file system that cannot flush a directory leaves to its own devices.
    with contextlib.suppress(OSError):
        directory = os.open(real.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
