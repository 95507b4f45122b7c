"""The appointments of a load per day and hour: how the callbacks spread over a campaign.

The HTML report draws them as a grid, a row per day and a column per hour, each cell shaded
by its count: hand-written SVG, so the page needs no chart library and loads nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from html import escape
from typing import Any

from acdload.check.rules.appointments import parse_date, parse_time

MAX_DAYS = 400
"""Rows drawn at most; a campaign is weeks long, and a page of a thousand rows helps nobody."""

LEVELS = 5  # shades of a cell, from the fewest appointments to the most

_APPOINTMENT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2}))?")

LABEL_WIDTH = 128
CELL = 32
ROW = 24
GAP = 2
TOTAL_WIDTH = 54


def appointment_of(payload: Mapping[str, Any]) -> str | None:
    """An event's appointment as ``YYYY-MM-DDTHH:MM`` (``YYYY-MM-DD`` without a time) in
    the manifest's own time zone; None when it has none.

    Payloads keep the form the manifest wrote (``20270301``, ``0930``); a report writes one
    form, so that a program (and the chart) reads every appointment the same way.
    """
    written_date = payload.get("dtAppointmentDate")
    day = parse_date(written_date) if isinstance(written_date, str) else None
    if day is None:
        return None
    written_time = payload.get("dtAppointmentTime")
    if isinstance(written_time, str):
        try:
            return f"{day.isoformat()}T{parse_time(written_time):%H:%M}"
        except ValueError:
            pass
    return day.isoformat()


def parse_appointment(text: str) -> tuple[date, int | None] | None:
    """The day and hour of an appointment as :func:`appointment_of` writes it; None when
    ``text`` is not one (the hour is None for a day without a time)."""
    match = _APPOINTMENT.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        moment = date(int(year), int(month), int(day))
    except ValueError:
        return None
    if hour is None:
        return moment, None
    if int(hour) > 23 or int(minute) > 59:
        return None
    return moment, int(hour)


def _level(count: int, most: int) -> int:
    return 0 if count == 0 else max(1, -(-count * LEVELS // most))


def _plural(count: int) -> str:
    return f"{count} appointment{'' if count == 1 else 's'}"


def appointment_chart(appointments: Iterable[str | None]) -> str:
    """The grid as HTML: an ``<svg>`` (every text in it escaped) and a line of notes.

    Rows run from the first day booked to the last, columns from the earliest hour booked
    to the latest; a day's total also counts its appointments without a time.
    """
    slots: Counter[tuple[date, int | None]] = Counter()
    without = 0
    for text in appointments:
        slot = parse_appointment(text) if text is not None else None
        if slot is None:
            without += 1
        else:
            slots[slot] += 1
    if not slots:
        return '<p class="note">No event has an appointment.</p>'
    totals: Counter[date] = Counter()
    for (day, _), count in slots.items():
        totals[day] += count
    booked_days = sorted(totals)
    span = (booked_days[-1] - booked_days[0]).days + 1
    # Every day of the campaign, so a day without callbacks shows as a gap; only the
    # booked days when the campaign is too long for that.
    days = (
        [booked_days[0] + timedelta(days=n) for n in range(span)]
        if span <= MAX_DAYS
        else booked_days
    )
    shown_days = days[:MAX_DAYS]
    booked = sorted({hour for _, hour in slots if hour is not None})
    hours = list(range(booked[0], booked[-1] + 1)) if booked else []
    most = max((count for (_, hour), count in slots.items() if hour is not None), default=1)
    svg = _svg(shown_days, hours, slots, totals, most)
    notes = []
    if len(days) > MAX_DAYS:
        notes.append(f"The first {MAX_DAYS} of {len(days)} days with appointments are shown.")
    untimed = sum(count for (_, hour), count in slots.items() if hour is None)
    if untimed:
        notes.append(f"{_plural(untimed)} without a time (counted in the day's total).")
    if without:
        notes.append(f"{without} event{'' if without == 1 else 's'} without an appointment.")
    note = f'<p class="note">{escape(" ".join(notes))}</p>' if notes else ""
    return svg + note


def _svg(
    days: list[date],
    hours: list[int],
    slots: Counter[tuple[date, int | None]],
    totals: Counter[date],
    most: int,
) -> str:
    width = LABEL_WIDTH + len(hours) * (CELL + GAP) + TOTAL_WIDTH
    height = ROW + GAP + len(days) * (ROW + GAP)
    total_x = LABEL_WIDTH + len(hours) * (CELL + GAP) + 8
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="appointments per day and hour">',
        f'<text class="head" x="{total_x}" y="16">total</text>',
    ]
    for column, hour in enumerate(hours):
        x = LABEL_WIDTH + column * (CELL + GAP) + CELL // 2
        parts.append(f'<text class="head" x="{x}" y="16" text-anchor="middle">{hour:02d}:00</text>')
    for row, day in enumerate(days):
        y = ROW + GAP + row * (ROW + GAP)
        parts.append(
            f'<text class="day" x="0" y="{y + 16}">{day:%a} {day.isoformat()}</text>'
            f'<text class="total" x="{total_x}" y="{y + 16}">{totals[day]}</text>'
        )
        for column, hour in enumerate(hours):
            count = slots.get((day, hour), 0)
            x = LABEL_WIDTH + column * (CELL + GAP)
            tip = f"{day.isoformat()} {hour:02d}:00-{hour:02d}:59: {_plural(count)}"
            parts.append(
                f'<g class="cell l{_level(count, most)}" data-day="{day.isoformat()}" '
                f'data-hour="{hour}" data-count="{count}"><title>{tip}</title>'
                f'<rect x="{x}" y="{y}" width="{CELL}" height="{ROW}" rx="3"/>'
                + (
                    f'<text x="{x + CELL // 2}" y="{y + 16}" text-anchor="middle">{count}</text>'
                    if count
                    else ""
                )
                + "</g>"
            )
    parts.append("</svg>")
    return "".join(parts)
