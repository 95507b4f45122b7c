"""The customer's clock: the time zones a phone number is in, by libphonenumber's metadata.

A callback booked for 09:00 in Berlin rings at 03:00 in New York. libphonenumber maps a
number to the zones of its country code, its area code or its number type (a toll-free
+1 800 number, or a Russian mobile, could be anywhere in the country). A number it cannot
place gets no zone: the caller then judges in the manifest's own zone.

Looked up per country code wherever the metadata gives every number of that code the same
zones (all but about twenty codes: +49, +33, ...), so a load of German numbers costs one
dictionary look-up per event; only numbers of codes whose zones differ (+1, +7, +61, ...)
are looked up one by one, as libphonenumber's ``time_zones_for_number`` does, and cached.
"""

from __future__ import annotations

from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers.timezone import UNKNOWN_TIMEZONE, time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA

from acdload.check.rules.appointments import zone
from acdload.check.rules.phones import country_code

Zones = tuple[ZoneInfo, ...]


def customer_zones(digits: str) -> Zones:
    """The zones of the number with E.164 ``digits`` (no ``+``); () when none is known."""
    if not (digits.isascii() and digits.isdigit()):
        return ()
    shared = _zones_of_code(digits[:3])
    return shared if shared is not None else _zones_of_number(digits)


@cache
def _zones_of_code(head: str) -> Zones | None:
    """The zones every number starting with ``head`` (its first three digits) shares, by
    its country code; None when numbers of that code are in different zones."""
    code = country_code(head)
    if code is None:
        return ()
    prefix = str(code)
    found = {zones for key, zones in TIMEZONE_DATA.items() if key.startswith(prefix)}
    if len(found) > 1:
        return None
    return _known(found.pop()) if found else ()


@lru_cache(maxsize=65536)
def _zones_of_number(digits: str) -> Zones:
    number = _number(digits)
    return _known(time_zones_for_number(number)) if number is not None else ()


def _known(names: tuple[str, ...]) -> Zones:
    zones = (zone(name) for name in names if name != UNKNOWN_TIMEZONE)
    return tuple(found for found in zones if isinstance(found, ZoneInfo))


@lru_cache(maxsize=4096)
def display_number(digits: str) -> str:
    """``12125550100`` as people read it in a message: ``+1 212 555 0100``."""
    number = _number(digits)
    if number is None:
        return "+" + digits
    written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return str(written).replace("-", " ")


def _number(digits: str) -> phonenumbers.PhoneNumber | None:
    """E.164 ``digits`` (ASCII digits) as libphonenumber's number, built directly: parsing
    what is already E.164 would double the cost."""
    code = country_code(digits) if digits.isascii() and digits.isdigit() else None
    national = digits[len(str(code)) :] if code is not None else ""
    if code is None or not national:
        return None
    if not national.startswith("0"):
        return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    try:  # a leading 0 is kept only in a few countries (Italy): parse knows which
        return phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
