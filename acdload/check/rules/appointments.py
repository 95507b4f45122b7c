"""Appointments: real calendar dates, local times that exist, moments already past.

The schema checks the written forms (``yyyy-mm-dd``/``yyyymmdd``, ``hh:mm``/``hhmm``); only
code can tell that 2027-02-30 is no date, that 02:30 does not exist in Berlin on the night
clocks spring forward, or that an appointment is already behind us in the server's zone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from acdload.problems import RULES


@dataclass(frozen=True, slots=True)
class AppointmentIssue:
    field: str
    rule: str
    message: str

    @property
    def is_error(self) -> bool:
        """As the catalogue says: an appointment in the past only warns."""
        return RULES[self.rule].is_error


def parse_date(written: str) -> date | None:
    digits = written.replace("-", "")
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def parse_time(written: str) -> time:
    digits = written.replace(":", "")
    return time(int(digits[:2]), int(digits[2:4]))


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None when there is none by that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_zone() -> tzinfo:
    """This machine's zone, by IANA name where it can be found (needed to see DST gaps)."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        found = zone(name) if name else None
        if found is not None:
            return found
    return datetime.now().astimezone().tzinfo or UTC


@lru_cache(maxsize=65536)
def check(
    written_date: str | None, written_time: str | None, tz: tzinfo, now: datetime
) -> AppointmentIssue | None:
    """The issue with one appointment (already format-checked), or None.

    Cached: a campaign has many events but few distinct appointment slots.
    """
    if written_date is None:
        return None  # no appointment, or a time alone: the server takes its next occurrence
    day = parse_date(written_date)
    if day is None:
        return AppointmentIssue(
            "dtAppointmentDate",
            "date-invalid",
            f"dtAppointmentDate {written_date!r} is not a calendar date; check day and month",
        )
    at = parse_time(written_time) if written_time is not None else time(0, 0)
    local = datetime.combine(day, at)
    moment = local.replace(tzinfo=tz)
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        return AppointmentIssue(
            "dtAppointmentTime",
            "time-nonexistent",
            f"{local:%Y-%m-%d %H:%M} does not exist in {tz} (the clocks skip that hour "
            "when daylight saving time starts); pick a time outside the gap",
        )
    if moment < now:
        return AppointmentIssue(
            "dtAppointmentDate",
            "appointment-past",
            f"the appointment {local:%Y-%m-%d %H:%M} ({tz}) is in the past; apply does not "
            "send it (with --allow-past the server rings it at once); use --now to validate "
            "as of another moment",
        )
    return None
