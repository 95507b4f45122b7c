"""Double bookings: one customer booked twice within ``double_booking``, reported at the
later event naming the earlier one's location, across the files of a load."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from acdload.check.rules.double_booking import Booking, double_bookings
from acdload.check.rules.durations import parse_duration
from acdload.problems import Location, Severity
from tests.check.support import BERLIN, GERMAN_MOBILE, NEW_YORK_NUMBER, callback, only, read, rules

TWO_HOURS = timedelta(hours=2)
FIRST = Location("manifests/january.yaml", 12)
SECOND = Location("data/callbacks.csv", 3)
THIRD = Location("data/callbacks.csv", 4)


def at(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def booking(
    moment: datetime | None,
    location: Location,
    sender: str = GERMAN_MOBILE,
    event_type: int = 3,
    within: timedelta | None = TWO_HOURS,
    duplicate_key: bool = False,
) -> Booking[Location]:
    return Booking(sender, event_type, moment, location, within, duplicate_key)


def test_the_later_event_is_reported_naming_the_earlier_ones_file_and_line() -> None:
    found = only(
        double_bookings(
            [
                booking(at("2027-03-08 11:30"), SECOND),
                booking(at("2027-03-08 10:00"), FIRST),
            ]
        )
    )
    assert (found.later.location, found.earlier.location) == (SECOND, FIRST)
    assert found.message == (
        "+49 170 1234567 is already booked 1h 30m earlier for event type 3 (at 2027-03-08 "
        "10:00 Europe/Berlin, manifests/january.yaml:12); this one at 2027-03-08 11:30 "
        "Europe/Berlin is within double_booking 2h: merge the two, or book them further apart"
    )


@pytest.mark.parametrize(
    "later",
    [
        booking(at("2027-03-08 12:00"), SECOND),  # exactly 2h later: not closer than 2h
        booking(at("2027-03-08 10:30"), SECOND, sender=NEW_YORK_NUMBER),  # another customer
        booking(at("2027-03-08 10:30"), SECOND, event_type=6),  # another event type
        booking(None, SECOND),  # no appointment
        booking(at("2027-03-08 10:30"), SECOND, duplicate_key=True),  # a duplicate-key error
        booking(at("2027-03-08 10:30"), SECOND, within=None),  # its manifest does not check
    ],
)
def test_bookings_that_are_not_double(later: Booking[Location]) -> None:
    assert double_bookings([booking(at("2027-03-08 10:00"), FIRST), later]) == []


def test_each_booking_is_compared_with_its_nearest_earlier_one_and_reported_in_load_order() -> None:
    found = double_bookings(
        [
            booking(at("2027-03-08 12:30"), THIRD),
            booking(at("2027-03-08 10:00"), FIRST),
            booking(at("2027-03-08 11:00"), SECOND),
        ]
    )
    assert [(d.later.location, d.earlier.location) for d in found] == [
        (THIRD, SECOND),
        (SECOND, FIRST),
    ]


def test_the_same_moment_reports_the_one_written_later() -> None:
    found = only(
        double_bookings(
            [booking(at("2027-03-08 10:00"), FIRST), booking(at("2027-03-08 10:00"), SECOND)]
        )
    )
    assert (found.later.location, found.earlier.location) == (SECOND, FIRST)
    assert "already booked at the same time" in found.message


def test_the_same_moment_in_two_manifests_zones_is_the_same_moment() -> None:
    london = at("2027-03-08 09:00", ZoneInfo("Europe/London"))
    found = only(double_bookings([booking(at("2027-03-08 10:00"), FIRST), booking(london, SECOND)]))
    assert "at the same time" in found.message


def test_gaps_are_measured_in_real_time_across_a_change_of_daylight_saving_time() -> None:
    # 01:30 and 03:30 on the night Berlin's clocks skip from 02:00 to 03:00: one hour apart.
    window = timedelta(minutes=90)
    found = double_bookings(
        [
            booking(at("2027-03-28 01:30"), FIRST, within=window),
            booking(at("2027-03-28 03:30"), SECOND, within=window),
        ]
    )
    assert "1h earlier" in only(found).message


def test_the_later_events_own_window_decides() -> None:
    bookings = [
        booking(at("2027-03-08 10:00"), FIRST, within=timedelta(days=1)),
        booking(at("2027-03-08 13:00"), SECOND, within=TWO_HOURS),
    ]
    assert double_bookings(bookings) == []
    assert (
        len(
            double_bookings(
                [*bookings, booking(at("2027-03-08 20:00"), THIRD, within=timedelta(days=1))]
            )
        )
        == 1
    )


def test_a_hundred_thousand_customers_take_well_under_a_few_seconds() -> None:
    start = at("2027-03-01 08:00")
    bookings = [
        booking(start + timedelta(minutes=n), Location("big.csv", n + 2), sender=f"49170{n:07d}")
        for n in range(100_000)
    ]
    bookings.append(
        booking(start + timedelta(minutes=30), Location("big.csv", 100_002), sender="491700000000")
    )
    began = time.perf_counter()
    found = double_bookings(bookings)
    assert time.perf_counter() - began < 10  # quadratic would take hours
    assert [str(d.earlier.location) for d in found] == ["big.csv:2"]


# -- the manifest key and the payloads ----------------------------------------------------


def test_payloads_become_bookings_with_the_manifests_window() -> None:
    found = rules("double_booking: 90m")
    first = found.booking(callback(GERMAN_MOBILE, "2027-03-08", "10:00"), BERLIN, FIRST)
    second = found.booking(callback(GERMAN_MOBILE, "2027-03-08", "11:00"), BERLIN, SECOND)
    assert first is not None and second is not None
    assert second.within == timedelta(minutes=90)
    assert only(double_bookings([first, second])).later.location == SECOND
    assert found.booking(callback(GERMAN_MOBILE), BERLIN, THIRD) is None  # no appointment
    date_alone = found.booking(callback(GERMAN_MOBILE, "2027-03-09"), BERLIN, THIRD)
    assert date_alone is not None and date_alone.moment == at("2027-03-09 00:00")


def test_double_booked_is_a_warning_by_default_and_checks_can_change_or_turn_it_off() -> None:
    assert rules("double_booking: 2h").severities["double-booked"] is Severity.WARNING
    raised = rules("double_booking: 2h\nchecks: {double-booked: error}")
    assert raised.severities["double-booked"] is Severity.ERROR
    off = rules("double_booking: 2h\nchecks: {double-booked: off}")
    assert off.booking(callback(GERMAN_MOBILE, "2027-03-08", "10:00"), BERLIN, FIRST) is None


@pytest.mark.parametrize(
    ("written", "minutes"), [("90m", 90), ("2h", 120), ("1d", 1440), ("1h30m", 90), (" 2H ", 120)]
)
def test_durations(written: str, minutes: int) -> None:
    assert parse_duration(written) == (timedelta(minutes=minutes), None)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("double_booking: 90", "with a unit"),
        ("double_booking: 2 hours", "with a unit"),
        ("double_booking: 30s", "with a unit"),
        ("double_booking: -1h", "with a unit"),
        ("double_booking: 0m", "longer than 0"),
        ("double_booking: 400d", "at most 366d"),
        ("double_booking: 99999999999999999999d", "with a unit"),
        ('double_booking: ""', "with a unit"),
        ("double_booking: [2h]", "a list"),
    ],
)
def test_a_bad_duration_is_a_syntax_problem_at_its_key(text: str, says: str) -> None:
    found, issues = read(text)
    assert found is None
    issue = only(issues)
    assert (issue.rule, issue.key, issue.severity) == (
        "double-booking-syntax",
        ("double_booking",),
        Severity.ERROR,
    )
    assert says in issue.message and "90m, 2h, 1d" in issue.message
