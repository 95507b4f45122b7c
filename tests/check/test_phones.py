"""The fast phone check must agree with libphonenumber itself, number for number."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from acdload.check.rules import phones
from acdload.check.rules.phones import PhoneVerdict

COUNTRY_CODES = (
    1,
    7,
    20,
    27,
    30,
    31,
    33,
    34,
    39,
    41,
    43,
    44,
    46,
    48,
    49,
    52,
    55,
    61,
    81,
    86,
    90,
    91,
    353,
    380,
    420,
)


def _library_verdict(code: int, national: str) -> PhoneVerdict:
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    if phonenumbers.is_valid_number(number):
        return PhoneVerdict.VALID
    if phonenumbers.is_possible_number(number):
        return PhoneVerdict.UNASSIGNED
    return PhoneVerdict.IMPOSSIBLE


def test_classify_agrees_with_libphonenumber_on_random_numbers() -> None:
    rng = random.Random(20261128)
    for _ in range(20_000):
        code = rng.choice(COUNTRY_CODES)
        national = str(rng.randint(1, 9)) + "".join(rng.choices("0123456789", k=rng.randint(3, 12)))
        assert phones.classify(f"{code}{national}") is _library_verdict(code, national), (
            code,
            national,
        )


@pytest.mark.parametrize(
    ("written", "digits", "rule"),
    [
        ("+49 170 1234567", "491701234567", None),
        ("0049-170/1234567", "491701234567", None),
        ("+49 (30) 123 456 78", "493012345678", None),
        ("0170 1234567", "0170 1234567", "phone-national"),
        ("491701234567.0", "491701234567.0", "phone-spreadsheet-number"),
        ("4.91701E+11", "4.91701E+11", "phone-spreadsheet-number"),
        ("call me", "call me", None),
    ],
)
def test_normalise(written: str, digits: str, rule: str | None) -> None:
    normalised, issue = phones.normalise(written)
    assert normalised == digits
    assert (issue.rule if issue else None) == rule


def test_verdicts_for_known_numbers() -> None:
    assert phones.classify("491701234567") is PhoneVerdict.VALID
    assert phones.classify("49199123456789") is PhoneVerdict.UNASSIGNED  # jtel's own example
    assert phones.classify("1234") is PhoneVerdict.IMPOSSIBLE
    assert phones.classify("390612345678") is PhoneVerdict.VALID  # Italian leading zero kept
