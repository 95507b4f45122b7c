"""Calling hours on the customer's clock: the key's syntax, single- and multi-zone numbers,
a change of daylight saving time between Berlin and New York, time-only and date-only
appointments, and the rule's severity settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType
from phonenumbers.timezone import UNKNOWN_TIMEZONE, time_zones_for_number

from acdload.check.rules.calling_hours import DEFAULT_TYPES, parse_calling_hours
from acdload.check.rules.customer_clock import customer_zones
from acdload.problems import Severity
from tests.check.support import (
    GERMAN_MOBILE,
    MOSCOW_NUMBER,
    NEW_YORK_NUMBER,
    RUSSIAN_MOBILE,
    TOLL_FREE_US,
    callback,
    check,
    keys,
    only,
    read,
    rules,
)

OFFICE = """
calling_hours:
  mon-fri: "08:00-20:00"
  sat: "09:00-14:00"
"""

US_OFFICE = """
calling_hours:
  mon-fri: "09:00-17:00"
"""


# -- the key --------------------------------------------------------------------------


def test_the_issue_example_reads_as_written() -> None:
    hours, issues = parse_calling_hours(keys(OFFICE + "  types: [3, 1]\n")["calling_hours"])
    assert not issues
    assert hours is not None
    assert hours.describe() == "mon-fri 08:00-20:00, sat 09:00-14:00"
    assert hours.types == frozenset({1, 3})
    assert hours.allows(0, 8 * 60) and hours.allows(4, 20 * 60 - 1)
    assert not hours.allows(4, 20 * 60), "a range ends before its end time"
    assert not hours.allows(6, 12 * 60), "a day not named has no calling hours"


def test_types_default_to_callbacks() -> None:
    hours, _ = parse_calling_hours(keys(OFFICE)["calling_hours"])
    assert hours is not None and hours.types == DEFAULT_TYPES == frozenset({3})


def test_lists_wrapping_ranges_and_midnight_are_days_and_times() -> None:
    hours, issues = parse_calling_hours(
        keys('calling_hours: {"sat,sun": "10:00-12:00", "Fri - Mon": "x"}')["calling_hours"]
    )
    assert [issue.key for issue in issues] == [("calling_hours", "Fri - Mon")]
    hours, issues = parse_calling_hours({"fri-mon": "18:00-24:00"})
    assert not issues and hours is not None
    assert [hours.allows(day, 23 * 60 + 59) for day in range(7)] == [
        True, False, False, False, True, True, True
    ]  # fmt: skip


SYNTAX = [
    ('calling_hours: {monday: "08:00-20:00"}', ("calling_hours", "monday"), "did you mean 'mon'?"),
    (
        'calling_hours: {mon-fri: "20:00-08:00"}',
        ("calling_hours", "mon-fri"),
        "ends before it starts",
    ),
    ('calling_hours: {mon: "08:00-08:00"}', ("calling_hours", "mon"), "ends before it starts"),
    ('calling_hours: {mon: "25:00-26:00"}', ("calling_hours", "mon"), "no time of day"),
    ('calling_hours: {mon: "08:60-09:00"}', ("calling_hours", "mon"), "no time of day"),
    ('calling_hours: {mon: "8-20"}', ("calling_hours", "mon"), "not a range"),
    ("calling_hours: {mon: [08:00, 20:00]}", ("calling_hours", "mon"), "a list, not a range"),
    (
        'calling_hours: {mon-fri: "08:00-20:00", fri: "09:00-12:00"}',
        ("calling_hours", "fri"),
        "names fri twice (mon-fri and fri)",
    ),
    ('calling_hours: {"mon,tue,mon": "08:00-20:00"}', ("calling_hours", "mon,tue,mon"), "twice"),
    ('calling_hours: {mon-wed-fri: "08:00-20:00"}', ("calling_hours", "mon-wed-fri"), "not a day"),
    ('calling_hours: {mon: "08:00-20:00", types: [x]}', ("calling_hours", "types"), "'x'"),
    ('calling_hours: {mon: "08:00-20:00", types: [0]}', ("calling_hours", "types"), "types: [3]"),
    ('calling_hours: {mon: "08:00-20:00", types: []}', ("calling_hours", "types"), "whole numbers"),
    ('calling_hours: "08:00-20:00"', ("calling_hours",), "must be a mapping"),
    ("calling_hours: {}", ("calling_hours",), "names no day"),
    ("calling_hours: {types: [3]}", ("calling_hours",), "names no day"),
]


@pytest.mark.parametrize(("text", "key", "says"), SYNTAX)
def test_bad_syntax_is_a_located_problem_that_says_how_to_write_it(
    text: str, key: tuple[str, ...], says: str
) -> None:
    _, issues = read(text)
    assert len(issues) == 1, issues
    issue = issues[0]
    assert (issue.rule, issue.key, issue.severity) == ("calling-hours-syntax", key, Severity.ERROR)
    assert says in issue.message
    assert any(
        how in issue.message
        for how in ("HH:MM", "types: [3]", "midnight", "00:00", "each day once")
    )


def test_the_days_that_can_be_read_still_count_when_one_entry_cannot() -> None:
    found, issues = read('calling_hours: {mon-fri: "08:00-20:00", sun: "20:00-08:00"}')
    assert len(issues) == 1
    assert found is not None and found.calling_hours is not None
    assert found.calling_hours.describe() == "mon-fri 08:00-20:00"


# -- the customer's clock ---------------------------------------------------------------


def test_a_german_number_is_judged_in_berlin() -> None:
    office = rules(OFFICE)
    assert check(office, callback(GERMAN_MOBILE, "2027-03-08", "19:45")) == []
    finding = only(check(office, callback(GERMAN_MOBILE, "2027-03-08", "20:00")))
    assert (finding.rule, finding.severity, finding.field) == (
        "outside-calling-hours",
        Severity.ERROR,
        "dtAppointmentTime",
    )
    assert finding.message == (
        "2027-03-08 20:00 Europe/Berlin for +49 170 1234567: outside mon-fri 08:00-20:00; "
        "book it inside the customer's calling hours"
    )


def test_the_message_gives_both_clocks_when_they_differ() -> None:
    finding = only(check(rules(OFFICE), callback(NEW_YORK_NUMBER, "2027-03-08", "09:00")))
    assert finding.message.startswith(
        "2027-03-08 09:00 Europe/Berlin is 03:00 America/New_York for +1 212 555 0100: "
        "outside mon-fri 08:00-20:00"
    )


def test_the_customers_day_decides_not_the_managers() -> None:
    # Saturday 01:00 in Berlin is Friday 19:00 in New York: inside Friday's hours there.
    assert check(rules(OFFICE), callback(NEW_YORK_NUMBER, "2027-03-13", "01:00")) == []
    # Monday 01:00 in Berlin is Sunday 19:00 in New York: no calling hours on Sunday.
    finding = only(check(rules(OFFICE), callback(NEW_YORK_NUMBER, "2027-03-15", "01:00")))
    assert "is 2027-03-14 20:00 America/New_York" in finding.message
    assert "no calling hours on sun (mon-fri 08:00-20:00, sat 09:00-14:00)" in finding.message


@pytest.mark.parametrize(
    ("day", "at", "there", "inside"),
    [
        ("2027-03-08", "14:00", "08:00", False),  # both on winter time: 6 hours apart
        ("2027-03-22", "14:00", "09:00", True),  # New York on summer time, Berlin not yet: 5
        ("2027-03-29", "14:00", "08:00", False),  # both on summer time: 6 again
        ("2027-03-29", "15:00", "09:00", True),
        ("2027-11-03", "14:00", "09:00", True),  # Berlin back on winter time, New York not yet
    ],
)
def test_a_change_of_daylight_saving_time_moves_the_customers_clock(
    day: str, at: str, there: str, inside: bool
) -> None:
    findings = check(rules(US_OFFICE), callback(NEW_YORK_NUMBER, day, at))
    if inside:
        assert findings == []
    else:
        assert f"{day} {at} Europe/Berlin is {there} America/New_York" in only(findings).message


def test_a_number_in_several_zones_must_be_inside_in_each_and_the_failing_zone_is_named() -> None:
    assert len(customer_zones(TOLL_FREE_US)) > 30
    # 19:00 in Berlin is 13:00 in New York but 08:00 in Honolulu and 09:00 in Anchorage.
    finding = only(check(rules(US_OFFICE), callback(TOLL_FREE_US, "2027-03-08", "19:00")))
    assert "Europe/Berlin is" in finding.message
    assert "Pacific/" in finding.message or "America/Adak" in finding.message
    assert "more of its zones" in finding.message


def test_the_plus_seven_range_russian_mobiles_span_ten_hours_moscow_numbers_one_zone() -> None:
    moscow = ZoneInfo("Europe/Moscow")
    office = rules('calling_hours: {mon-sun: "08:00-22:00"}')
    assert [z.key for z in customer_zones(MOSCOW_NUMBER)] == ["Europe/Moscow"]
    assert len(customer_zones(RUSSIAN_MOBILE)) > 10
    # 10:00 in Moscow is 09:00 in Bucharest and 19:00 in Anadyr: inside everywhere.
    assert check(office, callback(RUSSIAN_MOBILE, "2027-03-08", "10:00"), moscow) == []
    # 13:00 in Moscow is 22:00 in Kamchatka and Anadyr: outside there, fine for Moscow.
    finding = only(check(office, callback(RUSSIAN_MOBILE, "2027-03-08", "13:00"), moscow))
    assert "2027-03-08 13:00 Europe/Moscow is 22:00 Asia/Anadyr" in finding.message
    assert "+7 916 123 45 67" in finding.message
    assert check(office, callback(MOSCOW_NUMBER, "2027-03-08", "13:00"), moscow) == []


def test_zones_cached_per_country_code_are_libphonenumbers_for_every_regions_examples() -> None:
    compared = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            digits = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
            expected = [name for name in time_zones_for_number(number) if name != UNKNOWN_TIMEZONE]
            assert [z.key for z in customer_zones(digits)] == expected, (region, kind, digits)
            compared += 1
    assert compared > 500


@pytest.mark.parametrize("sender", ["999123456", "not-a-number", ""])
def test_a_number_with_no_known_zone_is_judged_in_the_manifests_zone(sender: str) -> None:
    assert customer_zones(sender) == ()
    office = rules(OFFICE)
    assert check(office, callback(sender, "2027-03-08", "19:00")) == []
    finding = only(check(office, callback(sender, "2027-03-08", "21:00")))
    assert finding.message.startswith("2027-03-08 21:00 Europe/Berlin for ")


def test_only_the_listed_event_types_are_checked() -> None:
    late_ticket = callback(GERMAN_MOBILE, "2027-03-08", "22:00", event_type=6)
    assert check(rules(OFFICE), late_ticket) == []
    assert len(check(rules(OFFICE + "  types: [3, 6]\n"), late_ticket)) == 1


# -- appointments without a date or without a time -----------------------------------


def test_a_callback_without_an_appointment_is_not_checked() -> None:
    assert check(rules(OFFICE), callback(GERMAN_MOBILE)) == []


def test_a_time_alone_is_a_problem_only_when_it_is_outside_every_days_hours() -> None:
    office = rules(OFFICE)
    assert check(office, callback(GERMAN_MOBILE, at="19:00")) == []  # inside mon-fri
    saturday_only = rules('calling_hours: {sat: "09:00-14:00"}')
    assert check(saturday_only, callback(GERMAN_MOBILE, at="10:00")) == []
    finding = only(check(office, callback(GERMAN_MOBILE, at="21:30")))
    assert finding.field == "dtAppointmentTime"
    assert finding.message.startswith(
        "21:30 Europe/Berlin (a time without a date) for +49 170 1234567: outside calling "
        "hours on every day (mon-fri 08:00-20:00, sat 09:00-14:00)"
    )


def test_a_time_alone_is_converted_to_the_customers_clock() -> None:
    us_office = rules(US_OFFICE)
    assert check(us_office, callback(NEW_YORK_NUMBER, at="16:00")) == []  # 10:00 there
    finding = only(check(us_office, callback(NEW_YORK_NUMBER, at="10:00")))
    assert "10:00 Europe/Berlin is 04:00 America/New_York" in finding.message


def test_a_date_alone_needs_a_day_with_calling_hours() -> None:
    office = rules(OFFICE)
    assert check(office, callback(GERMAN_MOBILE, "2027-03-13")) == []  # a Saturday
    finding = only(check(office, callback(GERMAN_MOBILE, "2027-03-14")))
    assert finding.field == "dtAppointmentDate"
    assert "2027-03-14 (a date without a time)" in finding.message
    assert "no calling hours on sun" in finding.message


@pytest.mark.parametrize(
    ("day", "at"), [("2027-02-30", "10:00"), ("2027-03-08", "25:00"), ("tomorrow", None)]
)
def test_an_appointment_that_is_no_date_or_time_is_left_to_the_appointment_rules(
    day: str, at: str | None
) -> None:
    assert check(rules(OFFICE), callback(GERMAN_MOBILE, day, at)) == []


# -- severity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "severity"),
    [("", Severity.ERROR), ("error", Severity.ERROR), ("warning", Severity.WARNING)],
)
def test_checks_sets_the_severity(setting: str, severity: Severity) -> None:
    text = OFFICE + (f"checks:\n  outside-calling-hours: {setting}\n" if setting else "")
    finding = only(check(rules(text), callback(GERMAN_MOBILE, "2027-03-08", "21:00")))
    assert finding.severity is severity
    assert finding.is_error is (severity is Severity.ERROR)


def test_checks_off_turns_the_rule_off() -> None:
    text = OFFICE + "checks:\n  outside-calling-hours: off\n"
    assert check(rules(text), callback(GERMAN_MOBILE, "2027-03-08", "21:00")) == []
