"""``--redact``: phone numbers and e-mail addresses masked, other numbers left alone."""

from __future__ import annotations

import pytest

from acdload.reports.redact import redact


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("49199123456789", "4919********89"),
        ("+49 170 1234567", "+49 17* *****67"),
        ("0049 151 23456789", "0049 *** ******89"),
        ("call (0170) 123-45-67 today", "call (0170) 12*-**-67 today"),
        ("Callback from 491701234567 at 09:00", "Callback from 4917******67 at 09:00"),
        ("https://crm.example/?phone=4917012345678", "https://crm.example/?phone=4917*******78"),
        ("1234567", "12***67"),
        ("info@example.com", "i***@example.com"),
        ("Mail anna.schmidt+cb@mail.example.co.uk now", "Mail a***@mail.example.co.uk now"),
    ],
)
def test_masks(text: str, masked: str) -> None:
    assert redact(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "c.yaml:12",
        "event 2039",
        "UserData=987654",
        "CB-1001",
        "on 2027-03-01 at 09:30",
        "20270301",
        "2020.08.09",
        "AcdEventTypesID=3",
        "K-20001",
    ],
)
def test_leaves_other_numbers_alone(text: str) -> None:
    assert redact(text) == text
