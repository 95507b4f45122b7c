"""Finding a create's event on the server by its key, cheaply.

The API has no filter: the only way to prove an event is *absent* is to read the whole
list, which grows with the account's history (300k events: seconds and hundreds of MB).
But most unanswered creates were stored (the answer was lost, not the request), and the
server hands out IDs in ascending order, so a stored event sits just above the highest ID
this run had seen when it sent the create. Probing ``GET /acd/events/event/{id}`` upward
from there finds it in a request or two; every hit is checked against the key, so a hit is
conclusive. Only a miss falls back to the list, and one list read answers every look-up
waiting at that moment (with ``--parallel``, several may be).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from acdload.errors import TargetError
from acdload.planning.matching import key_function
from acdload.target.answers import Record
from acdload.target.event_list import ListProgress, RecordSink

Sink = TypeVar("Sink", bound=RecordSink)

PROBE_REQUESTS = 16
"""Probes of one look-up at most (plus two per create that may be in flight with it)."""


class ReadApi(Protocol):
    """What a look-up reads through ``target.client.JtelClient`` (or the unit tests' fake)."""

    def list_events(
        self, start: Callable[[], Sink], progress: ListProgress | None = None
    ) -> Sink: ...
    def get_event(self, event_id: int) -> Record | None: ...


class Lookup:
    """Finds events by key, shared by every create of a run (thread-safe).

    Keys are compared exactly as plan compares them (``matching.key_function``), so whether
    an unanswered create "is there" is decided by the same rule that planned it; in the
    list, the oldest event wins, as in plan. ``in_flight``: how many creates may be in
    flight at once (``--parallel``): as many IDs above a probe's start may be theirs, and
    as many may be handed out but not committed yet (a gap that is not the end).
    """

    def __init__(self, key_fields: tuple[str, ...], in_flight: int = 1) -> None:
        self._key_fields = key_fields
        self._key_of = key_function(key_fields)
        self._misses = in_flight + 1
        self._requests = PROBE_REQUESTS + 2 * in_flight
        self._state = threading.Lock()
        self._reading = threading.Lock()
        self._highest = 0
        self._probing = True
        """False once a probe failed: a server (or proxy) that does not answer
        ``GET .../event/ID`` as documented is asked for its list only."""
        self._waiting: dict[tuple[Any, ...], int] = {}
        """Key -> the number under which it asked for a list read."""
        self._asked = 0
        self._covered = 0
        """Every list read asked for up to this number has been made."""
        self._listed: dict[tuple[Any, ...], int | None] = {}

    @property
    def highest(self) -> int:
        """The highest event ID this run has seen so far."""
        return self._highest

    def see(self, event_id: int) -> None:
        with self._state:
            self._highest = max(self._highest, event_id)

    def find(
        self,
        client: ReadApi,
        key: dict[str, Any],
        *,
        since: int | None = None,
        skip: Callable[[int], bool] = lambda event_id: False,
    ) -> int | None:
        """The event of ``key``, or None. ``since``: the highest ID seen before its create
        was sent (probe above it first); ``skip``: IDs known to be other events."""
        wanted = self._key_of(key)
        if since and self._probing:  # nothing seen yet (0): IDs may be anywhere
            found = self._probe(client, wanted, since, skip)
            if found is not None:
                return found
        return self._from_list(client, wanted)

    def _probe(
        self,
        client: ReadApi,
        wanted: tuple[Any, ...],
        since: int,
        skip: Callable[[int], bool],
    ) -> int | None:
        """Up the IDs from ``since``: a record of ``wanted`` ends it, found; so do a few
        misses in a row (the end of the IDs handed out) or the request budget."""
        misses = requests = 0
        event_id = since
        while requests < self._requests and misses < self._misses:
            event_id += 1
            if skip(event_id):
                continue
            requests += 1
            try:
                record = client.get_event(event_id)
            except TargetError:
                self._probing = False  # the list, read next, says whether it is the server
                return None
            if record is None:
                misses += 1
                continue
            misses = 0
            self.see(event_id)
            if self._key_of(record) == wanted:
                return event_id
        return None

    def _from_list(self, client: ReadApi, wanted: tuple[Any, ...]) -> int | None:
        """Read the list, unless a read that started after this look-up asked has already
        answered it; one read answers every key waiting when it starts."""
        with self._state:
            self._asked += 1
            mine = self._asked
            self._waiting[wanted] = mine
        try:
            with self._reading:
                with self._state:
                    if self._covered >= mine:
                        return self._listed.pop(wanted, None)
                    keys, upto = set(self._waiting), self._asked
                found = self._read(client, keys)
                with self._state:
                    self._covered = upto
                    for pending in keys:
                        self._listed[pending] = found.get(pending)
                    return self._listed.pop(wanted, None)
        finally:
            with self._state:
                if self._waiting.get(wanted) == mine:
                    del self._waiting[wanted]

    def _read(self, client: ReadApi, keys: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
        listed = client.list_events(lambda: _KeySink(self._key_fields, self._key_of, keys))
        self.see(listed.highest)
        return listed.found


class _KeySink:
    """What a look-up keeps of the streamed list: the oldest ID of each key it waits for,
    and the highest ID of all (where the next probe starts)."""

    def __init__(
        self,
        key_fields: tuple[str, ...],
        key_of: Callable[[Record], tuple[Any, ...]],
        keys: set[tuple[Any, ...]],
    ) -> None:
        self.fields = frozenset({"ID", *key_fields})
        self._key_of = key_of
        self._keys = keys
        self.found: dict[tuple[Any, ...], int] = {}
        self.highest = 0

    def add(self, record: Record) -> None:
        event_id = record.get("ID")
        if type(event_id) is not int:
            return  # the client refuses such a list; a fake may hand one over
        self.highest = max(self.highest, event_id)
        key = self._key_of(record)
        if key in self._keys and event_id < self.found.get(key, event_id + 1):
            self.found[key] = event_id
