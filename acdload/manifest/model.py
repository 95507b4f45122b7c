"""The manifest model: events in submission order, each knowing where it was written.

Readers produce text; this module gives it the meaning of event fields. Field facts come
from the event schema (``acdload.check.schema``), never from a second list kept here.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from jinja2 import Template

from acdload.check.schema import event_fields
from acdload.manifest.appointment_formats import AppointmentFormat
from acdload.manifest.sources import Mark, Plain, YList, YMap
from acdload.problems import Location
from acdload.safetext import quote

if TYPE_CHECKING:  # the rules read manifests' values: importing them here would be a cycle
    from acdload.check.rules.callability import Callability
    from acdload.check.rules.severities import Severities

DEFAULT_KEY = ("AcdEventTypesID", "Sender", "UserData")
KEYABLE_FIELDS = frozenset(
    {
        "AcdEventTypesID",
        "AcdGroupsID",
        "UsersID",
        "Sender",
        "Receiver",
        "Subject",
        "CrmURL",
        "UserData",
    }
)
"""Fields the server echoes back in its event records, so a key made of them can be found."""

PHONE_TYPES = frozenset({1, 3})
"""VoiceMail and Callback: their Sender and Receiver are telephone numbers."""
PHONE_FIELDS = ("Sender", "Receiver")

_INTEGER = re.compile(r"[+-]?[0-9]+")
MAX_INTEGER_DIGITS = 20
"""Digits of the longest whole number a field is read as (any 64-bit number fits): longer
ones are refused as written, never handed to ``int()``, which refuses more than 4,300
digits with a ValueError and takes quadratic time below that."""


@dataclass(slots=True)
class TemplateSpec:
    field: str
    source: str
    location: Location
    template: Template | None  # None when it did not compile (a problem says why)
    uses: frozenset[str] = frozenset()  # the names it reads: fields, vars, index


@dataclass(slots=True)
class Manifest:
    """One file of a load: a YAML manifest, or a standalone CSV file."""

    display: str
    key: tuple[str, ...] = DEFAULT_KEY
    key_location: Location | None = None
    timezone: tzinfo | None = None
    phone_region: str | None = None  # ISO 3166 alpha-2: where national numbers are dialled
    phone_region_unread: bool = False
    """Its phone_region is no region (a problem says so): national numbers are not told again."""
    defaults: dict[str, Any] = field(default_factory=dict)
    default_locations: dict[str, Location] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    templates: dict[str, TemplateSpec] = field(default_factory=dict)
    csv_display: str | None = None  # the CSV file the events (or the later ones) come from
    csv_columns: dict[str, tuple[int, str]] = field(default_factory=dict)  # field -> (col, header)
    csv_vars: dict[str, int] = field(default_factory=dict)  # var name -> column index (0-based)
    csv_formats: dict[int, AppointmentFormat] = field(default_factory=dict)  # column -> its form
    unread: set[str] = field(default_factory=set)
    """Fields a default or CSV column meant to give but could not (a problem says why)."""
    callability: Callability | None = None
    """Its calling_hours, holidays and double_booking, ready to judge its events."""
    checks: Severities | None = None
    """The rules' severities its ``checks:`` key sets; None: every rule at its default."""


