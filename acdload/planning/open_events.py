"""Already open on the server: a create for a customer who already waits in an open event.

A customer who asked for a callback last week, still open in an agent's queue, would be
called twice if this load books another. Plan and apply note, per create, the server's open
events of the same type for the same Sender (rule ``already-open``, a warning by default;
``checks:`` changes it, ``--strict`` makes it an error).

Only creates are noted: an event that already exists is not sent again, so there is nothing
to warn about. The server events this load's own events matched (its ``exists`` and
``drift``) are never counted against another of its events: two callbacks of one load for
one customer are the ``double-booked`` rule's question, judged before anything is fetched.

Which statuses are open: jtel documents no ``AcdEventStatusID`` values. A fresh event has
1 (the seed's create answer); the seed's list shows 20 on an event of two months before.
The emulator, and its duplicate merging (modelled on jtel's), treat 1 as the only open
status. An old event that is still open would be the exception, and a false warning on
every old customer would teach people to switch the rule off, so 1 alone counts as open
(``OPEN_STATUSES``): a customer is warned about only while an event of theirs is new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from acdload.check.rules.callability import shown_customer
from acdload.check.rules.severities import severity_in
from acdload.errors import AcdloadError
from acdload.manifest.model import PHONE_TYPES
from acdload.problems import Problem, Severity

if TYPE_CHECKING:
    from acdload.manifest.model import Event

RULE = "already-open"
OPEN_STATUSES = frozenset({1})
"""The ``AcdEventStatusID`` values of an open event (see the module's docstring)."""
SHOWN_IDS = 5
"""Open events named in a message; the plan's JSON lists them all."""

Customer = tuple[int, str]  # (event type, Sender)
_SEPARATORS = str.maketrans("", "", "+ -/().")


class Noted(Protocol):
    """A planned action, as far as this rule reads and notes it."""

    already_open: list[int]

    @property
    def index(self) -> int: ...
    @property
    def key(self) -> dict[str, Any]: ...
    @property
    def action(self) -> str: ...
    @property
    def event_id(self) -> int | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...


def customer(event_type: object, sender: object) -> Customer | None:
    """Who an event is for: its type and Sender, a number as its digits (the server may
    hold ``+49 170 1234567`` where acdload sends ``491701234567``); None when a server
    record's values are no type and Sender at all."""
    if isinstance(event_type, str) and event_type.strip().isdigit():
        event_type = int(event_type)
    if type(event_type) is not int or not isinstance(sender, str):
        return None
    if event_type in PHONE_TYPES:
        digits = sender.translate(_SEPARATORS)
        sender = digits[2:] if digits.startswith("00") else digits
    return event_type, sender


class OpenEvents:
    """The server's open events by customer, gathered while the list is read for the plan."""

    def __init__(self) -> None:
        self.by_customer: dict[Customer, list[int]] = {}

    def add(self, record: Mapping[str, Any]) -> None:
        """Note ``record`` when it is open: called for every record the list streams by
        (:meth:`acdload.planning.records.RecordIndex.add`), whatever its key."""
        status = record.get("AcdEventStatusID")
        # type() rather than isinstance: True and 1.0 are no status IDs.
        if type(status) is int and status in OPEN_STATUSES:
            event_id = record.get("ID")
            if type(event_id) is int:
                who = customer(record.get("AcdEventTypesID"), record.get("Sender"))
                if who is not None:
                    self.by_customer.setdefault(who, []).append(event_id)

    def note(self, actions: Sequence[Noted], events: Sequence[Event]) -> None:
        """Set ``already_open`` on each create (of a manifest where the rule is on) whose
        customer has open events on the server that are none of this load's."""
        if not self.by_customer:
            return
        ours = {action.event_id for action in actions if action.event_id is not None}
        for action in actions:
            if action.action != "create":
                continue
            if severity_in(events[action.index].manifest.checks, RULE) is None:
                continue
            payload = action.payload
            who = customer(payload.get("AcdEventTypesID"), payload.get("Sender"))
            found = self.by_customer.get(who) if who is not None else None
            if found:
                action.already_open = sorted(set(found) - ours)


class AlreadyOpenError(AcdloadError):
    """An ``already-open`` problem of error severity (``checks:`` or strict): apply sends
    nothing (exit 1). ``problems`` are all of the plan's, to show with their file:line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "an already-open problem is an error here: nothing was sent",
            hint="check the customers' open events on the server first, or make the rule "
            "a warning (checks: {already-open: warning}, without --strict)",
        )
        self.problems = problems


def forget_own(actions: Iterable[Noted], own: Callable[[Noted], int | None]) -> None:
    """Take out of each create's notes the event ``own`` says is that create's own: for
    apply, the event an earlier run saw it merged into (``UPDATED``), which the plan,
    reading no journal, cannot tell from another's."""
    for action in actions:
        if action.already_open:
            mine = own(action)
            if mine is not None:
                action.already_open = [
                    event_id for event_id in action.already_open if event_id != mine
                ]


def already_open_problems(
    actions: Iterable[Noted], events: Sequence[Event], strict: bool = False
) -> list[Problem]:
    """An ``already-open`` problem at each noted event, at its manifest's severity
    (``strict``: an error)."""
    problems = []
    for action in actions:
        if not action.already_open:
            continue
        event = events[action.index]
        severity = severity_in(event.manifest.checks, RULE) or Severity.WARNING
        if strict:
            severity = Severity.ERROR
        problems.append(Problem(event.location, severity, RULE, _message(action)))
    return problems


def _message(action: Noted) -> str:
    ids = action.already_open
    shown = ", ".join(str(event_id) for event_id in ids[:SHOWN_IDS])
    more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
    count = "an open event" if len(ids) == 1 else f"{len(ids)} open events"
    kind = action.payload.get("AcdEventTypesID")
    return (
        f"{shown_customer(action.payload.get('Sender'))} already has {count} of type {kind} "
        f"on the server (event {shown}{more}); this create adds another, so the customer "
        "may be called twice: check the open one first, or set `already-open: off` under checks"
    )
