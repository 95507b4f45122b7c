"""Durations as people write them in a manifest: ``90m``, ``2h``, ``1d``, ``1h30m``.

A bare number is refused: whether ``90`` means minutes or seconds is a guess, and a wrong
guess turns a double-booking window of an hour and a half into one of a minute and a half.
"""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"([0-9]{1,4})\s*([dhm])")
_WHOLE = re.compile(r"(?:[0-9]{1,4}\s*[dhm]\s*)+")
_UNIT_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}
LONGEST = timedelta(days=366)
"""More than a year is no booking window but a typo; it would also flag every repeat call."""

HOW = "write a duration as a number with a unit: 90m, 2h, 1d (or 1h30m)"


def parse_duration(written: object) -> tuple[timedelta | None, str | None]:
    """The duration ``written`` means, or None and why it cannot be read (never raises)."""
    text = written.strip().lower() if isinstance(written, str) else None
    if not text or not _WHOLE.fullmatch(text):
        return None, HOW
    minutes = sum(int(count) * _UNIT_MINUTES[unit] for count, unit in _PART.findall(text))
    if minutes == 0:
        return None, "it must be longer than 0; " + HOW
    if minutes > LONGEST // timedelta(minutes=1):
        return None, "it must be at most 366d; " + HOW
    return timedelta(minutes=minutes), None


def describe(duration: timedelta) -> str:
    """``duration`` as this module reads it back (``1h 30m``), for messages."""
    minutes = duration // timedelta(minutes=1)
    days, rest = divmod(minutes, _UNIT_MINUTES["d"])
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return " ".join(part for part in parts if part) or "0m"