@dataclass(slots=True)
class Event:
    """One event as written: typed field values and its own vars, before rendering."""

    index: int
    manifest: Manifest
    line: int
    values: dict[str, Any]
    vars: dict[str, Any] | None = None
    marks: dict[str, Mark] | None = None  # YAML events: where each value was written
    from_csv: bool = False
    unread: frozenset[str] = frozenset()
    """Fields written for this event whose value could not be read (a problem says why)."""

    @property
    def location(self) -> Location:
        return Location(self.file, self.line)

    @property
    def file(self) -> str:
        if self.from_csv and self.manifest.csv_display is not None:
            return self.manifest.csv_display
        return self.manifest.display

    def locate(self, field_name: str | None) -> Location:
        """Where ``field_name`` was written for this event (the event itself if it was not)."""
        if field_name is None:
            return self.location
        if self.marks is not None and field_name in self.marks:
            line, column = self.marks[field_name]
            return Location(self.file, line, column)
        if self.from_csv and field_name in self.manifest.csv_columns:
            return Location(self.file, self.line, self.manifest.csv_columns[field_name][0] + 1)
        return self.location

    def not_read(self) -> frozenset[str]:
        """Fields this event meant to set but could not: later checks stay quiet about them."""
        if not self.manifest.unread:
            return self.unread
        return self.unread | {n for n in self.manifest.unread if n not in self.values}

    def csv_header(self, field_name: str | None) -> str | None:
        """The CSV column ``field_name`` was read from, for an event from a CSV row."""
        if not self.from_csv or field_name is None:
            return None
        found = self.manifest.csv_columns.get(field_name)
        return found[1] if found is not None else None


def closest(word: str, choices: object) -> str | None:
    """The name among ``choices`` that ``word`` is most likely a misspelling of, if any."""
    names = [str(choice) for choice in choices]  # type: ignore[attr-defined]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if not close:
        lowered = {name.lower(): name for name in names}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return close[0] if close else None


def suggest(word: str, choices: object) -> str:
    """A "did you mean" suffix for a misspelt name, or nothing when none is close (the
    choices may be file content, such as a CSV file's headers: quoted)."""
    found = closest(word, choices)
    return f"; did you mean {quote(found)}?" if found else ""


def describe(value: object) -> str:
    if isinstance(value, YMap | dict):
        return "a mapping"
    if isinstance(value, YList | list):
        return "a list"
    return quote(str(value))


def coerce(field_name: str, raw: object) -> tuple[Any, str | None]:
    """The field's typed value from what was written, or None and a message saying why not.

    Integer fields take decimal digits (a leading zero is refused: YAML 1.1 reads ``0235``
    as octal, so it is ambiguous); text fields keep exactly the text written.
    """
    if raw is None:
        return None, None
    if isinstance(raw, YMap | YList):
        return None, f"{field_name} must be a single value, not {describe(raw)}"
    text = str(raw)
    if field_name in event_fields().integers:
        stripped = text.strip()
        if not _INTEGER.fullmatch(stripped):
            return None, f"{field_name} must be a whole number written in digits, not {quote(text)}"
        digits = stripped.lstrip("+-")
        if len(digits) > MAX_INTEGER_DIGITS:
            return None, (
                f"{field_name} {quote(text, 24)} has {len(digits):,} digits, far more than any "
                "value of the field (IDs go up to 2147483647): check the value"
            )
        if len(digits) > 1 and digits.startswith("0"):
            return None, f"{field_name} {quote(text)} has a leading zero; write {int(stripped)}"
        return int(stripped), None
    return text, None


def plain_value(raw: object) -> Any:
    """A manifest-level scalar (``vars`` values) read as YAML 1.2's core schema reads it.

    ``true``/``false``, decimal integers without leading zeros and decimal floats get their
    type (templates compare them); everything else, ``0041…`` and ``yes`` included, stays
    the text written.
    """
    if isinstance(raw, YMap):
        return {k: plain_value(v) for k, v in raw.items()}
    if isinstance(raw, YList):
        return [plain_value(v) for v in raw]
    if not isinstance(raw, Plain):
        return raw
    if raw in ("true", "True", "TRUE"):
        return True
    if raw in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"-?(?:0|[1-9][0-9]*)", raw) and _int_convertible(raw):
        return int(raw)
    if re.fullmatch(r"-?(?:0|[1-9][0-9]*)\.[0-9]+", raw):
        return float(raw)
    return str(raw)


def _int_convertible(digits: str) -> bool:
    """Whether ``int()`` takes ``digits``: Python refuses more than 4,300 digits (by default),
    and a var that long stays the text written rather than stopping the run."""
    limit = sys.get_int_max_str_digits()
    return not limit or len(digits.lstrip("-")) <= limit
