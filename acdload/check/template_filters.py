"""The ``date`` and ``time`` filters: appointment dates and times written either way.

Their results are cached: a load's events share a handful of dates. Only short inputs
are, since 4,096 cached results of long ones would outlive the events that made them and
fill memory.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from acdload.check.template_limits import check_format_width


def _parse_day(value: object) -> date:
    if isinstance(value, date):
        return value
    text = str(value).replace("-", "")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise ValueError(f"date filter: {value!r} is not a yyyy-mm-dd or yyyymmdd date") from None


@lru_cache(maxsize=4096)
def _date_text(value: object, fmt: str) -> str:
    check_format_width(fmt)
    return _parse_day(value).strftime(fmt)


@lru_cache(maxsize=4096)
def _time_text(value: object, fmt: str) -> str:
    check_format_width(fmt)
    text = str(value).replace(":", "")
    try:
        moment = datetime(2000, 1, 1, int(text[:2]), int(text[2:4]))
    except ValueError:
        raise ValueError(f"time filter: {value!r} is not an hh:mm or hhmm time") from None
    return moment.strftime(fmt)


def _short(value: object) -> bool:
    return not isinstance(value, str) or len(value) <= 64


def format_date(value: object, fmt: str = "%Y-%m-%d") -> str:
    """``{{ dtAppointmentDate|date('%d.%m.%Y') }}``: a date written either way, reformatted."""
    if _short(value) and _short(fmt):
        return _date_text(value, fmt)
    return _date_text.__wrapped__(value, fmt)


def format_time(value: object, fmt: str = "%H:%M") -> str:
    """``{{ dtAppointmentTime|time('%H.%M') }}``: a time written hh:mm or hhmm, reformatted."""
    if _short(value) and _short(fmt):
        return _time_text(value, fmt)
    return _time_text.__wrapped__(value, fmt)
