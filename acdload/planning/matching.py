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
Only fields the server's records carry can be compared (see ``COMPARED_FIELDS`` in
:mod:`acdload.planning.records`, which also reads the server's records). When
several server events share one key, the oldest (lowest ID) is the match: it is the one
that was there first, and later copies are most likely duplicates of it.

Matching is a dictionary lookup per event, so the plan is linear in the size of the load
plus the size of the server's list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from acdload.gc_pause import collector_paused
from acdload.planning.event_data import body_of
from acdload.planning.expiry import Expiry, zone_of
from acdload.planning.records import (
    COMPARED_FIELDS,
    RECORD_FIELDS,
    Record,
    RecordIndex,
    comparable,
    index_of,
    key_function,
    load_key,
    normal,
)

if TYPE_CHECKING:
    from acdload.check.pipeline import Prepared

__all__ = [  # what is planned here, and the names of acdload.planning.records it uses
    "ACTIONS",
    "COMPARED_FIELDS",
    "Action",
    "ActionName",
    "Plan",
    "Record",
    "RecordIndex",
    "body_of",
    "build_plan",
    "comparable",
    "differences",
    "key_function",
]

ActionName = Literal["create", "exists", "drift", "expired"]
ACTIONS: tuple[ActionName, ...] = ("create", "exists", "drift", "expired")


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
    if tuple(map(record.get, RECORD_FIELDS)) != tuple(map(payload.get, RECORD_FIELDS)):
        by_pair = (
            payload.get("AcdConfigurationGroupsID") is not None
            or payload.get("AcdAgentGroupsID") is not None
        )
        for name in RECORD_FIELDS:
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
    records: RecordIndex | Iterable[Record] | None,
    target_label: str | None,
    *,
    expiry: Expiry | None = None,
) -> Plan:
    """The plan for a valid, rendered load against the server's records.

    ``records`` is what :func:`read_server` read (or the records themselves); None means
    offline: nothing is known about the server, so every event is a create. The caller
    makes sure the load has no errors (its keys are unique). A create whose appointment
    ``expiry`` finds passed is ``expired`` (None, ``--allow-past``: none).
    """
    with collector_paused():
        return _build_plan(prepared, records, target_label, expiry)


def _build_plan(
    prepared: Prepared,
    records: RecordIndex | Iterable[Record] | None,
    target_label: str | None,
    expiry: Expiry | None,
) -> Plan:
    events = prepared.load.events
    key_fields = load_key(prepared)
    index = index_of(prepared, records)
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
    if index is not None:
        index.opened.note(actions, events)
    return Plan(
        target=target_label,
        key_fields=key_fields,
        actions=actions,
        offline=records is None,
        shared_keys=index.shared if index is not None else 0,
    )
