"""Phone numbers: normalise what people write to jtel's E.164 digits, then ask libphonenumber
whether such a number can exist.

jtel writes E.164 as digits only, country code first, no ``+`` (``49199123456789``).
People write ``+49 170 1234567``, ``0049-170/1234567`` or let a spreadsheet turn the
number into ``4.91701E+11``. The first two are normalised; the last is refused, because
the digits it lost cannot be recovered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneNumber

_SEPARATORS = re.compile(r"[\s\-/().]")
_DIGITS = re.compile(r"[0-9]+")
_SPREADSHEET_NUMBER = re.compile(r"[0-9]+\.[0-9]+|[0-9](?:[.,][0-9]+)?[eE][+-]?[0-9]+")


class PhoneVerdict(Enum):
    VALID = "valid"
    UNASSIGNED = "unassigned"  # could exist, but no carrier range holds it
    IMPOSSIBLE = "impossible"  # unknown country code or a length no number there has


@dataclass(frozen=True, slots=True)
class PhoneIssue:
    rule: str
    message: str


def normalise(written: str) -> tuple[str, PhoneIssue | None]:
    """Return the E.164 digits for ``written``, or the text as written and why not.

    A value that is not a phone number at all is returned unchanged without an issue: the
    schema's phone-format rule reports it, with its own hint.
    """
    text = written.strip()
    if _SPREADSHEET_NUMBER.fullmatch(text):
        return text, PhoneIssue(
            "phone-spreadsheet-number",
            f"{text!r} looks like a number a spreadsheet converted (digits may be lost); "
            "format the column as text before exporting, and write the number in full",
        )
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("+"):
        compact = compact[1:]
    elif compact.startswith("00"):
        compact = compact[2:]
    elif compact.startswith("0") and _DIGITS.fullmatch(compact):
        return text, PhoneIssue(
            "phone-national",
            f"{text!r} is written in national format (leading 0); write it with its "
            "country code, e.g. +49 170 1234567 or 491701234567",
        )
    if _DIGITS.fullmatch(compact):
        return compact, None
    return text, None


@lru_cache(maxsize=65536)
def classify(digits: str) -> PhoneVerdict:
    """Whether E.164 ``digits`` can exist, using libphonenumber's metadata.

    Building the PhoneNumber directly from the country code skips ``phonenumbers.parse``,
    which costs more than the check itself; national numbers with a leading zero (Italy)
    still go through ``parse`` so that zero is kept.
    """
    number = _from_digits(digits)
    if number is None:
        return PhoneVerdict.IMPOSSIBLE
    if phonenumbers.is_valid_number(number):
        return PhoneVerdict.VALID
    if phonenumbers.is_possible_number(number):
        return PhoneVerdict.UNASSIGNED
    return PhoneVerdict.IMPOSSIBLE


def _from_digits(digits: str) -> PhoneNumber | None:
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            national = digits[length:]
            if not national:
                return None
            if national.startswith("0"):
                try:
                    return phonenumbers.parse("+" + digits, None)
                except phonenumbers.NumberParseException:
                    return None
            return PhoneNumber(country_code=code, national_number=int(national))
    return None


def check(field: str, digits: str) -> PhoneIssue | None:
    """The problem with E.164 ``digits`` in ``field``, or None when it is a real number."""
    verdict = classify(digits)
    if verdict is PhoneVerdict.IMPOSSIBLE:
        return PhoneIssue(
            "phone-impossible",
            f"{field} {digits} cannot be a phone number (unknown country code or impossible "
            "length); check the country code and the number of digits",
        )
    if verdict is PhoneVerdict.UNASSIGNED:
        return PhoneIssue(
            "phone-unassigned",
            f"{field} {digits} could exist but is in no assigned number range; "
            "check it is the number you mean",
        )
    return None
