"""The apply journal: what each run sent and what came of it, written as it happens.

One JSON object per line, appended and flushed before and after every create, so that a
run killed at any moment (SIGKILL included) leaves a record the next run can read. The
operating system keeps what was written even when the process dies; only a crash of the
machine itself could lose the last lines, and then the server's state (matched by key)
still prevents duplicates. The journal is only ever a hint on top of the server's state:
a line that cannot be read is skipped with a warning, and the server decides its key.

A run that finished compacts the journal (``acdload.applying.journal_compaction``): the
history of finished runs goes, what a later run still needs stays, so the journal grows
with the load, not with the number of runs.

A lock in the state directory, one per target, keeps two applies to the same target from
running at once there, whatever journal each of them writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from acdload.applying.journal_compaction import Survey, compact, file_id, same_file
from acdload.applying.journal_lines import merged_into, parse_line
from acdload.errors import AcdloadError
from acdload.outputs import open_private
from acdload.safetext import escape

KeyText = str
"""An event key as canonical JSON text (the same on every run)."""

WARNED_LINES = 10
"""Damaged lines warned about one by one; beyond that, one warning counts the rest."""


def key_text(key: dict[str, Any]) -> KeyText:
    return json.dumps(key, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class LockHeld(AcdloadError):
    """Another apply to the same target holds the state directory's lock."""


class JournalError(AcdloadError):
    """The journal cannot be read or written. Nothing more is sent: a create the journal
    cannot record could not be told apart from a stranger's after a kill (exit 1)."""


@dataclass(slots=True)
class Carried:
    """What earlier runs against this target left for this one to know."""

    sent: dict[KeyText, int | None] = field(default_factory=dict)
    """Keys sent by runs that never finished: key -> created event ID, or None."""
    sent_at: dict[KeyText, float] = field(default_factory=dict)
    """When a key without an outcome was last sent: its request may still land on the server."""
    merged: dict[KeyText, int] = field(default_factory=dict)
    """Keys the server merged into an existing event (``updated``), by any run, finished or
    not: key -> that event's ID. The key matches nothing on the server, so only the journal
    knows that sending it again would merge it again."""


