"""Double bookings: one pass over the whole load, once every event is rendered.

A customer booked twice an hour apart is often booked in two files (this week's export and
last week's), so the comparison runs over the load, not per manifest. Each event's own
manifest says whether its bookings count (``double_booking``, its window) and how serious
one is (``checks:``); the rule itself is :mod:`acdload.check.rules.double_booking`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping, Sequence
from typing import Any

from acdload.check.rules.appointments import local_zone
from acdload.check.rules.double_booking import RULE, Booking, double_bookings
from acdload.gc_pause import collector_paused
from acdload.manifest.loading import Load
from acdload.manifest.model import Manifest
from acdload.problems import Location, Problem, Severity


def double_booked(
    load: Load,
    payloads: Sequence[Mapping[str, Any]],
    skipped: Container[int],
    duplicates: Container[int],
) -> list[Problem]:
    """A ``double-booked`` problem at each event booked too close to the same customer's
    previous one. ``skipped``: positions not rendered; ``duplicates``: positions that
    repeat an earlier event's key (a ``duplicate-key`` error already, not counted again).

    Most customers of a load are booked once and can be booked twice by no one: only the
    events of customers (Sender and type) named more than once become bookings.
    """
    counting = {id(manifest): _counted(manifest) for manifest in load.manifests}
    if not any(counting.values()):
        return []  # no manifest of the load has double_booking
    events = load.events
    with collector_paused():  # a booking per event, all kept: nothing for it to free
        judged = [
            position
            for position, event in enumerate(events)
            if counting[id(event.manifest)] and position not in skipped
        ]
        customers = Counter(_customer(payloads[position]) for position in judged)
        bookings: list[Booking[Location]] = []
        severities: dict[int, Severity] = {}  # id of a booking -> its manifest's severity
        for position in judged:
            payload = payloads[position]
            if customers[_customer(payload)] < 2:
                continue
            event = events[position]
            manifest = event.manifest
            rules = manifest.callability
            assert rules is not None  # counted
            tz = manifest.timezone or local_zone()
            booking = rules.booking(payload, tz, event.location, position in duplicates)
            if booking is not None:
                bookings.append(booking)
                severities[id(booking)] = rules.severities[RULE] or Severity.WARNING
        return [
            Problem(found.later.location, severities[id(found.later)], RULE, found.message)
            for found in double_bookings(bookings)
        ]


def _counted(manifest: Manifest) -> bool:
    """Whether a manifest counts double bookings (``double_booking``, the rule not off)."""
    rules = manifest.callability
    return rules is not None and rules.double_booking is not None


def _customer(payload: Mapping[str, Any]) -> tuple[object, object]:
    return payload.get("Sender"), payload.get("AcdEventTypesID")
