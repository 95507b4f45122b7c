"""The ``checks:`` key and how the callability keys are read together."""

from __future__ import annotations

import pytest

from acdload.check.rules.severities import DEFAULTS, parse_checks
from acdload.problems import Severity
from tests.check.support import GERMAN_MOBILE, callback, check, only, read, rules


def test_defaults_are_the_issues_table() -> None:
    assert {rule: severity.value for rule, severity in DEFAULTS.items()} == {
        "outside-calling-hours": "error",
        "holiday": "error",
        "double-booked": "warning",
        "already-open": "warning",
        "calling-hours-syntax": "error",
        "unknown-holidays": "error",
        "double-booking-syntax": "error",
    }


def test_a_manifest_without_the_keys_has_no_rules_to_apply() -> None:
    assert read("version: 1\ntimezone: Europe/Berlin") == (None, [])
    assert read("checks: {holiday: warning}") == (None, [])


@pytest.mark.parametrize(
    ("written", "severity"),
    [("error", Severity.ERROR), ("warning", Severity.WARNING), ("off", None), ('"off"', None)],
)
def test_each_severity_setting(written: str, severity: Severity | None) -> None:
    found = rules(f"double_booking: 2h\nchecks:\n  already-open: {written}")
    assert found.severities["already-open"] is severity
    assert found.severities["holiday"] is Severity.ERROR  # the others keep their default


def test_a_yaml_1_1_false_means_off() -> None:
    severities, issues = parse_checks({"double-booked": False})
    assert issues == [] and severities["double-booked"] is None


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        (
            "checks: {holidays: off}",
            ("checks", "holidays"),
            "did you mean 'holiday'? The rules are",
        ),
        ("checks: {holiday: warn}", ("checks", "holiday"), "did you mean 'warning'?"),
        ("checks: {holiday: yes}", ("checks", "holiday"), "error, warning or off"),
        ("checks: {holiday: [error]}", ("checks", "holiday"), "is a list"),
        ("checks: [holiday]", ("checks",), "a mapping of rule to severity"),
    ],
)
def test_unknown_rules_and_severities_are_problems_at_their_key(
    text: str, key: tuple[str, ...], says: str
) -> None:
    _, issues = read(text)
    issue = only(issues)
    assert (issue.rule, issue.key, issue.severity) == ("checks-syntax", key, Severity.ERROR)
    assert says in issue.message


def test_a_bad_checks_entry_leaves_the_rule_at_its_default() -> None:
    found, issues = read("holidays: DE-BY\nchecks: {holiday: never}")
    assert len(issues) == 1 and found is not None
    assert only(check(found, callback(GERMAN_MOBILE, "2027-12-25", "10:00"))).is_error


def test_checks_sets_the_severity_of_the_syntax_rules_too() -> None:
    _, issues = read('calling_hours: {mon: "9-5"}\nchecks: {calling-hours-syntax: warning}')
    assert [(i.rule, i.severity) for i in issues] == [("calling-hours-syntax", Severity.WARNING)]
    assert read('calling_hours: {mon: "9-5"}\nchecks: {calling-hours-syntax: off}') == (None, [])
    _, issues = read("double_booking: 2\nchecks: {double-booking-syntax: warning}")
    assert [(i.rule, i.severity) for i in issues] == [("double-booking-syntax", Severity.WARNING)]


def test_every_key_is_reported_in_one_pass() -> None:
    _, issues = read(
        "calling_hours: {mon: x}\nholidays: XX\ndouble_booking: soon\nchecks: {nope: off}"
    )
    assert sorted(i.rule for i in issues) == [
        "calling-hours-syntax",
        "checks-syntax",
        "double-booking-syntax",
        "unknown-holidays",
    ]
