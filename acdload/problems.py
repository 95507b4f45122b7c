"""Problems are values carried with their location, never exceptions that stop a run.

Every stage (read, validate, render) appends to one list so that a single run reports
everything wrong with a load, as check-jsonschema does.

Each problem names a rule of the catalogue (:data:`RULES`), declared here once: its slug,
default severity, one-line summary and docs anchor serve the checks, SARIF's rule metadata
and the docs test alike, so a rule cannot exist in one of them and not in the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value was written: the file as the user named it, 1-based line and column.

    For CSV rows ``line`` is the physical line where the row starts and ``column`` is the
    1-based CSV column (a spreadsheet user's notion of a column).
    """

    file: str
    line: int
    column: int | None = None

    def __str__(self) -> str:
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule a problem can name: what it means, how serious it is, where it is explained.

    ``severity`` is the default: ``--strict`` makes warnings errors, and ``checks:`` may
    change the severity of a ``configurable`` rule (or switch it off) in one manifest.
    """

    slug: str
    summary: str
    severity: Severity = Severity.ERROR
    configurable: bool = False

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def anchor(self) -> str:
        """The anchor of the rule's entry in docs/manifest.md, whose heading is the slug in
        backquotes, followed by ``(warning)`` for a rule that warns by default."""
        return self.slug if self.is_error else f"{self.slug}-warning"


def _catalogue(*rules: Rule) -> Mapping[str, Rule]:
    catalogue = {rule.slug: rule for rule in rules}
    if len(catalogue) != len(rules):
        raise ValueError("a rule is declared twice in the catalogue")
    return MappingProxyType(catalogue)


RULES: Mapping[str, Rule] = _catalogue(
    # Reading files
    Rule("yaml-syntax", "The file is not valid YAML."),
    Rule("yaml-duplicate-key", "A YAML mapping sets a key twice."),
    Rule("yaml-tag", "An explicit YAML tag: manifests are plain data."),
    Rule("yaml-key-type", "A mapping key that is not a name."),
    Rule("yaml-merge", "A merge key (<<) given something other than mappings."),
    Rule("yaml-multiple-documents", "A second YAML document (---) in the file."),
    Rule("yaml-nesting", "Mappings and lists nested more than 100 levels deep."),
    Rule("yaml-alias-bomb", "YAML aliases that expand to an enormous document."),
    Rule("encoding", "The file's bytes are not valid in its encoding, or no such encoding."),
    Rule("io", "A file that exists cannot be read."),
    Rule("csv-header", "The CSV header line is missing, has an unnamed or a repeated column."),
    Rule("csv-syntax", "A CSV row that cannot be read, e.g. a quote never closed."),
    Rule("csv-row-length", "A CSV row with more or fewer cells than the header has columns."),
    # The manifest
    Rule("structure", "A part of the manifest has the wrong shape."),
    Rule("version", "version: 1 is missing or names another version."),
    Rule("unknown-key", "A key the manifest format does not have."),
    Rule("no-events", "The manifest has neither events nor source.", Severity.WARNING),
    Rule("placeholder", "A placeholder that acdload init wrote is still there."),
    Rule("key", "The key is not a list of distinct event fields the server echoes back."),
    Rule("key-mismatch", "Two manifests of one load use different keys."),
    Rule("timezone", "timezone is not an IANA time zone name."),
    Rule("phone-region", "The phone region is not a country code with a numbering plan."),
    Rule("template", "A template that is not text."),
    Rule("template-syntax", "A template Jinja cannot parse."),
    Rule("source", "The source section cannot be used as written."),
    Rule("source-outside-root", "A file a manifest names lies outside the manifest root."),
    Rule("unmapped-column", "A column of a source CSV file that columns does not name."),
    Rule("format-pattern", "A date, time or datetime format that is not a strptime pattern."),
    # Event fields
    Rule("required", "A required event field is given by no event, template or default."),
    Rule("unknown-field", "A field that is not an event field."),
    Rule("type", "A value of the wrong type, e.g. a whole number not written in digits."),
    Rule("empty", "A text field given as empty text."),
    Rule("max-length", "A text longer than its field allows."),
    Rule("positive-id", "An ID field below 1."),
    Rule("id-range", "An ID field above 2147483647."),
    Rule("priority-range", "nPriority outside 0-200."),
    Rule("subject-blank", "Subject is only white space."),
    Rule("crm-url", "CrmURL is not an absolute http:// or https:// URL."),
    Rule("target-form", "The event names no group, both forms, or half of a pair."),
    Rule("body-callback-only", "Body on an event that is not a Callback."),
    Rule("key-unmatchable", "The key includes AcdGroupsID for a configuration-group event."),
    # Appointments
    Rule("date-format", "dtAppointmentDate not written as yyyy-mm-dd or yyyymmdd."),
    Rule("time-format", "dtAppointmentTime not written as hh:mm or hhmm, 00:00-23:59."),
    Rule("datetime-format", "A dtAppointment cell that does not match datetime_format."),
    Rule("date-invalid", "A date that is not in the calendar."),
    Rule("time-nonexistent", "A time skipped on that day when daylight saving time starts."),
    Rule("appointment-past", "The appointment is in the past.", Severity.WARNING),
    # Phone numbers
    Rule("phone-format", "A VoiceMail or Callback Sender or Receiver that is no phone number."),
    Rule("phone-national", "A national-format number without a phone region."),
    Rule("phone-impossible", "A phone number that cannot exist."),
    Rule("phone-unassigned", "A phone number in no assigned range.", Severity.WARNING),
    Rule("phone-spreadsheet-number", "A phone number a spreadsheet turned into a number."),
    # Templates
    Rule("template-render", "A template failed for an event."),
    Rule("template-limit", "A template went past a size, depth or time limit."),
    # The load
    Rule("duplicate-key", "Two events of the load have the same key."),
    # Calling hours, holidays and double bookings (in the order checks: lists them)
    Rule(
        "outside-calling-hours",
        "An appointment outside the customer's calling hours.",
        configurable=True,
    ),
    Rule("holiday", "An appointment on a public holiday.", configurable=True),
    Rule(
        "double-booked",
        "A customer booked twice within double_booking.",
        Severity.WARNING,
        configurable=True,
    ),
    Rule(
        "already-open",
        "The customer already has an open event of the type on the server.",
        Severity.WARNING,
        configurable=True,
    ),
    Rule("calling-hours-syntax", "calling_hours cannot be read.", configurable=True),
    Rule("unknown-holidays", "holidays names no known country or subdivision.", configurable=True),
    Rule("double-booking-syntax", "double_booking is not a duration.", configurable=True),
    Rule("checks-syntax", "An entry of checks cannot be read."),
)
"""Every rule, declared once: the checks name them, SARIF describes them, the docs explain
them, and a problem naming any other rule is refused."""


@dataclass(frozen=True, slots=True)
class Problem:
    location: Location
    severity: Severity
    rule: str
    message: str
    field: str | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(
                f"unknown rule {self.rule!r}: declare it in acdload.problems.RULES "
                "and document it in docs/manifest.md"
            )

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "severity": self.severity.value,
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
        }


def error(location: Location, rule: str, message: str, field: str | None = None) -> Problem:
    return Problem(location, Severity.ERROR, rule, message, field)


def warning(location: Location, rule: str, message: str, field: str | None = None) -> Problem:
    return Problem(location, Severity.WARNING, rule, message, field)


def sort_key(problem: Problem) -> tuple[str, int, int]:
    """Report order: by file, then line, then column, as a reader scans a file."""
    loc = problem.location
    return (loc.file, loc.line, loc.column or 0)


def strict(problems: list[Problem]) -> list[Problem]:
    """``--strict``: every warning becomes an error, message and location unchanged."""
    return [
        Problem(p.location, Severity.ERROR, p.rule, p.message, p.field) if not p.is_error else p
        for p in problems
    ]
