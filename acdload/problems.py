"""Problems are values carried with their location, never exceptions that stop a run.

Every stage (read, validate, render) appends to one list so that a single run reports
everything wrong with a load, as check-jsonschema does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
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
class Problem:
    location: Location
    severity: Severity
    rule: str
    message: str
    field: str | None = None

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
