"""Plan: what apply would do, event by event, decided from one read of the server.

The jtel API creates events and nothing else (no update, no delete), so each event of the
load gets one of four actions, matched by the manifest's ``key``:

- ``create``: no server event has its key; apply will POST it.
- ``expired``: no server event has its key, but its appointment has passed
  (``planning.expiry``); apply does not send it.
- ``exists``: an event with its key exists and every compared field is equal.
- ``drift``: an event with its key exists but a compared field differs; the API cannot
  change it, so apply does nothing and the plan shows the difference.

A create also notes the server's open events of its customer (``planning.open_events``).
Only fields the server's records carry can be compared (see ``COMPARED_FIELDS``). When
several server events share one key, the oldest (lowest ID) is the match: it is the one
that was there first, and later copies are most likely duplicates of it.

Matching is a dictionary lookup per event, so the plan is linear in the size of the load
plus the size of the server's list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from acdload.gc_pause import collector_paused
from acdload.planning.expiry import Expiry, zone_of
from acdload.planning.open_events import OpenEvents

if TYPE_CHECKING:
    from acdload.check.pipeline import Prepared

ActionName = Literal["create", "exists", "drift", "expired"]
ACTIONS: tuple[ActionName, ...] = ("create", "exists", "drift", "expired")

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

_RECORD_FIELDS = COMPARED_FIELDS[:-1]  # every compared field but Body: read directly
INTEGER_FIELDS = frozenset({"AcdEventTypesID", "AcdGroupsID", "UsersID"})

Record = Mapping[str, Any]


# -- server records --------------------------------------------------------------------

_BODY = re.compile(r"<body\b[^>]*?(?:/>|>(.*?)</body\s*>)", re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_NUMERIC = re.compile(r"&#(?:([0-9]+)|[xX]([0-9a-fA-F]+));")


def _numeric(match: re.Match[str]) -> str:
    decimal, hexadecimal = match.groups()
    try:
        return chr(int(decimal) if decimal is not None else int(hexadecimal, 16))
    except (ValueError, OverflowError):
        return match.group(0)


def _xml_unescape(text: str) -> str:
    if "<![CDATA[" in text:
        parts = _CDATA.split(text)  # even indexes: escaped text; odd: CDATA contents
        return "".join(p if i % 2 else _xml_unescape(p) for i, p in enumerate(parts))
    if "&" not in text:
        return text
    if "&#" in text:
        text = _NUMERIC.sub(_numeric, text)
    # "&amp;" last, so that "&amp;lt;" becomes "&lt;" and not "<".
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    return text.replace("&apos;", "'").replace("&amp;", "&")


def body_of(event_data: object) -> str | None:
    """The Body text inside a record's ``EventData`` XML, or None when it cannot be found.

    String search, not an XML parser: an XML parser normalises line ends, turning the
    ``\\r\\n`` the seed's example Body is written with into ``\\n``, and every such event
    would look drifted. It is also a fraction of the cost of a parse, paid per record.
    """
    if not isinstance(event_data, str):
        return None
    start = event_data.find("<body")
    if start < 0:
        return None
    opened = event_data.find(">", start)
    if opened < 0 or event_data[start + 5] not in " \t\r\n>/":
        return _body_by_pattern(event_data)
    if event_data[opened - 1] == "/":
        return ""  # <body html="true"/>
    end = event_data.find("</body>", opened)
    if end < 0:
        return _body_by_pattern(event_data)
    return _xml_unescape(event_data[opened + 1 : end])


def _body_by_pattern(event_data: str) -> str | None:
    """The slow path for unusual markup (``<bodyx>`` before the body, ``</body >``)."""
    match = _BODY.search(event_data)
    if match is None:
        return None
    return _xml_unescape(match.group(1) or "")


def comparable(record: Record) -> dict[str, Any]:
    """The compared fields a server record carries, as the server gave them.

    Body comes out of ``EventData``. A field the record does not carry at all (or a Body
    that cannot be found in an odd or missing ``EventData``) is left out, and so is never
    reported as drift: the plan cannot know its value.
    """
    fields = {name: record[name] for name in _RECORD_FIELDS if name in record}
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


@dataclass(slots=True)
class RecordIndex:
    """Server records by key; when several share a key, the oldest (lowest ID) wins."""

    key_fields: tuple[str, ...]
    key_of: Callable[[Record], tuple[Any, ...]]
    by_key: dict[tuple[Any, ...], Record] = field(default_factory=dict)
    shared: int = 0  # records hidden behind an older one with the same key

    @classmethod
    def build(cls, records: Iterable[Record], key_fields: Iterable[str]) -> RecordIndex:
        fields = tuple(key_fields)
        index = cls(fields, key_function(fields))
        key_of = index.key_of
        by_key = index.by_key
        for record in records:
            key = key_of(record)
            held = by_key.setdefault(key, record)
            if held is not record:
                index.shared += 1
                if _record_id(record) < _record_id(held):
                    by_key[key] = record
        return index

    def match(self, payload: Record) -> Record | None:
        return self.by_key.get(self.key_of(payload))


# -- the plan --------------------------------------------------------------------------


@dataclass(slots=True)
class Action:
    """What apply does with one event of the load, and why.

    Not frozen: a frozen dataclass costs twice as much to create, and a plan makes one
    per event. Nothing changes an action after ``build_plan``.
    """

    index: int  # 0-based position in the load
    file: str
    line: int
    key: dict[str, Any]  # key field -> manifest value
    action: ActionName
    event_id: int | None  # the matched server event (None for create)
    changes: dict[str, list[Any]]  # field -> [server, manifest]; only for drift
    payload: dict[str, Any]
    already_open: list[int] = field(default_factory=list)  # see planning.open_events

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "action": self.action,
            "event_id": self.event_id,
            "changes": self.changes,
            "payload": self.payload,
            "already_open": self.already_open,
        }


@dataclass(slots=True)
class Plan:
    """One action per event, in submission order, against one target.

    ``target`` is the target's label (a base URL, ``emulator:DIR``), None when offline.
    ``offline`` means the server was not read, so every event is a create.
    """

    target: str | None
    key_fields: tuple[str, ...]
    actions: list[Action]
    offline: bool = False
    shared_keys: int = 0  # server events not matched because an older one has their key

    @property
    def summary(self) -> dict[str, int]:
        return summary_of(self.actions)

    @property
    def pending(self) -> bool:
        """Creates to send (drift alone is not pending: apply cannot change it)."""
        return any(a.action == "create" for a in self.actions)

    def of(self, *names: ActionName) -> list[Action]:
        return [a for a in self.actions if a.action in names]


def summary_of(actions: Iterable[Action]) -> dict[str, int]:
    """Events per action, and the creates whose customer has open events on the server."""
    counts: dict[str, int] = dict.fromkeys(ACTIONS, 0)
    noted = 0
    for action in actions:
        counts[action.action] += 1
        noted += bool(action.already_open)
    return counts | {"already_open": noted}


def differences(record: Record, payload: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Each compared field where ``record`` and ``payload`` differ: ``[server, manifest]``.

    AcdGroupsID is not compared for an event sent to a configuration group: the server
    resolves the pair to an agent group that the manifest does not name.
    """
    changes: dict[str, list[Any]] = {}
    # Nearly every field of nearly every matched event is equal: one tuple comparison
    # (done in C) settles them all before any field is looked at on its own.
    if tuple(map(record.get, _RECORD_FIELDS)) != tuple(map(payload.get, _RECORD_FIELDS)):
        by_pair = (
            payload.get("AcdConfigurationGroupsID") is not None
            or payload.get("AcdAgentGroupsID") is not None
        )
        for name in _RECORD_FIELDS:
            if name not in record or (by_pair and name == "AcdGroupsID"):
                continue
            value, mine = record[name], payload.get(name)
            if value != mine and normal(name, value) != normal(name, mine):
                changes[name] = [value, mine]
    body = body_of(record.get("EventData"))
    if body is not None:
        mine = payload.get("Body")
        if body != mine and normal("Body", body) != normal("Body", mine):
            changes["Body"] = [body, mine]
    return changes


