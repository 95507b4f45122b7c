"""Double bookings: one customer booked twice, an hour apart, in the same load.

Two events with the same normalised Sender and event type whose appointments are closer
than the manifest's ``double_booking`` duration are reported at the later one, naming the
earlier one's location (another file of the load, often). Events without an appointment
are not compared, and an event that repeats another's key is not counted again: it is
already a ``duplicate-key`` error.

Bookings are grouped per customer and sorted by appointment, so each is compared with its
nearest earlier neighbour only: linear in the load but for the sort of each customer's few.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Generic, TypeVar

from acdload.check.rules.customer_clock import display_number
from acdload.check.rules.durations import HOW, describe, parse_duration
from acdload.check.rules.severities import KeyIssue, shown

RULE = "double-booked"
SYNTAX_RULE = "double-booking-syntax"

L = TypeVar("L")


@dataclass(slots=True)  # not frozen: a frozen dataclass costs a microsecond more per event
class Booking(Generic[L]):
    """One event of the load as the rule sees it; ``location`` is the caller's, opaque
    (its ``str()`` is shown in messages: a ``Location`` reads ``events.yaml:12``)."""

    sender: str
    event_type: int
    moment: datetime | None  # time-zone aware; None: no appointment
    location: L
    within: timedelta | None  # this event's manifest's double_booking; None: not checked
    duplicate_key: bool = False  # repeats an earlier event's key (a duplicate-key error)


@dataclass(frozen=True, slots=True)
class DoubleBooking(Generic[L]):
    later: Booking[L]  # reported here
    earlier: Booking[L]
    message: str


def parse_double_booking(value: object) -> tuple[timedelta | None, list[KeyIssue]]:
    """The ``double_booking`` duration (as YAML gave it); never raises on user input."""
    if value is None:
        return None, []
    duration, why = parse_duration(value)
    if duration is None:
        return None, [
            KeyIssue(
                SYNTAX_RULE, f"double_booking is {shown(value)}: {why or HOW}", ("double_booking",)
            )
        ]
    return duration, []


def double_bookings(bookings: Iterable[Booking[L]]) -> list[DoubleBooking[L]]:
    """Every booking closer to the customer's previous one than its ``within``, in load order."""
    first: dict[tuple[str, int], tuple[int, Booking[L]]] = {}
    repeated: dict[tuple[str, int], list[tuple[int, Booking[L]]]] = {}
    for order, booking in enumerate(bookings):
        if booking.moment is None or booking.duplicate_key:
            continue
        customer = (booking.sender, booking.event_type)
        entry = (order, booking)
        earliest = first.setdefault(customer, entry)
        if earliest is not entry:  # most customers are booked once: no list for them
            repeated.setdefault(customer, [earliest]).append(entry)
    found: list[tuple[int, DoubleBooking[L]]] = []
    for entries in repeated.values():
        timed = sorted((_instant(booking), order, booking) for order, booking in entries)
        for (before, _, earlier), (after, order, later) in pairwise(timed):
            gap = timedelta(seconds=after - before)
            if later.within is not None and gap < later.within:
                message = _message(later, earlier, later.within, gap)
                found.append((order, DoubleBooking(later, earlier, message)))
    found.sort(key=lambda item: item[0])
    return [double for _, double in found]


def _instant(booking: Booking[L]) -> float:
    """Seconds since the epoch: aware datetimes of one zone subtract as wall clocks, which
    is an hour off across a change of daylight saving time."""
    return booking.moment.timestamp() if booking.moment is not None else 0.0


def _message(later: Booking[L], earlier: Booking[L], within: timedelta, gap: timedelta) -> str:
    when = "at the same time" if not gap else f"{describe(gap)} earlier"
    return (
        f"{display_number(later.sender)} is already booked {when} for event type "
        f"{earlier.event_type} (at {_moment(earlier.moment)}, {earlier.location}); this one at "
        f"{_moment(later.moment)} is within double_booking {describe(within)}: merge the "
        "two, or book them further apart"
    )


def _moment(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzinfo}" if moment is not None else "no time"
