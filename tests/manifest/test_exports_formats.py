"""The strptime patterns of a source's appointment columns: checked once where they are
written, then used to read each cell into the API's yyyy-mm-dd and hh:mm."""

from __future__ import annotations

import pytest

from acdload.manifest.appointment_formats import AppointmentFormat, CellIssue, pattern_problem


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("date_format", "%d.%m.%Y"),
        ("date_format", "%d.%m.%y"),
        ("date_format", "%Y%m%d"),
        ("date_format", "%d %b %Y"),
        ("time_format", "%H.%M"),
        ("time_format", "%H:%M:%S"),
        ("time_format", "%I:%M %p"),
        ("datetime_format", "%d.%m.%Y %H:%M"),
        ("datetime_format", "%Y-%m-%dT%H:%M:%S"),
    ],
)
def test_patterns_that_read_what_their_key_is_for(key: str, pattern: str) -> None:
    assert pattern_problem(key, pattern) is None


@pytest.mark.parametrize(
    ("key", "pattern", "says"),
    [
        (
            "date_format",
            "dd.mm.yyyy",
            "is a spreadsheet's pattern; acdload reads strptime patterns: did you mean '%d.%m.%Y'?",
        ),
        ("date_format", "TT.MM.JJJJ", "did you mean '%d.%m.%Y'?"),  # German Excel
        ("time_format", "hh:mm", "did you mean '%H:%M'?"),
        ("datetime_format", "dd.mm.yyyy hh:mm", "did you mean '%d.%m.%Y %H:%M'?"),
        ("datetime_format", "dd.MM.yyyy HH:mm", "did you mean '%d.%m.%Y %H:%M'?"),  # Java
        ("date_format", "Datum", "has no strptime directive: write one such as '%d.%m.%Y'"),
        ("date_format", "%d.%m", "does not read a whole date"),
        ("date_format", "%Q", "is not a strptime pattern ('Q' is a bad directive"),
        ("date_format", "%d.%d.%Y", "is not a strptime pattern"),
        ("time_format", "%I:%M", "does not read hours and minutes (%H, or %I with %p, and %M)"),
        ("time_format", "%H", "does not read hours and minutes"),
        (
            "date_format",
            "%d.%m.%Y %H:%M",
            "reads a date and a time: map that column to "
            "dtAppointment and give datetime_format instead",
        ),
        ("time_format", "%d %H:%M", "reads a date and a time"),
        ("datetime_format", "%d.%m.%Y", "does not read hours and minutes"),
    ],
)
def test_patterns_that_cannot_work_are_explained(key: str, pattern: str, says: str) -> None:
    problem = pattern_problem(key, pattern)
    assert problem is not None
    assert problem.startswith(f"{key} {pattern!r} ")
    assert says in problem


@pytest.mark.parametrize(
    ("key", "pattern", "cell", "values"),
    [
        ("date_format", "%d.%m.%Y", "01.03.2027", ("2027-03-01",)),
        ("date_format", "%d.%m.%Y", "1.3.2027", ("2027-03-01",)),
        ("date_format", "%d.%m.%y", "01.03.27", ("2027-03-01",)),
        ("date_format", "%d.%m.%Y", " 29.02.2028 ", ("2028-02-29",)),
        ("time_format", "%H.%M", "9.05", ("09:05",)),
        ("time_format", "%H:%M:%S", "14:30:00", ("14:30",)),
        ("time_format", "%I:%M %p", "2:30 PM", ("14:30",)),
        ("datetime_format", "%d.%m.%Y %H:%M", "01.03.2027 14:30", ("2027-03-01", "14:30")),
    ],
)
def test_cells_are_read_into_the_apis_forms(
    key: str, pattern: str, cell: str, values: tuple[str, ...]
) -> None:
    assert AppointmentFormat(key, pattern).read(cell) == values


@pytest.mark.parametrize(
    ("key", "pattern", "cell", "rule", "says"),
    [
        (
            "date_format",
            "%d.%m.%Y",
            "2027-03-01",
            "date-format",
            "'2027-03-01' does not match date_format '%d.%m.%Y': write it like '31.12.2027'",
        ),
        (
            "date_format",
            "%d.%m.%Y",
            "29.02.2027",
            "date-invalid",
            "'29.02.2027' (date_format '%d.%m.%Y') is not a calendar date",
        ),
        ("time_format", "%H.%M", "24.00", "time-format", "write it like '23.59'"),
        (
            "time_format",
            "%H:%M:%S",
            "14:30:15",
            "time-format",
            "has seconds (14:30:15); appointments are set to the minute",
        ),
        (
            "datetime_format",
            "%d.%m.%Y %H:%M",
            "01.03.2027",
            "datetime-format",
            "write it like '31.12.2027 23:59'",
        ),
    ],
)
def test_cells_that_do_not_match_show_the_value_and_the_pattern(
    key: str, pattern: str, cell: str, rule: str, says: str
) -> None:
    found = AppointmentFormat(key, pattern).read(cell)
    assert isinstance(found, CellIssue)
    assert found.rule == rule
    assert says in found.message
