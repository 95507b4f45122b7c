"""The apply journal: what each run sent and what came of it, written as it happens.

One JSON object per line, appended and flushed before and after every create, so that a
run killed at any moment (SIGKILL included) leaves a record the next run can read. The
operating system keeps what was written even when the process dies; only a crash of the
machine itself could lose the last lines, and then the server's state (matched by key)
still prevents duplicates. A lock beside the journal keeps two applies from running at
once on the same state.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from acdload.errors import AcdloadError
from acdload.files import open_private

KeyText = str
"""An event key as canonical JSON text (the same on every run)."""


def key_text(key: dict[str, Any]) -> KeyText:
    return json.dumps(key, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class LockHeld(AcdloadError):
    """Another apply holds the state directory's lock."""


@dataclass(slots=True)
class Carried:
    """What unfinished earlier runs against this target sent: key -> created event ID or None."""

    sent: dict[KeyText, int | None] = field(default_factory=dict)
    sent_at: dict[KeyText, float] = field(default_factory=dict)
    """When a key without an outcome was last sent: its request may still land on the server."""


class Journal:
    """Append-only run log for one target, guarded by an exclusive lock."""

    def __init__(self, path: Path, target: str | None) -> None:
        self.path = path
        self.target = target
        self.run_id = uuid.uuid4().hex
        self._lock_file: TextIO | None = None
        self._out: TextIO | None = None

    def __enter__(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _acquire_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        # Held for the run; owner-only like every file of the state directory.
        handle = os.fdopen(
            os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+", encoding="utf-8"
        )
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LockHeld(
                f"another apply is running on this state: {holder} holds {lock_path}",
                hint="wait for it to finish; two applies on one state would race",
            ) from None
        handle.seek(0)
        handle.truncate()
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n")
        handle.flush()
        self._lock_file = handle

    def carried(self) -> Carried:
        """Keys sent by runs against this target that never finished (killed, crashed)."""
        carried = Carried()
        if not self.path.exists():
            return carried
        runs: dict[str, dict[KeyText, int | None]] = {}
        sent_at: dict[KeyText, float] = {}
        for entry in _entries(self.path):
            if entry.get("target") != self.target:
                continue
            run = entry.get("run", "")
            kind = entry.get("kind")
            if kind == "start":
                runs[run] = {}
            elif kind == "end":
                runs.clear()  # everything before a finished run is settled history
            elif kind in ("sent", "done") and run in runs:
                key = entry["key"]
                if kind == "sent":
                    runs[run].setdefault(key, None)
                    sent_at[key] = max(sent_at.get(key, 0.0), entry.get("at") or 0.0)
                elif entry.get("outcome") in ("created", "updated"):
                    runs[run][key] = entry.get("event_id")
        for sent in runs.values():
            for key, event_id in sent.items():
                if carried.sent.get(key) is None:
                    carried.sent[key] = event_id
        carried.sent_at = {k: sent_at[k] for k, v in carried.sent.items() if v is None}
        return carried

    def _write(self, entry: dict[str, Any]) -> None:
        if self._out is None:
            self._out = open_private(self.path, append=True)
            if _ends_mid_line(self.path):
                self._out.write("\n")  # a line cut short must not swallow this run's first
        entry["run"] = self.run_id
        entry["target"] = self.target
        self._out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._out.flush()

    def start(self) -> None:
        self._write({"kind": "start", "at": time.time(), "pid": os.getpid()})

    def sent(self, index: int, key: KeyText) -> None:
        self._write({"kind": "sent", "index": index, "key": key, "at": time.time()})

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

    def end(self) -> None:
        self._write({"kind": "end", "at": time.time()})


def _ends_mid_line(path: Path) -> bool:
    with open(path, "rb") as handle:
        if handle.seek(0, os.SEEK_END) == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill: the run it belongs to did not finish
            if isinstance(entry, dict):
                yield entry
