"""Server records as plan reads them: the fields it compares, keys, and the index.

A server record carries more than plan needs (agents, statuses, timestamps, comments);
plan reads its key fields, its ID, and the compared fields. :class:`RecordIndex` keeps
just those, for just the keys of the load, while the list streams by
(:mod:`acdload.target.event_list`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acdload.planning.event_data import body_of
from acdload.planning.open_events import OpenEvents

if TYPE_CHECKING:
    from acdload.check.pipeline import Prepared
    from acdload.planning.matching import Action
    from acdload.target.client import JtelClient
    from acdload.target.event_list import ListProgress

COMPARED_FIELDS = (
    "Subject",
    "Sender",
    "Receiver",
    "CrmURL",
    "UserData",
    "UsersID",
    "AcdGroupsID",
    "AcdEventTypesID",
    "Body",
)
"""The payload fields a server record echoes back; only these can drift.

nPriority, the appointment (dtAppointmentDate/Time) and the configuration-group pair
(AcdConfigurationGroupsID, AcdAgentGroupsID) are sent but never returned, so the plan
cannot tell whether the server holds what the manifest says: they never drift.
"""

RECORD_FIELDS = COMPARED_FIELDS[:-1]  # every compared field but Body: read directly
INTEGER_FIELDS = frozenset({"AcdEventTypesID", "AcdGroupsID", "UsersID"})

Record = Mapping[str, Any]


def comparable(record: Record) -> dict[str, Any]:
    """The compared fields a server record carries, as the server gave them.

    Body comes out of ``EventData``. A field the record does not carry at all (or a Body
    that cannot be found in an odd or missing ``EventData``) is left out, and so is never
    reported as drift: the plan cannot know its value.
    """
    fields = {name: record[name] for name in RECORD_FIELDS if name in record}
    body = body_of(record.get("EventData"))
    if body is not None:
        fields["Body"] = body
    return fields


def _normal_integer(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _normal_text(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def normal(name: str, value: Any) -> Any:
    """A value as compared: absent, null and "" are one; 235 and "235" are one."""
    if name in INTEGER_FIELDS:
        return _normal_integer(value)
    return _normal_text(value)


def key_function(key_fields: Iterable[str]) -> Callable[[Record], tuple[Any, ...]]:
    """A function from a payload or a server record to its key tuple, normalised.

    Values already in their compared form (an int for an ID field, a non-empty string
    otherwise: nearly all of them) are taken as they are; only the rest are normalised.
    """
    names = tuple(key_fields)
    canonical = tuple(int if name in INTEGER_FIELDS else str for name in names)

    def key_of(item: Record) -> tuple[Any, ...]:
        values = tuple(map(item.get, names))
        if tuple(map(type, values)) == canonical and "" not in values:
            return values
        return tuple([normal(name, value) for name, value in zip(names, values, strict=True)])

    return key_of


def _record_id(record: Record) -> float:
    value = record.get("ID")
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else float("inf")


_DIGEST_MODULUS = 2**256


@dataclass(slots=True)
class RecordIndex:
    """Server records by key, built one record at a time while the list streams by.

    When several records share a key, the oldest (lowest ID) wins. Only the keys in
    ``wanted`` are kept (None: every key). Plan passes the keys of its load, so that of a
    million server events it keeps the few the load can match and counts the rest: memory
    follows the load, not the account's history. ``fields`` tells the list reader what to
    keep of each record (:class:`acdload.target.event_list.RecordSink`). ``ids`` are the
    IDs of the records of wanted keys, and those of ``wanted_ids`` that were listed.
    ``opened`` notes every open record, of any key: an open event of another key is
    what the ``already-open`` rule looks for (:mod:`acdload.planning.open_events`).
    """

    key_fields: tuple[str, ...]
    wanted: frozenset[tuple[Any, ...]] | None = None
    wanted_ids: frozenset[int] = frozenset()
    by_key: dict[tuple[Any, ...], Record] = field(default_factory=dict)
    ids: set[int] = field(default_factory=set)
    shared: int = 0  # records of a wanted key hidden behind an older one with the same key
    count: int = 0  # every record listed
    highest_id: int = 0  # of every record listed: where apply's look-ups start probing
    opened: OpenEvents = field(default_factory=OpenEvents)
    key_of: Callable[[Record], tuple[Any, ...]] = field(init=False)
    fields: frozenset[str] = field(init=False)
    _digest: int = 0

    def __post_init__(self) -> None:
        self.key_of = key_function(self.key_fields)
        self.fields = frozenset(
            {"ID", "EventData", "AcdEventStatusID", *RECORD_FIELDS, *self.key_fields}
        )

    @classmethod
    def build(cls, records: Iterable[Record], key_fields: Iterable[str]) -> RecordIndex:
        """Every record of ``records``, by key."""
        index = cls(tuple(key_fields))
        for record in records:
            index.add(record)
        return index

    @classmethod
    def of_load(
        cls, prepared: Prepared, records: Iterable[Record] = (), planned: Iterable[Action] = ()
    ) -> RecordIndex:
        """The index for planning ``prepared``: its key fields, its keys wanted, and
        those of a saved plan's ``planned`` actions and their event IDs (to check it)."""
        key_fields = load_key(prepared)
        key_of = key_function(key_fields)
        wanted = set(map(key_of, prepared.payloads))
        ids: set[int] = set()
        for action in planned:
            with contextlib.suppress(TypeError):  # a value a plan file may hold, no key has
                wanted.add(key_of(action.payload))
            if action.event_id is not None:
                ids.add(action.event_id)
        index = cls(key_fields, frozenset(wanted), frozenset(ids))
        for record in records:
            index.add(record)
        return index

    def add(self, record: Record) -> None:
        """Index one record (or only count it, when its key is not wanted)."""
        self.count += 1
        key = self.key_of(record)
        ident = record.get("ID")
        if type(ident) is int and ident > self.highest_id:
            self.highest_id = ident
        self.opened.add(record)  # before the filter: an open event of any key counts
        try:
            if self.wanted is not None and key not in self.wanted:
                if ident in self.wanted_ids:
                    self.ids.add(ident)
                return
            held = self.by_key.setdefault(key, record)
        except TypeError:  # a key field holding an object or a list: no payload has that key
            return
        if type(ident) is int:
            self.ids.add(ident)
        row = json.dumps([ident, *key], ensure_ascii=False, separators=(",", ":"), default=str)
        digest = int.from_bytes(hashlib.sha256(row.encode()).digest(), "big")
        self._digest = (self._digest + digest) % _DIGEST_MODULUS
        if held is not record:
            self.shared += 1
            if _record_id(record) < _record_id(held):
                self.by_key[key] = record

    def match(self, payload: Record) -> Record | None:
        return self.by_key.get(self.key_of(payload))

    @property
    def fingerprint(self) -> str:
        """sha256 over the (ID, key) of every record of a wanted key, whatever their order.

        Each record's digest is summed (modulo 2**256), so the fingerprint is made as the
        list streams by, with nothing kept. Only what matching depends on goes in: a
        record's comments, status or timestamps change as agents work, and events of other
        keys come and go; neither must make a saved plan stale.
        """
        indexed = len(self.by_key) + self.shared
        return hashlib.sha256(f"{indexed}:{self._digest:064x}".encode()).hexdigest()


def load_key(prepared: Prepared) -> tuple[str, ...]:
    """The key fields of a load (one key for the whole load; none when it is empty)."""
    events = prepared.load.events
    return tuple(events[0].manifest.key) if events else ()


def index_of(
    prepared: Prepared,
    records: RecordIndex | Iterable[Record] | None,
    planned: Iterable[Action] = (),
) -> RecordIndex | None:
    """``records`` as the index for planning ``prepared`` (None stays None: offline)."""
    if records is None or isinstance(records, RecordIndex):
        return records
    return RecordIndex.of_load(prepared, records, planned)


def read_server(
    client: JtelClient,
    prepared: Prepared,
    progress: ListProgress | None = None,
    planned: Sequence[Action] = (),
) -> RecordIndex:
    """The server's events as planning ``prepared`` needs them (and checking the saved
    plan whose actions are ``planned``): one streamed read of the list."""
    return client.list_events(lambda: RecordIndex.of_load(prepared, (), planned), progress)
