"""Expiry: a callback whose appointment has passed is never sent.

A manifest kept in git is applied again long after it was written, and the server rings a
callback with a past appointment at once: January's callbacks would ring in March. So an
event whose appointment (a date, or a date and time) is behind us in its manifest's
timezone is ``expired``: plan shows it so instead of ``create``, and apply asks again just
before sending each create (a long run can outlive an appointment), unless ``--allow-past``.

A date without a time expires when its day is over there: a callback for today may still
ring today. A time without a date never expires (the server takes its next occurrence),
and neither does an appointment validation could not read (it is reported there).
``--now`` fixes the moment for tests and reproducible CI; without it, the clock decides,
asked at each question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from acdload.check.rules.appointments import local_zone, parse_date, parse_time

if TYPE_CHECKING:
    from acdload.manifest.model import Event

DATE, TIME = "dtAppointmentDate", "dtAppointmentTime"
ALLOW = "--allow-past sends it anyway"


class HasPayload(Protocol):
    """A planned action, as far as expiry needs it: which event, and what it sends."""

    @property
    def index(self) -> int: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Expiry:
    """When appointments count as past: at ``now`` (``--now``; without an offset, in each
    manifest's zone), or at the clock's moment of each question when ``now`` is None."""

    now: datetime | None = None

    def moment(self, tz: tzinfo) -> datetime:
        if self.now is None:
            return datetime.now(UTC)
        return self.now if self.now.tzinfo is not None else self.now.replace(tzinfo=tz)

    def expired(self, payload: Mapping[str, Any], tz: tzinfo) -> str | None:
        """Why ``payload``'s appointment (in zone ``tz``) has passed; None while it has not."""
        appointment = _appointment(payload.get(DATE), payload.get(TIME))
        if appointment is None:
            return None
        day, at = appointment
        now = self.moment(tz)
        if at is None:
            if day >= now.astimezone(tz).date():
                return None
            written = f"{day:%Y-%m-%d}"
        else:
            if datetime.combine(day, at, tzinfo=tz) >= now:
                return None
            written = f"{day:%Y-%m-%d} {at:%H:%M}"
        local = now.astimezone(tz)
        return (
            f"the appointment {written} ({tz}) had passed at {local:%Y-%m-%d %H:%M}: not sent, "
            f"the server would ring it at once; {ALLOW}"
        )


def expiry_of(now: datetime | None, allow_past: bool) -> Expiry | None:
    """When plan and apply call an appointment past (``now``, else the clock); None with
    ``allow_past`` (``--allow-past``): never."""
    return None if allow_past else Expiry(now)


class ExpiryAtSend:
    """Apply's question just before sending a create: has its appointment passed now?

    ``events`` are the load's, by position (an action's ``index``): they know their zone.
    ``expiry`` None (``--allow-past``): no appointment ever has.
    """

    def __init__(self, events: Sequence[Event], expiry: Expiry | None) -> None:
        self._events = events
        self._expiry = expiry

    def __call__(self, action: HasPayload) -> str | None:
        if self._expiry is None:
            return None
        return self._expiry.expired(action.payload, zone_of(self._events[action.index]))


def zone_of(event: Event) -> tzinfo:
    """The zone an event's appointment is written in: its manifest's."""
    return event.manifest.timezone or local_zone()


def _appointment(written_date: object, written_time: object) -> tuple[date, time | None] | None:
    if not isinstance(written_date, str) or len(written_date) not in (8, 10):
        return None
    day = parse_date(written_date)
    if day is None:
        return None
    if not isinstance(written_time, str):
        return day, None
    try:
        return day, parse_time(written_time)
    except ValueError:
        return None
