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
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumber

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
    """Whether E.164 ``digits`` can exist, by libphonenumber's metadata.

    Most numbers take the fast path (``_matches_a_type``); the library's own calls decide
    the rest and every number that is not valid.
    """
    code, national = _split(digits)
    if code is None or not national:
        return PhoneVerdict.IMPOSSIBLE
    if not national.startswith("0"):
        fast = _matches_a_type(code, national)
        if fast:
            return PhoneVerdict.VALID
    number = _number(code, national)
    if number is None:
        return PhoneVerdict.IMPOSSIBLE
    if phonenumbers.is_valid_number(number):
        return PhoneVerdict.VALID
    if phonenumbers.is_possible_number(number):
        return PhoneVerdict.UNASSIGNED
    return PhoneVerdict.IMPOSSIBLE


def _split(digits: str) -> tuple[int | None, str]:
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[length:]
    return None, ""


def _number(code: int, national: str) -> PhoneNumber | None:
    if national.startswith("0"):  # Italian-style leading zero: let parse keep it
        try:
            return phonenumbers.parse(f"+{code}{national}", None)
        except phonenumbers.NumberParseException:
            return None
    return PhoneNumber(country_code=code, national_number=int(national))


_TYPE_DESCS = (  # the common types first: validity only asks whether any type matches
    "mobile",
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


@cache
def _type_patterns(code: int) -> tuple[tuple[frozenset[int], re.Pattern[str]], ...] | None:
    """Compiled (lengths, pattern) of the general and each number type of a country code.

    None for codes shared by several regions (+1, +7, +44 ...), where the region must be
    found first: the library does that.
    """
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    if len(regions) != 1:
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
    if metadata is None:
        return None
    compiled = []
    for name in ("general_desc", *_TYPE_DESCS):
        desc = getattr(metadata, name)
        if desc is None or not desc.national_number_pattern:
            continue
        compiled.append(
            (frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern))
        )
    return tuple(compiled)


def _matches_a_type(code: int, national: str) -> bool:
    """libphonenumber's validity test (the general pattern, then any number type's),
    with the patterns compiled once instead of looked up on every match."""
    patterns = _type_patterns(code)
    if not patterns:
        return False
    length = len(national)

    def matches(lengths: frozenset[int], pattern: re.Pattern[str]) -> bool:
        return (not lengths or length in lengths) and pattern.fullmatch(national) is not None

    general, *types = patterns
    return matches(*general) and any(matches(*desc) for desc in types)


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
