"""Public holidays: codes as the holidays library names them, subdivisions that matter,
the customer's local date, and the rule's severity settings."""

from __future__ import annotations

import pytest

from acdload.check.rules.public_holidays import parse_holidays
from acdload.problems import Severity
from tests.check.support import (
    GERMAN_MOBILE,
    NEW_YORK_NUMBER,
    callback,
    check,
    only,
    read,
    rules,
)


def test_a_holiday_is_an_error_at_the_date_naming_it() -> None:
    finding = only(check(rules("holidays: DE-BY"), callback(GERMAN_MOBILE, "2027-12-25", "10:00")))
    assert (finding.rule, finding.severity, finding.field) == (
        "holiday",
        Severity.ERROR,
        "dtAppointmentDate",
    )
    assert finding.message == (
        "2027-12-25 10:00 Europe/Berlin for +49 170 1234567: 2027-12-25 is Christmas Day in "
        "DE-BY; book it on a working day"
    )


def test_subdivisions_matter_epiphany_is_a_holiday_in_bavaria_not_in_berlin() -> None:
    epiphany = callback(GERMAN_MOBILE, "2027-01-06", "10:00")
    assert (
        "2027-01-06 is Epiphany in DE-BY" in only(check(rules("holidays: DE-BY"), epiphany)).message
    )
    assert check(rules("holidays: DE-BE"), epiphany) == []
    assert check(rules("holidays: DE"), epiphany) == []


def test_a_working_day_is_no_problem() -> None:
    assert check(rules("holidays: DE-BY"), callback(GERMAN_MOBILE, "2027-01-07", "10:00")) == []


def test_a_date_without_a_time_is_judged_by_that_date() -> None:
    finding = only(check(rules("holidays: DE-BY"), callback(GERMAN_MOBILE, "2027-01-06")))
    assert finding.message.startswith("2027-01-06 (a date without a time) for +49 170 1234567")


def test_the_holiday_is_judged_on_the_customers_local_date() -> None:
    bavaria = rules("holidays: DE-BY")
    # 03:00 on the 7th in Berlin is still the 6th, Epiphany, in New York.
    finding = only(check(bavaria, callback(NEW_YORK_NUMBER, "2027-01-07", "03:00")))
    assert finding.message.startswith(
        "2027-01-07 03:00 Europe/Berlin is 2027-01-06 21:00 America/New_York for "
        "+1 212 555 0100: 2027-01-06 is Epiphany in DE-BY"
    )
    # 01:00 on the 6th in Berlin is the 5th in New York: a working day there.
    assert check(bavaria, callback(NEW_YORK_NUMBER, "2027-01-06", "01:00")) == []


def test_holidays_and_calling_hours_are_both_reported() -> None:
    both = rules('holidays: DE-BY\ncalling_hours: {mon-fri: "08:00-20:00"}')
    findings = check(both, callback(GERMAN_MOBILE, "2027-12-25", "10:00"))  # a Saturday
    assert [(f.rule, f.field) for f in findings] == [
        ("outside-calling-hours", "dtAppointmentTime"),
        ("holiday", "dtAppointmentDate"),
    ]


def test_the_holiday_rule_applies_to_the_calling_hours_types() -> None:
    ticket = callback(GERMAN_MOBILE, "2027-12-25", "10:00", event_type=6)
    assert check(rules("holidays: DE-BY"), ticket) == []
    with_tickets = 'holidays: DE-BY\ncalling_hours: {mon-sun: "00:00-24:00", types: [3, 6]}'
    assert [f.rule for f in check(rules(with_tickets), ticket)] == ["holiday"]


@pytest.mark.parametrize(
    ("setting", "severity"), [("error", Severity.ERROR), ("warning", Severity.WARNING)]
)
def test_checks_sets_the_severity(setting: str, severity: Severity) -> None:
    found = rules(f"holidays: DE-BY\nchecks: {{holiday: {setting}}}")
    assert only(check(found, callback(GERMAN_MOBILE, "2027-12-25", "10:00"))).severity is severity


def test_checks_off_turns_the_rule_off() -> None:
    found = rules("holidays: DE-BY\nchecks: {holiday: off}")
    assert check(found, callback(GERMAN_MOBILE, "2027-12-25", "10:00")) == []


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("holidays: DE-BAY", "'DE-BY'"),
        ("holidays: de-by", "'DE-BY'"),
        ("holidays: DE-", "'DE'"),
        ("holidays: Bavaria", None),
        ("holidays: XX", None),
        ("holidays: 49", None),
        ("holidays: [DE, AT]", None),
        ("holidays: {DE: BY}", None),
    ],
)
def test_an_unknown_code_is_an_error_at_the_holidays_line_listing_close_matches(
    text: str, meant: str | None
) -> None:
    found, issues = read(text)
    assert found is None
    issue = only(issues)
    assert (issue.rule, issue.key, issue.severity) == (
        "unknown-holidays",
        ("holidays",),
        Severity.ERROR,
    )
    assert "as the holidays library names them: DE, DE-BY" in issue.message
    if meant is not None:
        assert f"did you mean {meant}" in issue.message


def test_the_codes_the_library_knows_are_accepted_as_it_names_them() -> None:
    for code in ("DE", "DE-BY", "US-NY", "GB-SCT", "AT", "CH-ZH"):
        calendar, issues = parse_holidays(code)
        assert issues == [] and calendar is not None and calendar.code == code


def test_checks_can_lower_an_unknown_code_to_a_warning() -> None:
    found, issues = read("holidays: DE-XX\nchecks: {unknown-holidays: warning}")
    assert found is None
    assert [(i.rule, i.severity) for i in issues] == [("unknown-holidays", Severity.WARNING)]
