"""SQLite storage of events: one row per event, its full record kept as JSON.

One connection behind one lock: every create (insert, fill in the record, commit) runs
as a single transaction while holding it, so a reader never sees a half-written event
and IDs are handed out in order. The list is read in batches, the lock taken per batch,
so a list of a million events never holds creates up (see :meth:`EventStore.record_batches`).
WAL keeps a file database safe when the process is killed; ``synchronous=NORMAL`` is
enough for that (only a power cut could lose the last commits) and keeps creates fast.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["DuplicateKey", "EventStore", "SeedRow", "StoreError", "StoredEvent"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: an ID is never handed out twice
    client_id INTEGER NOT NULL,
    type_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    sender TEXT NOT NULL,
    user_data TEXT,
    status_id INTEGER NOT NULL,
    request TEXT NOT NULL,  -- the create body as received, for tests of what a client sent
    record TEXT NOT NULL    -- the AcdEvent exactly as the API returns it
);
CREATE INDEX IF NOT EXISTS events_duplicates
    ON events (client_id, group_id, type_id, sender, status_id);
"""

Record = dict[str, Any]

# Rows per batch of a list read: about 280 KB of records, so one batch costs a few
# milliseconds of the lock and a few hundred KB of memory, whatever the account's size.
LIST_BATCH_ROWS = 256


class StoreError(Exception):
    """The database file cannot be used."""


@dataclass(frozen=True)
class DuplicateKey:
    """What makes a create a duplicate of an open event (an assumption, see the docs).

    ``user_data`` ``None`` matches any UserData: only a given UserData narrows the match.
    """

    client_id: int
    event_type: int
    group_id: int
    sender: str
    user_data: str | None
    open_status: int


@dataclass(frozen=True)
class StoredEvent:
    """A committed event: its record, the same as JSON text, and whether it was updated."""

    record: Record
    record_json: str
    updated: bool


class SeedRow(NamedTuple):
    """One row of a seeded database: the columns of the ``events`` table, in order."""

    id: int
    client_id: int
    type_id: int
    group_id: int
    sender: str
    user_data: str | None
    status_id: int
    request: str
    record: str


class EventStore:
    """Thread-safe event storage in memory (``path`` ``None``) or in a file."""

    def __init__(self, path: Path | None) -> None:
        try:
            self._db = sqlite3.connect(
                ":memory:" if path is None else str(path),
                check_same_thread=False,
                isolation_level=None,  # transactions are explicit, see create()
            )
        except sqlite3.Error as err:
            raise StoreError(f"cannot open {path}: {err}") from err
        self._lock = threading.Lock()
        try:
            if path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as err:
            self._db.close()
            raise StoreError(f"cannot use {path} as the emulator's database: {err}") from err

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def create(
        self,
        key: DuplicateKey,
        request_json: str,
        build: Callable[[int], Record],
        on_duplicate: Callable[[Record], Record] | None,
    ) -> StoredEvent:
        """Store a new event built by ``build(id)``, or update a duplicate.

        With ``on_duplicate`` given, an open event matching ``key`` is passed to it and the
        record it returns replaces the stored one instead. Both callbacks run inside the
        transaction, so timestamps they take follow the order of IDs.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                stored = self._create(key, request_json, build, on_duplicate)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return stored

    def _create(
        self,
        key: DuplicateKey,
        request_json: str,
        build: Callable[[int], Record],
        on_duplicate: Callable[[Record], Record] | None,
    ) -> StoredEvent:
        if on_duplicate is not None:
            row = self._db.execute(
                "SELECT id, record FROM events WHERE client_id = ? AND group_id = ?"
                " AND type_id = ? AND sender = ? AND status_id = ?"
                " AND (?6 IS NULL OR user_data = ?6) ORDER BY id LIMIT 1",
                (
                    key.client_id,
                    key.group_id,
                    key.event_type,
                    key.sender,
                    key.open_status,
                    key.user_data,
                ),
            ).fetchone()
            if row is not None:
                record = on_duplicate(json.loads(row[1]))
                return self._save(row[0], record, updated=True)
        cursor = self._db.execute(
            "INSERT INTO events (client_id, type_id, group_id, sender, user_data, status_id,"
            " request, record) VALUES (?, ?, ?, ?, ?, ?, ?, '')",
            (
                key.client_id,
                key.event_type,
                key.group_id,
                key.sender,
                key.user_data,
                key.open_status,
                request_json,
            ),
        )
        event_id = cursor.lastrowid
        assert event_id is not None  # an INSERT always sets it
        return self._save(event_id, build(event_id), updated=False)

    def _save(self, event_id: int, record: Record, *, updated: bool) -> StoredEvent:
        text = json.dumps(record)
        self._db.execute(
            "UPDATE events SET record = ?, status_id = ? WHERE id = ?",
            (text, record["AcdEventStatusID"], event_id),
        )
        return StoredEvent(record=record, record_json=text, updated=updated)

    def record_batches(self, client_id: int) -> Iterator[list[str]]:
        """The account's records as JSON text, oldest first, a batch at a time.

        Each batch is read under the lock and the lock is released before it is handed
        on, so creates go on while a slow client reads a long list, and memory stays
        that of one batch. The list holds the events that existed when it was asked for
        (IDs up to the highest one then; that is read at once, so a broken database
        fails here, before any answer is sent): an event created meanwhile is left for
        the next list, as a snapshot would; each row is as committed when its batch was read.
        """
        with self._lock:
            (last,) = self._db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
        return self._batches(client_id, int(last))

    def _batches(self, client_id: int, last: int) -> Iterator[list[str]]:
        after = 0
        while after < last:
            with self._lock:
                # "+client_id" keeps SQLite off the duplicates index: through it, every
                # batch would sort all of the account's rows; by ID it reads just the batch.
                rows = self._db.execute(
                    "SELECT id, record FROM events WHERE id > ? AND id <= ? AND +client_id = ?"
                    " ORDER BY id LIMIT ?",
                    (after, last, client_id, LIST_BATCH_ROWS),
                ).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield [row[1] for row in rows]

    def record_json(self, client_id: int, event_id: int) -> str | None:
        """One record as JSON text, or ``None`` when the account has no such event."""
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM events WHERE client_id = ? AND id = ?", (client_id, event_id)
            ).fetchone()
        return None if row is None else str(row[0])

    def seed(self, rows: Iterable[SeedRow]) -> int:
        """Insert ``rows`` (IDs from 1) in one transaction into an empty database; their count.

        For benchmarks that need a large account at once (see :mod:`acdload.emulator.seeding`).
        Raises :class:`StoreError` when the database already holds events: seeded events
        are dated in the past and numbered from 1, so they cannot be appended.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (held,) = self._db.execute("SELECT count(*) FROM events").fetchone()
                if held:
                    raise StoreError(f"it already holds {held} events; seed a new file")
                cursor = self._db.executemany(
                    "INSERT INTO events (id, client_id, type_id, group_id, sender, user_data,"
                    " status_id, request, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException as err:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(err, sqlite3.Error):  # a full disk, a read-only file
                    raise StoreError(str(err)) from err
                raise
            return cursor.rowcount