def build_plan(
    prepared: Prepared,
    records: Iterable[Record] | None,
    target_label: str | None,
    *,
    expiry: Expiry | None = None,
) -> Plan:
    """The plan for a valid, rendered load against the server's records.

    ``records`` None means offline: nothing is known about the server, so every event is
    a create. The caller makes sure the load has no errors (its keys are unique). A create
    whose appointment ``expiry`` finds passed is ``expired`` (None, ``--allow-past``: none).
    """
    with collector_paused():
        return _build_plan(prepared, records, target_label, expiry)


def _build_plan(
    prepared: Prepared,
    records: Iterable[Record] | None,
    target_label: str | None,
    expiry: Expiry | None,
) -> Plan:
    events = prepared.load.events
    key_fields = tuple(events[0].manifest.key) if events else ()
    opened = OpenEvents()
    index = RecordIndex.build(opened.tap(records), key_fields) if records is not None else None
    key_of = key_function(key_fields)
    by_key = index.by_key if index is not None else {}
    actions: list[Action] = []
    append = actions.append  # the loop runs once per event: 100,000 times and more
    for event, payload in zip(events, prepared.payloads, strict=True):
        record = by_key.get(key_of(payload)) if by_key else None
        key = {name: payload.get(name) for name in key_fields}
        if record is None:
            gone = expiry is not None and expiry.expired(payload, zone_of(event)) is not None
            action_name: ActionName = "expired" if gone else "create"
            append(Action(event.index, event.file, event.line, key, action_name, None, {}, payload))
            continue
        changes = differences(record, payload)
        action: ActionName = "drift" if changes else "exists"
        append(
            Action(
                event.index, event.file, event.line, key, action, record.get("ID"), changes, payload
            )
        )
    opened.note(actions, events)
    return Plan(
        target=target_label,
        key_fields=key_fields,
        actions=actions,
        offline=records is None,
        shared_keys=index.shared if index is not None else 0,
    )
