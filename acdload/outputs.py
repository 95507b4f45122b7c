"""How acdload writes what it writes: reports, plan files, the journal, stdout and stderr.

Every writer goes through here, so each guarantee is kept in one place:

- nothing written holds a credential: every text passes :func:`acdload.safetext.scrub`
  (:class:`Scrubbed`, also for stdout and stderr), whatever a server echoed into it;
- files hold phone numbers and names, so a file acdload creates is owner-only (0600);
  a path that is not a regular file (``/dev/null``, a FIFO) is written as it is, its
  mode untouched (``chmod`` on ``/dev/null`` as root would break the whole machine);
- no text makes a write fail halfway: a lone surrogate is written as ``\\udXXX``;
- output paths are checked before a command does anything (:func:`check_output_paths`),
  and a write that fails all the same (a full disk) is an :class:`OutputError` naming
  the option and the reason, never a traceback.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TextIO

from acdload.errors import AcdloadError, ExitCode, UsageProblem
from acdload.safetext import scrub


class OutputError(AcdloadError):
    """A report or plan file could not be written after the command ran (exit 1)."""

    exit_code = ExitCode.FAILURE


class Scrubbed(io.TextIOBase, TextIO):
    """A text stream that scrubs every text on its way to ``inner``.

    Writers hand whole lines or documents to ``write`` (never a token cut in two), so
    scrubbing each piece scrubs the whole. ``owned``: closing this closes ``inner``
    (a file); stdout and stderr are only flushed.
    """

    def __init__(self, inner: TextIO, owned: bool = False) -> None:
        super().__init__()
        self._inner = inner
        self._owned = owned

    def write(self, text: str) -> int:
        if self.closed:
            raise ValueError("write to a closed stream")
        self._inner.write(scrub(text))
        return len(text)

    def flush(self) -> None:
        if not self._inner.closed:
            self._inner.flush()

    def close(self) -> None:
        if self.closed:
            return
        try:
            super().close()  # flushes
        finally:
            if self._owned:
                self._inner.close()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    def writable(self) -> bool:
        return True


def scrubbed(stream: TextIO) -> TextIO:
    """``stream`` (stdout, stderr) with every text written to it scrubbed."""
    return Scrubbed(stream)


def _text_file(fd: int, append: bool = False) -> TextIO:
    """The open file ``fd`` as a scrubbed UTF-8 text stream that owns it."""
    inner = os.fdopen(
        fd, "a" if append else "w", encoding="utf-8", errors="backslashreplace", newline=""
    )
    return Scrubbed(inner, owned=True)


def open_private(path: Path | str, append: bool = False) -> TextIO:
    """Open for writing scrubbed text; a regular file is created (or narrowed) to 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return _text_file(fd, append)


Text = str | Iterable[str]
"""What an output holds: one text, or its pieces in order (a large report is made piecewise)."""


def write_private(path: Path | str, text: Text, option: str) -> None:
    """Write ``text`` (or its pieces, in order) to the file of ``option`` (``--report``).

    Raises :class:`OutputError` naming the option, the path and the reason when the file
    cannot be written (a full disk, a vanished directory).
    """
    try:
        with open_private(path) as out:
            out.writelines([text] if isinstance(text, str) else text)
    except OSError as exc:
        raise _not_written(option, path, exc) from None


def write_outputs(outputs: Mapping[str, tuple[str | Path | None, Callable[[], Text]]]) -> None:
    """Write each output given: option -> (its path, None when not asked for; what makes
    its text). One that cannot be written does not keep the others from being written;
    raises :class:`OutputError` naming every one that could not."""
    errors = []
    for option, (path, make) in outputs.items():
        if path:
            try:
                write_private(path, make(), option)
            except OutputError as exc:
                errors.append(exc.message)
    if errors:
        raise OutputError("; ".join(errors))


def replace_private(path: Path | str, text: str, option: str) -> None:
    """Write ``text`` to ``path`` atomically (0600 from the first byte, renamed over it), so
    a reader never sees half a file; a path that is not a regular file is written in place.
    """
    target = Path(path)
    if target.exists() and not target.is_file():
        write_private(target, text, option)
        return
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    except OSError as exc:
        raise _not_written(option, path, exc) from None
    try:
        os.fchmod(fd, 0o600)
        with _text_file(fd) as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _not_written(option, path, exc) from None
        raise


def _not_written(option: str, path: Path | str, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {option} {path}: {exc.strerror or exc}")


def _unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be written as an output file, or None."""
    if path.is_dir():
        return "it is a directory"
    parent = path.parent
    if not parent.exists():
        return f"the directory {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if path.exists():
        return None if os.access(path, os.W_OK) else "the file is not writable"
    return (
        None if os.access(parent, os.W_OK | os.X_OK) else f"the directory {parent} is not writable"
    )


def check_output_paths(
    outputs: Mapping[str, str | Path | None], kept: Mapping[str, str | Path] | None = None
) -> None:
    """Refuse (usage error, exit 2) output paths that could not be written, before a
    command reads a manifest or contacts a server: after the run is too late.

    ``outputs`` maps each option to its path (None: not given). Two outputs may not name
    the same regular file, and none may name a file of ``kept`` (``--journal``: a report
    written over it would erase what the run did). Paths that exist and are not regular
    files (``/dev/null``) may be shared.
    """
    claimed = {os.path.realpath(p): option for option, p in (kept or {}).items()}
    for option, given in outputs.items():
        if given is None:
            continue
        path = Path(given)
        why = _unwritable(path)
        if why is not None:
            raise UsageProblem(
                f"cannot write {option} {given}: {why}",
                hint="give a path in an existing directory you can write to (nothing was done)",
            )
        if path.exists() and not path.is_file():
            continue
        real = os.path.realpath(path)
        if real in claimed:
            raise UsageProblem(
                f"{claimed[real]} and {option} name the same file {given}",
                hint="give each output its own file (nothing was done)",
            )
        claimed[real] = option
