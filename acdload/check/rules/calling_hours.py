"""Calling hours: when a callback may ring, as the manifest's ``calling_hours`` key says.

```yaml
calling_hours:
  mon-fri: "08:00-20:00"   # day names mon..sun, ranges a-b, comma lists (sat,sun)
  sat: "09:00-14:00"       # a day not named has no calling hours
  types: [3]               # event types it applies to (default [3], callbacks)
```

A range runs from its start up to, not including, its end (``08:00-20:00`` lets a callback
ring at 19:59, not at 20:00); ``24:00`` ends a range at midnight. A range never crosses
midnight: ``22:00-02:00`` is written as two days' ranges. Each day is named once: a day
with two entries would leave the reader guessing which one was meant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from acdload.check.rules.severities import KeyIssue, shown, text_of, then
from acdload.manifest.model import suggest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in ``date.weekday()`` order."""

DEFAULT_TYPES = frozenset({3})
"""Callbacks: the event type that rings a customer at its appointment."""

RULE = "calling-hours-syntax"
HOW = 'name days mon..sun, ranges (mon-fri) or lists (sat,sun), each with "HH:MM-HH:MM", e.g. mon-fri: "08:00-20:00"'

_RANGE = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
_TYPE = re.compile(r"[1-9][0-9]{0,9}")
_MIDNIGHT = 24 * 60
_MAX_TYPE = 2**31  # event type IDs are 32-bit on the server


@dataclass(frozen=True, slots=True)
class Hours:
    """One day's calling hours, in minutes after midnight, and the days of its entry."""

    start: int
    end: int
    days: str  # "mon-fri": the entry's key, as the manifest wrote it (tidied)

    @property
    def written(self) -> str:
        """The entry as a message shows it: ``mon-fri 08:00-20:00``."""
        return f"{self.days} {clock(self.start)}-{clock(self.end)}"


@dataclass(frozen=True, slots=True)
class CallingHours:
    days: tuple[Hours | None, ...]  # by date.weekday(); None: no calling hours that day
    types: frozenset[int] = DEFAULT_TYPES

    def allows(self, weekday: int, minute: int) -> bool:
        """Whether a call may ring at ``minute`` after midnight on ``weekday`` (0: Monday)."""
        hours = self.days[weekday]
        return hours is not None and hours.start <= minute < hours.end

    def describe(self) -> str:
        """Every entry once, in the order of the week (``mon-fri 08:00-20:00, sat ...``)."""
        return ", ".join(dict.fromkeys(h.written for h in self.days if h is not None))


def parse_calling_hours(value: object) -> tuple[CallingHours | None, list[KeyIssue]]:
    """The calling hours ``value`` (as YAML gave it) means, and what is wrong with it.

    None when the key is absent or nothing usable was written; never raises on user input.
    """
    if value is None:
        return None, []
    if not isinstance(value, Mapping):
        return None, [_issue(f"calling_hours must be a mapping, not {shown(value)}; {HOW}")]
    issues: list[KeyIssue] = []
    days: list[Hours | None] = [None] * len(DAYS)
    types = DEFAULT_TYPES
    for key, written in value.items():
        spec = text_of(key)
        if spec == "types":
            types = _read_types(written, issues)
            continue
        named = _read_days(spec, issues)
        name = ",".join(named[0]) if named is not None else shown(spec)
        span = _read_range(spec, name, written, issues)
        if named is None or span is None:
            continue
        entry = Hours(span[0], span[1], name)
        for day in named[1]:
            earlier = days[day]
            if earlier is not None:
                issues.append(
                    _issue(
                        f"calling_hours names {DAYS[day]} twice ({earlier.days} and "
                        f"{entry.days}); name each day once",
                        spec,
                    )
                )
            else:
                days[day] = entry
    if not any(days) and not issues:
        issues.append(_issue(f"calling_hours names no day, so no callback could ever ring; {HOW}"))
    if not any(days):
        return None, issues
    return CallingHours(tuple(days), types), issues


def _read_days(spec: str, issues: list[KeyIssue]) -> tuple[list[str], list[int]] | None:
    """The parts of a key such as ``mon-fri`` or ``sat,sun`` (tidied) and the weekdays it
    names (a range may wrap: ``fri-mon``); None when a name is not a day's."""
    parts: list[str] = []
    named: list[int] = []
    for part in spec.split(","):
        ends = [name.strip().lower() for name in part.split("-")]
        unknown = [name for name in ends if name not in DAYS]
        if len(ends) > 2 or unknown:
            wrong = unknown[0] if unknown else part.strip()
            issues.append(
                _issue(
                    then(
                        f"calling_hours: {shown(wrong)} is not a day or a range of days"
                        + suggest(wrong, (*DAYS, "types")),
                        HOW,
                    ),
                    spec,
                )
            )
            return None
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        count = (last - first) % len(DAYS) + 1
        days = [(first + step) % len(DAYS) for step in range(count)]
        repeated = sorted(set(days) & set(named))
        if repeated:
            issues.append(
                _issue(f"calling_hours: {shown(spec)} names {DAYS[repeated[0]]} twice; {HOW}", spec)
            )
            return None
        named.extend(days)
        parts.append("-".join(ends))
    return parts, named


def _read_range(
    spec: str, name: str, written: object, issues: list[KeyIssue]
) -> tuple[int, int] | None:
    """``"HH:MM-HH:MM"`` in minutes after midnight, or None (with the issue) when unreadable.

    ``name`` is how a message names the entry (its days, or its key quoted if unreadable).
    """
    found = _RANGE.fullmatch(written) if isinstance(written, str) else None
    if found is None:
        issues.append(
            _issue(f"calling_hours: {name} is {shown(written)}, not a range; {HOW}", spec)
        )
        return None
    start_h, start_m, end_h, end_m = (int(group) for group in found.groups())
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start_h > 23 or start_m > 59 or end_m > 59 or end > _MIDNIGHT:
        issues.append(
            _issue(
                f"calling_hours: {name} {shown(written)} is no time of day; times go from 00:00 "
                "to 23:59 (24:00 ends a range at midnight)",
                spec,
            )
        )
        return None
    if end <= start:
        issues.append(
            _issue(
                f"calling_hours: {name} {shown(written)} ends before it starts; a range never "
                f'crosses midnight: write "22:00-24:00" for one day and "00:00-02:00" for the next',
                spec,
            )
        )
        return None
    return start, end


def _read_types(written: object, issues: list[KeyIssue]) -> frozenset[int]:
    items = written if isinstance(written, list) else [written]
    types = [_event_type(item) for item in items]
    if not items or None in types:
        wrong = items[types.index(None)] if items else written
        issues.append(
            _issue(
                f"calling_hours: types has {shown(wrong)}; write the event types it applies to "
                "as a list of whole numbers, e.g. types: [3] (3 is Callback)",
                "types",
            )
        )
        return DEFAULT_TYPES
    return frozenset(t for t in types if t is not None)


def _event_type(item: object) -> int | None:
    """An event type written as a number or as digits (a YAML reader may give either)."""
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item if 0 < item < _MAX_TYPE else None
    if isinstance(item, str) and _TYPE.fullmatch(item.strip()):
        return int(item)
    return None


def clock(minute: int) -> str:
    """``minute`` after midnight as ``HH:MM``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _issue(message: str, key: str | None = None) -> KeyIssue:
    return KeyIssue(RULE, message, ("calling_hours",) if key is None else ("calling_hours", key))
