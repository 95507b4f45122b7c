"""Callbacks people can actually take: one manifest's calling hours, holidays, double
bookings and ``checks:`` severities, read from its keys and applied to its payloads.

The manifest reader calls :func:`read_rules` with the manifest's top-level mapping and puts
each :class:`KeyIssue` at the line of its key; validate calls :meth:`Callability.check` for
each rendered payload and :meth:`Callability.booking` to collect the load's bookings for
:func:`acdload.check.rules.double_booking.double_bookings`.

An appointment is judged on the customer's clock: converted from the manifest's zone to
every zone of the customer's number (:mod:`acdload.check.rules.customer_clock`); it must be inside
calling hours, and not on a holiday, in each of them. A number with no known zone is judged
in the manifest's zone. A date without a time is judged by its day (has it calling hours,
is it a holiday); a time without a date (the server takes its next occurrence) must fall
inside calling hours on at least one of the coming seven days. Both rules judge the event
types of ``calling_hours: types`` (callbacks by default). Verdicts are cached per
(appointment, zones): a campaign has many events but few slots and few zones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVar

from acdload.check.rules.appointments import parse_date, parse_time
from acdload.check.rules.calling_hours import DAYS, DEFAULT_TYPES, CallingHours, parse_calling_hours
from acdload.check.rules.customer_clock import customer_zones, display_number
from acdload.check.rules.double_booking import Booking, parse_double_booking
from acdload.check.rules.public_holidays import PublicHolidays, parse_holidays
from acdload.check.rules.severities import KeyIssue, Severities, parse_checks
from acdload.problems import Severity
from acdload.safetext import quote

KEYS = ("calling_hours", "holidays", "double_booking", "checks")
"""The manifest keys this module reads (version 1, all optional)."""

OUTSIDE = "outside-calling-hours"
HOLIDAY = "holiday"
DATE, TIME = "dtAppointmentDate", "dtAppointmentTime"

L = TypeVar("L")
Verdict = tuple[str, str, str, str]  # rule, field, head (the clocks), tail (what is wrong)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule broken by one event: located by the caller at the event's ``field``."""

    rule: str
    severity: Severity
    message: str
    field: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class Callability:
    """One manifest's rules, ready to judge its events (and to remember its verdicts)."""

    def __init__(
        self,
        calling_hours: CallingHours | None,
        holidays: PublicHolidays | None,
        double_booking: timedelta | None,
        severities: Severities,
    ) -> None:
        self.calling_hours = calling_hours if severities[OUTSIDE] is not None else None
        self.holidays = holidays if severities[HOLIDAY] is not None else None
        self.double_booking = double_booking if severities["double-booked"] is not None else None
        self.severities = severities
        self.types = calling_hours.types if calling_hours is not None else DEFAULT_TYPES
        self._verdicts: dict[tuple[Any, ...], tuple[Verdict, ...]] = {}
        self._moments: dict[tuple[Any, ...], datetime | None] = {}

    def check(self, payload: Mapping[str, Any], tz: tzinfo, now: datetime) -> list[Finding]:
        """What is wrong with the appointment of one rendered payload (manifest zone ``tz``;
        ``now``, time-zone aware, places a time without a date)."""
        if (self.calling_hours is None and self.holidays is None) or payload.get(
            "AcdEventTypesID"
        ) not in self.types:
            return []
        written_date, written_time = payload.get(DATE), payload.get(TIME)
        if written_date is None and written_time is None:
            return []
        sender = payload.get("Sender")
        zones = customer_zones(sender) if isinstance(sender, str) else ()
        today = now.astimezone(tz).date() if written_date is None else None
        key = (written_date, written_time, zones, tz, today)
        verdicts = self._verdicts.get(key)
        if verdicts is None:
            verdicts = self._judge(written_date, written_time, zones or (tz,), tz, today)
            self._verdicts[key] = verdicts
        if not verdicts:
            return []
        customer = shown_customer(sender)
        return [
            Finding(rule, self._severity(rule), f"{head} for {customer}: {tail}", field)
            for rule, field, head, tail in verdicts
        ]

    def booking(
        self, payload: Mapping[str, Any], tz: tzinfo, location: L, duplicate_key: bool = False
    ) -> Booking[L] | None:
        """The payload as the double-booking rule sees it; None when that rule is off here,
        or the payload has no appointment date."""
        sender, event_type = payload.get("Sender"), payload.get("AcdEventTypesID")
        if self.double_booking is None or not isinstance(sender, str):
            return None
        key = (payload.get(DATE), payload.get(TIME), tz)
        moment = self._moments.get(key)
        if moment is None and key not in self._moments:
            moment = self._moments[key] = _moment(*key)
        if moment is None or not isinstance(event_type, int):
            return None
        return Booking(sender, event_type, moment, location, self.double_booking, duplicate_key)

    def _severity(self, rule: str) -> Severity:
        return self.severities[rule] or Severity.ERROR  # a rule that is off is never judged

    def _judge(
        self,
        written_date: object,
        written_time: object,
        zones: tuple[tzinfo, ...],
        tz: tzinfo,
        today: date | None,
    ) -> tuple[Verdict, ...]:
        day = _date(written_date) if written_date is not None else None
        at = _time(written_time) if written_time is not None else None
        if (written_date is not None and day is None) or (written_time is not None and at is None):
            return ()  # unreadable: the appointment rules report it
        if day is None:
            if at is None or today is None:
                return ()
            return self._judge_time(at, zones, tz, today)
        if at is None:
            return self._judge_day(day)
        verdicts: list[Verdict] = []
        local = datetime.combine(day, at, tzinfo=tz)
        hours = self.calling_hours
        if hours is not None:
            failing = [(z, t) for z, t in _clocks(local, zones) if not hours.allows(*_slot(t))]
            if failing:
                z, there = failing[0]
                tail = _outside(hours, there, len(failing) - 1)
                verdicts.append((OUTSIDE, TIME, _both(local, tz, there, z, dated=True), tail))
        if self.holidays is not None:
            for z, there in _clocks(local, zones):
                name = self.holidays.on(there.date())
                if name is not None:
                    head = _both(local, tz, there, z, dated=True)
                    tail = _holiday(self.holidays, there.date(), name)
                    verdicts.append((HOLIDAY, DATE, head, tail))
                    break
        return tuple(verdicts)

    def _judge_day(self, day: date) -> tuple[Verdict, ...]:
        """A date without a time: its day must have calling hours and be no holiday."""
        head = f"{day:%Y-%m-%d} (a date without a time)"
        verdicts: list[Verdict] = []
        hours = self.calling_hours
        if hours is not None and hours.days[day.weekday()] is None:
            verdicts.append((OUTSIDE, DATE, head, _no_hours_on(hours, day.weekday())))
        if self.holidays is not None:
            name = self.holidays.on(day)
            if name is not None:
                verdicts.append((HOLIDAY, DATE, head, _holiday(self.holidays, day, name)))
        return tuple(verdicts)

    def _judge_time(
        self, at: time, zones: tuple[tzinfo, ...], tz: tzinfo, today: date
    ) -> tuple[Verdict, ...]:
        """A time without a date: inside calling hours on one of the coming seven days."""
        hours = self.calling_hours
        if hours is None:
            return ()
        week = [datetime.combine(today + timedelta(days=n), at, tzinfo=tz) for n in range(7)]
        if any(all(hours.allows(*_slot(t)) for _, t in _clocks(local, zones)) for local in week):
            return ()
        z, there = next(
            ((z, t) for z, t in _clocks(week[0], zones) if not hours.allows(*_slot(t))),
            (zones[0], week[0].astimezone(zones[0])),
        )
        head = _both(week[0], tz, there, z, dated=False) + " (a time without a date)"
        tail = f"outside calling hours on every day ({hours.describe()})"
        return ((OUTSIDE, TIME, head, _book_inside(tail)),)


