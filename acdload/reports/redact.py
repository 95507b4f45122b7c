"""Masking personal data in human-readable output (``--redact``).

Plans and progress lines end up in public CI logs and pull-request comments; the phone
numbers and e-mail addresses of the people to call back must not. Masking keeps enough of
a value to tell two lines apart (the country and area prefix, the last two digits, the
mail domain) and nothing that identifies a person.

Only human-readable output is redacted. JSON output and plan files are data that a
program consumes; they keep every value (plan files are written readable by their owner
only for that reason).
"""

from __future__ import annotations

import re

MASK = "*"

_MIN_PHONE_DIGITS = 7
"""Fewer digits than this is a count, an ID or a ticket number, not a phone number."""

_PHONE = re.compile(
    r"(?<![0-9A-Za-z])"  # not the tail of a word or of a longer number
    r"(?:\+|00)?[0-9](?:[0-9]|[ \-/()](?=[0-9(]))*[0-9]"
    r"(?![0-9A-Za-z])"
)
"""A run of digits, optionally with one separator (space, dash, slash, parenthesis)
between them, as people write numbers: ``+49 170 1234567``, ``(0170) 123-45-67``."""

_DATE = re.compile(
    r"(?:19|20)[0-9]{2}(?P<sep>-?)(?:0[1-9]|1[0-2])(?P=sep)(?:0[1-9]|[12][0-9]|3[01])"
)
"""``2027-03-01`` and ``20270301`` look like numbers, but appointments are not personal."""

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)")


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < _MIN_PHONE_DIGITS or _DATE.fullmatch(text):
        return text
    keep_head = 4 if digits >= 10 else 2
    keep_tail = 2
    seen = 0
    out = []
    for ch in text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= keep_head or seen > digits - keep_tail else MASK)
        else:
            out.append(ch)
    return "".join(out)


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    return f"{local[0]}{MASK * 3}@{domain}"


def redact(text: str) -> str:
    """``text`` with phone numbers and e-mail addresses masked.

    ``+49 170 1234567`` becomes ``+49 17* *****67``; ``anna.schmidt@example.com``
    becomes ``a***@example.com``. Dates (``2027-03-01``, ``20270301``) and numbers of
    fewer than seven digits are left alone.
    """
    if "@" in text:
        text = _EMAIL.sub(_mask_email, text)
    return _PHONE.sub(_mask_phone, text)


def identity(text: str) -> str:
    """What reporters use instead of :func:`redact` when ``--redact`` is not given."""
    return text