class Journal:
    """Run log for one target, guarded by an exclusive lock: appended to as the run goes,
    compacted when it finished.

    ``state_dir`` holds the lock (default: the journal's directory); ``warn`` receives a
    message for each damaged line read and each write that could not be made but costs
    nothing (the library does not print).
    """

    def __init__(
        self,
        path: Path,
        target: str | None,
        *,
        state_dir: Path | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.target = target
        self.state_dir = path.parent if state_dir is None else state_dir
        self.run_id = uuid.uuid4().hex
        self._warn = warn or (lambda message: None)
        self._lock_file: TextIO | None = None
        self._out: TextIO | None = None
        self._survey: Survey | None = None
        self._writing = threading.Lock()

    def __enter__(self) -> Journal:
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Opened now: a journal that cannot be written stops the run before the server
            # is even read, not after the first create.
            self._out = self._open()
        except OSError as exc:
            self.__exit__()
            raise self._unwritable(exc) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._discard()
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    @property
    def lock_path(self) -> Path:
        """One lock per target in the state directory, named from a hash of the target's
        label, so that a second apply to the same target from here is refused whichever
        ``--journal`` it writes, while other targets go on."""
        digest = hashlib.sha256((self.target or "").encode("utf-8")).hexdigest()[:16]
        return self.state_dir / f"apply-{digest}.lock"

    def _acquire_lock(self) -> None:
        lock_path = self.lock_path
        # Held for the run; owner-only like every file of the state directory.
        handle = os.fdopen(
            os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600),
            "r+",
            encoding="utf-8",
            errors="replace",
        )
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = escape(handle.read().strip(), 300) or "another process"
            handle.close()
            raise LockHeld(
                f"another apply is running on this state: {holder} holds {lock_path}",
                hint="wait for it to finish; two applies to one target would race, whatever "
                "journal each writes",
            ) from None
        handle.seek(0)
        handle.truncate()
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        handle.write(
            f"pid {os.getpid()} on {socket.gethostname()}, started {started}, "
            f"target {self.target}\n"
        )
        handle.flush()
        self._lock_file = handle

    def carried(self) -> Carried:
        """What earlier runs against this target sent: the keys of runs that never finished
        (killed, crashed, stopped), and every key any run saw merged."""
        carried = Carried()
        runs: dict[str, dict[KeyText, int | None]] = {}
        sent_at: dict[KeyText, float] = {}
        for entry in self._entries():
            if entry.get("target") != self.target:
                continue
            run, kind = entry["run"], entry["kind"]
            merged = merged_into(entry)
            if merged:
                carried.merged[entry["key"]] = merged
            if kind == "start":
                runs[run] = {}
            elif kind == "end":
                # Everything before a finished run is settled history (which compaction drops).
                runs.clear()
                sent_at.clear()
            elif run in runs:
                key = entry["key"]
                if kind == "sent":
                    runs[run].setdefault(key, None)
                    sent_at[key] = max(sent_at.get(key, 0.0), entry.get("at") or 0.0)
                elif entry["outcome"] in ("created", "updated"):
                    runs[run][key] = entry.get("event_id")
        for sent in runs.values():
            for key, event_id in sent.items():
                if carried.sent.get(key) is None:
                    carried.sent[key] = event_id
        # A key without an ID and without a `sent` line (a `done` of a tampered journal) was
        # sent at an unknown time: long ago, so it is looked up before it is sent again.
        carried.sent_at = {k: sent_at.get(k, 0.0) for k, v in carried.sent.items() if v is None}
        return carried

    def _entries(self) -> Iterator[dict[str, Any]]:
        """The well-formed lines; each damaged one is skipped with a warning. Every line
        goes to the survey the compaction at the end of this run starts from."""
        damaged = 0
        self._survey = survey = Survey()
        for number, raw in enumerate(self._lines(survey), start=1):
            entry, problem = parse_line(raw)
            survey.add(raw, entry, problem)
            if entry is not None:
                yield entry
            elif problem is not None:
                damaged += 1
                if damaged <= WARNED_LINES:
                    self._warn(
                        f"{self.path}:{number}: {problem}; line skipped, the server's "
                        "events decide its key"
                    )
        if damaged > WARNED_LINES:
            self._warn(f"{self.path}: {damaged - WARNED_LINES} more damaged lines skipped")

    def _lines(self, survey: Survey) -> Iterator[bytes]:
        try:
            with open(self.path, "rb") as handle:
                survey.file = file_id(handle.fileno())
                yield from handle
        except FileNotFoundError:
            return
        except OSError as exc:
            raise JournalError(
                f"cannot read the journal {self.path}: {exc.strerror or exc}",
                hint="make it readable (or give another --journal), then run again",
            ) from None

    def _open(self) -> TextIO:
        """The journal, opened to append and held with a shared lock, which a compaction
        (by a run that finished) waits for: it never replaces the file under a run."""
        while True:
            out = open_private(self.path, append=True)
            try:
                fcntl.flock(out.fileno(), fcntl.LOCK_SH)  # a compaction is over in moments
                if same_file(out.fileno(), self.path):
                    break
            except BaseException:
                out.close()
                raise
            out.close()  # compacted while this waited: open the file that replaced it
        if _ends_mid_line(self.path):
            out.write("\n")  # a line cut short must not swallow this run's first
        return out

    def _discard(self) -> None:
        """Close the output; what a failed write left in its buffer is dropped, not retried."""
        out, self._out = self._out, None
        if out is not None:
            with contextlib.suppress(OSError):  # the write that failed is reported already
                out.close()

    def _reason(self, exc: OSError) -> str:
        reason = exc.strerror or str(exc)
        if exc.filename is not None and str(exc.filename) != str(self.path):
            reason = f"{exc.filename}: {reason}"  # its directory, or a file beside it
        return reason

    def _unwritable(self, exc: OSError) -> JournalError:
        return JournalError(
            f"cannot write the journal {self.path}: {self._reason(exc)}",
            hint="the journal must be a file in a writable directory with free space; fix that, "
            "then run the same command again: what was sent is recorded, or found on the server",
        )

    def _write(self, entry: dict[str, Any]) -> None:
        entry["run"] = self.run_id
        entry["target"] = self.target
        with self._writing:  # whole lines, in order, from every create in flight
            self._write_line(entry)

    def _write_line(self, entry: dict[str, Any]) -> None:
        try:
            if self._out is None:
                self._out = self._open()
            self._out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
            self._out.flush()
        except OSError as exc:
            self._discard()
            raise self._unwritable(exc) from None

    def start(self, at: float) -> None:
        self._write({"kind": "start", "at": at, "pid": os.getpid()})

    def sent(self, index: int, key: KeyText, at: float) -> None:
        """``at`` is the applier's wall-clock time (a test's fake one too): from it the next
        run measures how long this create may still be running if no answer follows.
        Raises JournalError when the line cannot be written: then the create is not sent."""
        self._write({"kind": "sent", "index": index, "key": key, "at": at})

    def done(self, index: int, key: KeyText, outcome: str, event_id: int | None) -> None:
        self._write(
            {"kind": "done", "index": index, "key": key, "outcome": outcome, "event_id": event_id}
        )

    def carry(self, key: KeyText, event_id: int | None) -> None:
        """Record in this run what an unfinished earlier run created, in case this one dies too."""
        self._write({"kind": "sent", "index": -1, "key": key})
        self._write(
            {"kind": "done", "index": -1, "key": key, "outcome": "created", "event_id": event_id}
        )

    def end(self, at: float) -> None:
        """Mark the run finished, then compact the journal. Failing either is only a warning:
        every event is settled, and the next run, taking this one for unfinished, still asks
        the server (or reads the history compaction would have dropped)."""
        try:
            self._write({"kind": "end", "at": at})
        except JournalError as exc:
            self._warn(f"{exc.message}; the next run will read this one as unfinished")
            return
        self._discard()  # and with it this run's shared lock: compaction needs the file alone
        try:
            compact(self.path, self._survey)
        except OSError as exc:
            self._warn(
                f"cannot compact the journal {self.path}: {self._reason(exc)}; nothing is lost: "
                "it keeps the history of finished runs (reading it only takes longer), and the "
                "next run that finishes tries again"
            )


def _ends_mid_line(path: Path) -> bool:
    with open(path, "rb") as handle:
        if handle.seek(0, os.SEEK_END) == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"