def read_rules(manifest: Mapping[str, object]) -> tuple[Callability | None, list[KeyIssue]]:
    """The callability rules of a manifest (its top-level mapping), and what is wrong with
    their keys, each issue at the severity ``checks:`` gives its rule (off: not reported).

    None when the manifest sets none of calling_hours, holidays and double_booking.
    """
    severities, issues = parse_checks(manifest.get("checks"))
    calling_hours, more = parse_calling_hours(manifest.get("calling_hours"))
    issues += more
    holidays, more = parse_holidays(manifest.get("holidays"))
    issues += more
    double_booking, more = parse_double_booking(manifest.get("double_booking"))
    issues += more
    issues = [
        replace(issue, severity=severities.get(issue.rule) or Severity.ERROR)
        for issue in issues
        if issue.rule not in severities or severities[issue.rule] is not None
    ]
    if calling_hours is None and holidays is None and double_booking is None:
        return None, issues
    return Callability(calling_hours, holidays, double_booking, severities), issues


def _clocks(local: datetime, zones: tuple[tzinfo, ...]) -> list[tuple[tzinfo, datetime]]:
    return [(z, local.astimezone(z)) for z in zones]


def _slot(moment: datetime) -> tuple[int, int]:
    return moment.weekday(), moment.hour * 60 + moment.minute


def _both(local: datetime, tz: tzinfo, there: datetime, z: tzinfo, *, dated: bool) -> str:
    """Both clocks when they differ: ``2027-03-08 14:00 Europe/Berlin is 08:00 America/New_York``."""
    here = f"{local:%Y-%m-%d %H:%M}" if dated else f"{local:%H:%M}"
    if str(z) == str(tz):
        return f"{here} {tz}"
    other = (
        f"{there:%Y-%m-%d %H:%M}" if dated and there.date() != local.date() else f"{there:%H:%M}"
    )
    return f"{here} {tz} is {other} {z}"


def _outside(hours: CallingHours, there: datetime, others: int) -> str:
    """Why ``there`` (the customer's clock) is outside, and in how many ``others`` of the
    number's zones it is too."""
    entry = hours.days[there.weekday()]
    if entry is None:
        what = f"no calling hours on {DAYS[there.weekday()]} ({hours.describe()})"
    else:
        what = f"outside {entry.written}"
    return _book_inside(what + (f" (and in {others} more of its zones)" if others else ""))


def _holiday(holidays: PublicHolidays, day: date, name: str) -> str:
    return f"{day:%Y-%m-%d} is {name} in {holidays.code}; book it on a working day"


def _no_hours_on(hours: CallingHours, weekday: int) -> str:
    return _book_inside(f"no calling hours on {DAYS[weekday]} ({hours.describe()})")


def _book_inside(what: str) -> str:
    return f"{what}; book it inside the customer's calling hours"


def shown_customer(sender: object) -> str:
    """A customer as messages name them: a number as people write it, anything else quoted."""
    if isinstance(sender, str) and sender.isascii() and sender.isdigit():
        return display_number(sender)
    return quote(str(sender))


def _moment(written_date: object, written_time: object, tz: tzinfo) -> datetime | None:
    """When an appointment is, if it has a date (a date alone: its start)."""
    day = _date(written_date)
    at = _time(written_time) if written_time is not None else time(0, 0)
    return datetime.combine(day, at, tzinfo=tz) if day is not None and at is not None else None


def _date(written: object) -> date | None:
    return parse_date(written) if isinstance(written, str) and len(written) in (8, 10) else None


def _time(written: object) -> time | None:
    try:
        return parse_time(written) if isinstance(written, str) else None
    except ValueError:
        return None
