"""Double bookings: one pass over the whole load, once every event is rendered.

A customer booked twice an hour apart is often booked in two files (this week's export and
last week's), so the comparison runs over the load, not per manifest. Each event's own
manifest says whether its bookings count (``double_booking``, its window) and how serious
one is (``checks:``); the rule itself is :mod:`acdload.check.rules.double_booking`.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from datetime import tzinfo
from typing import Any

from acdload.check.rules.appointments import local_zone
from acdload.check.rules.double_booking import RULE, Booking, double_bookings
from acdload.manifest.model import Event
from acdload.problems import Location, Problem, Severity


def double_booked(
    events: Sequence[Event],
    payloads: Sequence[Mapping[str, Any]],
    skipped: Container[int],
    duplicates: Container[int],
) -> list[Problem]:
    """A ``double-booked`` problem at each event booked too close to the same customer's
    previous one. ``skipped``: positions not rendered; ``duplicates``: positions that
    repeat an earlier event's key (a ``duplicate-key`` error already, not counted again)."""
    bookings: list[Booking[Location]] = []
    severities: dict[int, Severity] = {}  # id of a booking -> its manifest's severity
    zones: dict[int, tzinfo] = {}  # id of a manifest -> its zone
    for position, (event, payload) in enumerate(zip(events, payloads, strict=True)):
        manifest = event.manifest
        rules = manifest.callability
        if rules is None or rules.double_booking is None or position in skipped:
            continue
        tz = zones.get(id(manifest))
        if tz is None:
            tz = zones[id(manifest)] = manifest.timezone or local_zone()
        booking = rules.booking(payload, tz, event.location, position in duplicates)
        if booking is not None:
            bookings.append(booking)
            severities[id(booking)] = rules.severities[RULE] or Severity.WARNING
    return [
        Problem(found.later.location, severities[id(found.later)], RULE, found.message)
        for found in double_bookings(bookings)
    ]
