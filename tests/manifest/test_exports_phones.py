"""Phone numbers in a phone region: the form is decided by how a number starts, national
numbers are read in the region, and the damage spreadsheets do is explained."""

from __future__ import annotations

import pytest

from acdload.check.rules import phones


@pytest.mark.parametrize(
    ("written", "region", "digits"),
    [
        ("0170 1234567", "DE", "491701234567"),
        ("(030) 123456", "DE", "4930123456"),
        ("'0170 1234567", "DE", "491701234567"),  # Excel's text marker is dropped
        ("'+49 170 1234567", None, "491701234567"),
        ("+41 44 668 18 00", "DE", "41446681800"),  # international: the region is not used
        ("0041 44 668 18 00", "DE", "41446681800"),
        ("491701234567", "DE", "491701234567"),  # bare digits are E.164, whatever the region
        ("12025550123", "DE", "12025550123"),
        ("044 668 18 00", "CH", "41446681800"),
        ("8 912 345-67-89", "RU", "79123456789"),  # Russia's national prefix is 8
        ("06 6982 1234", "IT", "390669821234"),  # no national prefix; the 0 is the number's
        ("+49 (0)30 901820", None, "4930901820"),  # a trunk prefix after the country code
        ("+39 06 6982 1234", None, "390669821234"),
    ],
)
def test_normalise_in_a_region(written: str, region: str | None, digits: str) -> None:
    assert phones.normalise(written, region) == (digits, None)


def test_a_national_number_without_a_region_names_how_to_give_one() -> None:
    text, issue = phones.normalise("0170 1234567")
    assert text == "0170 1234567"
    assert issue is not None and issue.rule == "phone-national"
    assert "`phone_region: DE` in the manifest, --phone-region DE for a CSV file" in issue.message


def test_a_national_number_that_cannot_exist_in_the_region_is_impossible_there() -> None:
    text, issue = phones.normalise("0170 1234567", "CH")
    assert text == "0170 1234567"
    assert issue is not None and issue.rule == "phone-impossible"
    assert issue.message.startswith(
        "'0170 1234567' read as a national number of CH (+41) cannot be a phone number there"
    )


@pytest.mark.parametrize(
    "written", ["4.91701E+11", "4,91701E+11", "491701234567.0", "491701234567,00"]
)
def test_numbers_a_spreadsheet_converted_say_how_to_export_them_as_text(written: str) -> None:
    _, issue = phones.normalise(written, "DE")
    assert issue is not None and issue.rule == "phone-spreadsheet-number"
    assert "(digits may be lost); format the column as text before exporting" in issue.message


def test_a_number_that_lost_its_leading_zero_is_explained_in_a_region() -> None:
    found = phones.check("Sender", "1701234567", "DE")
    assert found is not None and found.rule == "phone-impossible"
    assert "if it is the DE number 01701234567, a spreadsheet dropped its leading 0" in (
        found.message
    )
    plain = phones.check("Sender", "1701234567")
    assert plain is not None and "spreadsheet" not in plain.message


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("DE", None),
        ("NO", None),
        ("de", "unknown phone region 'de'; did you mean 'DE'?"),
        ("Germany", "unknown phone region 'Germany'; did you mean 'DE'?"),
        ("Österreich", "unknown phone region 'Österreich'; did you mean 'AT'?"),
        ("UK", "unknown phone region 'UK'; did you mean 'GB'?"),
        ("001", "unknown phone region '001': use a two-letter ISO 3166 country code"),
        ("DEU", "unknown phone region 'DEU': use a two-letter ISO 3166 country code"),
    ],
)
def test_phone_regions_are_libphonenumbers_with_the_code_meant(
    name: str, problem: str | None
) -> None:
    found = phones.region_problem(name)
    assert (found if problem is None else (found or "")[: len(problem)]) == problem
