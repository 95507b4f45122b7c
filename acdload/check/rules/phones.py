"""Phone numbers: normalise what people write to jtel's E.164 digits, then ask libphonenumber
whether such a number can exist.

jtel writes E.164 as digits only, country code first, no ``+`` (``49199123456789``).
People write ``+49 170 1234567``, ``0049-170/1234567``, ``0170 1234567`` (national, in a
known country) or let a spreadsheet turn the number into ``4.91701E+11``. The first three
are normalised; the last is refused, because the digits it lost cannot be recovered.

Which form a number is in is decided by how it starts, never guessed: ``+`` or ``00`` is
international; the phone region's national prefix (``0`` in Germany), or a ``0`` that no
country code starts with, is national and needs a region to be read in; bare digits are
jtel's own form, country code first, whatever the region.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    PhoneMetadata,
    PhoneNumber,
    ValidationResult,
)

from acdload.check.rules.phone_lengths import TYPE_DESCS, wrong_length
from acdload.safetext import quote

_SEPARATORS = re.compile(r"[\s\-/().]")
_DIGITS = re.compile(r"[0-9]+")
# 491701234567.0 (a float), 4.91701E+11 (scientific), and the same with a German Excel's
# decimal comma (491701234567,00): commas with other digits are no spreadsheet's doing.
_SPREADSHEET_NUMBER = re.compile(r"[0-9]+\.[0-9]+|[0-9](?:[.,][0-9]+)?[eE][+-]?[0-9]+|[0-9]+,0+")
_TEXT_MARKER = "'"
"""Excel's prefix for "this cell is text" (``'0170 1234567``); never part of a number."""
_ZERO_HEADS = frozenset(f"{code}0" for code in COUNTRY_CODE_TO_REGION_CODE)
"""Each country code followed by 0. Country codes are prefix-free: at most one of a number's
first 2, 3 or 4 digits can be one of these."""
_REGION_ALIASES = {"UK": "GB"}
"""The one common code that is not the ISO 3166 code: the United Kingdom is GB."""


class PhoneVerdict(Enum):
    VALID = "valid"
    UNASSIGNED = "unassigned"  # could exist, but no carrier range holds it
    IMPOSSIBLE = "impossible"  # unknown country code or a length no number there has


@dataclass(frozen=True, slots=True)
class PhoneIssue:
    rule: str
    message: str


def normalise(written: str, region: str | None = None) -> tuple[str, PhoneIssue | None]:
    """Return the E.164 digits for ``written``, or the text as written and why not.

    ``region`` (ISO 3166 alpha-2, e.g. ``DE``) is the country whose national format
    numbers are read in; without it a national number is refused. A value that is not a
    phone number at all is returned unchanged without an issue: the schema's phone-format
    rule reports it, with its own hint.
    """
    text = written.strip()
    if text[:1] == _TEXT_MARKER:
        text = text[1:].lstrip()
    if _SPREADSHEET_NUMBER.fullmatch(text):
        return text, PhoneIssue(
            "phone-spreadsheet-number",
            f"{quote(text)} looks like a number a spreadsheet converted (digits may be lost); "
            "format the column as text before exporting (in Excel: select the column, "
            "Format Cells > Text), and write the number in full",
        )
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("+"):
        compact = compact[1:]
    elif compact.startswith("00"):
        compact = compact[2:]
    elif (compact[:1] == "0" or (region is not None and _national_in(compact, region))) and (
        _DIGITS.fullmatch(compact)
    ):
        if region is None:
            return text, PhoneIssue(
                "phone-national",
                f"{quote(text)} is written in national format (leading 0); write it with its "
                "country code, e.g. +49 170 1234567 or 491701234567, or name the country "
                "it is dialled in: `phone_region: DE` in the manifest, --phone-region DE "
                "for a CSV file",
            )
        return _read_national(text, compact, region)
    if not _DIGITS.fullmatch(compact):
        return text, None
    # The part after the country code starts with 0 only in a few countries' numbers
    # (Italy's); elsewhere it is a trunk prefix written by habit (+49 (0)30 ...).
    if "0" in compact[1:4] and (
        compact[:2] in _ZERO_HEADS or compact[:3] in _ZERO_HEADS or compact[:4] in _ZERO_HEADS
    ):
        return _without_trunk_prefix(compact), None
    return compact, None


def _national_in(compact: str, region: str) -> bool:
    """Whether ``compact`` starts with ``region``'s national prefix (a 0, that no country
    code starts with, is national in every region)."""
    prefix = national_prefix(region)
    return prefix is not None and compact.startswith(prefix)


@lru_cache(maxsize=65536)
def _read_national(text: str, compact: str, region: str) -> tuple[str, PhoneIssue | None]:
    """A national-format number read in ``region``: its E.164 digits, or why it cannot be."""
    why = "it has too few or too many digits"
    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None:
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return e164[1:], None
        why = _LENGTH_REASONS.get(reason, why)
    code = phonenumbers.country_code_for_region(region)
    return text, PhoneIssue(
        "phone-impossible",
        f"{quote(text)} read as a national number of {region} (+{code}) cannot be a phone number "
        f"there: {why}; check the digits, or write a foreign number with its country code "
        "(+CC ...)",
    )


_LENGTH_REASONS = {
    ValidationResult.TOO_SHORT: "it is too short",
    ValidationResult.TOO_LONG: "it is too long",
    ValidationResult.INVALID_LENGTH: "no number there has that many digits",
    ValidationResult.INVALID_COUNTRY_CODE: "no number there starts like that",
}


@lru_cache(maxsize=65536)
def _without_trunk_prefix(digits: str) -> str:
    """E.164 ``digits`` with a national prefix written after the country code dropped.

    ``+49 (0)30 901820`` is dialled from abroad as 49 30 901820: libphonenumber knows the
    countries whose numbers keep their 0 (Italy) and those where it is a trunk prefix.
    """
    code, national = _split(digits)
    if code is None or not national.startswith("0"):
        return digits
    number = _number(code, national)
    if number is None or not phonenumbers.is_possible_number(number):
        return digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


@cache
def national_prefix(region: str) -> str | None:
    """The prefix that starts a national-format number in ``region`` (``0`` in DE)."""
    metadata = PhoneMetadata.metadata_for_region(region)
    return metadata.national_prefix if metadata is not None else None


@cache
def regions() -> frozenset[str]:
    """The ISO 3166 alpha-2 codes libphonenumber has numbering plans for."""
    return frozenset(phonenumbers.SUPPORTED_REGIONS)


def region_problem(name: str) -> str | None:
    """Why ``name`` is not a phone region, with the code that was probably meant; or None."""
    if name in regions():
        return None
    meant = _meant_region(name)
    if meant is not None:
        return f"unknown phone region {quote(name)}; did you mean {meant!r}?"
    return (
        f"unknown phone region {quote(name)}: use a two-letter ISO 3166 country code "
        "such as DE, AT or CH"
    )


def _meant_region(name: str) -> str | None:
    wanted = name.strip().upper()
    if wanted in regions():
        return wanted
    if wanted in _REGION_ALIASES:
        return _REGION_ALIASES[wanted]
    # Only here, on the error path: the names of every country take a while to load.
    from phonenumbers.geodata.locale import LOCALE_DATA

    names: dict[str, str] = {}
    for region, translations in LOCALE_DATA.items():
        for language in ("en", "de", "fr", "es", "it"):
            country = translations.get(language)
            if country is not None and country.startswith("*"):
                country = translations.get(country[1:])
            if country is not None and region in regions():
                names.setdefault(country.lower(), region)
    close = difflib.get_close_matches(name.strip().lower(), list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


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
    for name in ("general_desc", *TYPE_DESCS):
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


def check(field: str, digits: str, region: str | None = None) -> PhoneIssue | None:
    """The problem with E.164 ``digits`` in ``field``, or None when it is a real number.

    A number libphonenumber finds possible but not valid is an error when its length fits
    no number that starts like it (a typo: ``0170 12``), and a warning otherwise (a
    plausible number in a range no carrier holds yet).

    With a ``region``, an impossible number that is a real one of the region with a
    leading 0 is explained: a spreadsheet drops the 0 of a number column.
    """
    verdict = classify(digits)
    if verdict is PhoneVerdict.IMPOSSIBLE:
        return PhoneIssue(
            "phone-impossible",
            f"{field} {digits} cannot be a phone number (unknown country code or impossible "
            "length); check the country code and the number of digits"
            + (_lost_zero_hint(digits, region) if region is not None else ""),
        )
    if verdict is PhoneVerdict.UNASSIGNED:
        code, national = _split(digits)
        wrong = None if code is None else wrong_length(code, national)
        if wrong is not None:
            return PhoneIssue(
                "phone-impossible", f"{field} {digits} {wrong}; check the number of digits"
            )
        return PhoneIssue(
            "phone-unassigned",
            f"{field} {digits} could exist but is in no assigned number range; "
            "check it is the number you mean",
        )
    return None


def _lost_zero_hint(digits: str, region: str) -> str:
    try:
        number = phonenumbers.parse("0" + digits, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return (
        f"; if it is the {region} number 0{digits}, a spreadsheet dropped its leading 0: "
        "format the column as text before exporting (in Excel: Format Cells > Text)"
    )


def country_code(digits: str) -> int | None:
    """The country calling code E.164 ``digits`` (ASCII digits only) start with, if any."""
    return _split(digits)[0] if digits else None
