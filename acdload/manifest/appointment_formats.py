"""Appointment cells in an export's own forms, read into the API's.

A CRM or spreadsheet export writes ``01.03.2027``, ``14.30`` or one "Termin" cell
``01.03.2027 14:30``; the API takes ``2027-03-01`` and ``14:30``. A manifest's ``source``
names the export's forms as strptime patterns (``date_format``, ``time_format``, and
``datetime_format`` for a column mapped to ``dtAppointment``): nothing is guessed from
the values. A pattern is checked once, where it is written, by reading back a sample
moment written with it: one that loses the year or the minutes, or would read a time from
a date column, is refused before any row is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from acdload.safetext import escape, quote

DATE_FIELD = "dtAppointmentDate"
TIME_FIELD = "dtAppointmentTime"
BOTH_FIELD = "dtAppointment"
"""The pseudo-field of a source column that holds date and time in one cell."""

FORMAT_KEYS = {
    "date_format": (DATE_FIELD, (DATE_FIELD,)),
    "time_format": (TIME_FIELD, (TIME_FIELD,)),
    "datetime_format": (BOTH_FIELD, (DATE_FIELD, TIME_FIELD)),
}
"""Each ``source`` pattern key: the column target it applies to, and the fields it fills."""

_RULES = {"date_format": "date-format", "time_format": "time-format"}
_EXAMPLES = {"date_format": "%d.%m.%Y", "time_format": "%H:%M", "datetime_format": "%d.%m.%Y %H:%M"}

_SAMPLE = datetime(2027, 12, 31, 23, 59)
"""Every part tells: 31 cannot be a month, 23 is no hour of a 12-hour clock."""
_NO_DATE = date(1900, 1, 1)  # what strptime gives when a pattern reads no date
_MISMATCH = ("does not match format", "unconverted data remains")

# Spreadsheet-style patterns (Excel's dd.mm.yyyy hh:mm, German Excel's TT.MM.JJJJ, and
# Java's dd.MM.yyyy HH:mm) are translated for the "did you mean" hint.
_SPREADSHEET_TOKEN = re.compile(r"([yYjJ]+|[dDtT]+|[mM]+|[hH]+|[sS]+)")


@dataclass(frozen=True, slots=True)
class CellIssue:
    """Why one cell cannot be read: the rule it breaks, and a message showing value and pattern."""

    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class AppointmentFormat:
    """How one source column writes its appointment: ``key``'s ``pattern``."""

    key: str
    pattern: str

    @property
    def fields(self) -> tuple[str, ...]:
        return FORMAT_KEYS[self.key][1]

    def read(self, cell: str) -> tuple[str, ...] | CellIssue:
        """The API's values for ``fields`` from one non-empty cell, or why it cannot be read."""
        return _read_cell(self.key, self.pattern, cell.strip())


@lru_cache(maxsize=4096)
def _read_cell(key: str, pattern: str, text: str) -> tuple[str, ...] | CellIssue:
    """Cached: strptime is slow, and a campaign has many events but few appointment slots."""
    rule = _RULES.get(key, "datetime-format")
    try:
        moment = datetime.strptime(text, pattern)
    except ValueError as exc:
        if any(sign in str(exc) for sign in _MISMATCH):
            return CellIssue(
                rule,
                f"{quote(text)} does not match {key} {quote(pattern)}: write it like "
                f"{quote(_SAMPLE.strftime(pattern))}, or correct the pattern in the manifest",
            )
        return CellIssue(
            "date-invalid",
            f"{quote(text)} ({key} {quote(pattern)}) is not a calendar date ({escape(str(exc))}); "
            "check day and month",
        )
    fields = FORMAT_KEYS[key][1]
    if moment.second and TIME_FIELD in fields:
        return CellIssue(
            rule,
            f"{quote(text)} has seconds ({moment:%H:%M:%S}); appointments are set to the minute: "
            "round it",
        )
    values = {DATE_FIELD: moment.date().isoformat(), TIME_FIELD: f"{moment:%H:%M}"}
    return tuple(values[name] for name in fields)


def pattern_problem(key: str, pattern: str) -> str | None:
    """Why ``pattern`` cannot read the values ``key`` is for, or None when it can."""
    found = _round_trip_problem(key, pattern)
    if found is None:
        return None
    if "%" not in pattern:
        meant = _from_spreadsheet(key, pattern)
        if meant is not None:
            return (
                f"{key} {quote(pattern)} is a spreadsheet's pattern; acdload reads strptime "
                f"patterns: did you mean {meant!r}?"
            )
        return (
            f"{key} {quote(pattern)} has no strptime directive: write one such as "
            f"{_EXAMPLES[key]!r}"
        )
    return f"{key} {quote(pattern)} {found}"


def _round_trip_problem(key: str, pattern: str) -> str | None:
    fields = FORMAT_KEYS[key][1]
    example = _EXAMPLES[key]
    try:
        back = datetime.strptime(_SAMPLE.strftime(pattern), pattern)
    except (ValueError, re.error) as exc:  # re.error: a directive given twice (%d %d)
        return f"is not a strptime pattern ({escape(str(exc))}); write one such as {example!r}"
    if DATE_FIELD in fields and back.date() != _SAMPLE.date():
        return (
            f"does not read a whole date (year, month and day: %Y or %y, %m, %d), e.g. {example!r}"
        )
    if TIME_FIELD in fields and (back.hour, back.minute) != (_SAMPLE.hour, _SAMPLE.minute):
        return f"does not read hours and minutes (%H, or %I with %p, and %M), e.g. {example!r}"
    reads_date = back.date() != _NO_DATE
    reads_time = back.time() != time(0, 0)
    if (DATE_FIELD not in fields and reads_date) or (TIME_FIELD not in fields and reads_time):
        return (
            "reads a date and a time: map that column to dtAppointment and give "
            "datetime_format instead"
        )
    return None


def _from_spreadsheet(key: str, pattern: str) -> str | None:
    """The strptime pattern for a spreadsheet-style one (``dd.mm.yyyy``), if it is one.

    ``m`` is a month, except in a time or after an hour, where it is minutes (Excel's rule).
    """
    parts = []
    after_hour = key == "time_format"
    for part in _SPREADSHEET_TOKEN.split(pattern):
        if not _SPREADSHEET_TOKEN.fullmatch(part):
            parts.append(part)
            continue
        letter, size = part[0].lower(), len(part)
        if letter in "yj" and size in (2, 4):
            parts.append("%Y" if size == 4 else "%y")
        elif letter in "dt" and size <= 2:
            parts.append("%d")
        elif letter == "h" and size <= 2:
            parts.append("%H")
            after_hour = True
        elif letter == "m" and size <= 2:
            parts.append("%M" if after_hour else "%m")
        elif letter == "s" and size <= 2:
            parts.append("%S")
        else:
            return None
    translated = "".join(parts)
    return translated if _round_trip_problem(key, translated) is None else None
