"""Public holidays, from the ``holidays`` library: the manifest's ``holidays: DE-BY`` key.

A list exported in December books callbacks on Christmas Day. The code is an ISO country,
optionally with a subdivision, exactly as the ``holidays`` library names them (``DE``,
``DE-BY``, ``US-NY``, ``GB-SCT``): subdivisions matter, Epiphany is a holiday in Bavaria
and not in Berlin. Holiday names are English where the library has them in English.

The library is imported only when a manifest names holidays (it takes a tenth of a second),
and each (code, year) is computed once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from functools import cache

from acdload.check.rules.severities import KeyIssue, shown, then

RULE = "unknown-holidays"
HOW = "write an ISO country code, optionally with a subdivision, as the holidays library names them: DE, DE-BY, US-NY, GB-SCT"
_LANGUAGE = "en_US"
_LONGEST = 40
"""Longer than any code the library knows; a longer value is not compared with every code."""


@dataclass(frozen=True, slots=True)
class PublicHolidays:
    code: str  # as written: "DE-BY"
    country: str
    subdivision: str | None
    language: str | None  # English names where the library has them

    def on(self, day: date) -> str | None:
        """The name of the holiday on ``day``, or None on a working day."""
        return _year(self.country, self.subdivision, self.language, day.year).get(day)


def parse_holidays(value: object) -> tuple[PublicHolidays | None, list[KeyIssue]]:
    """The holiday calendar ``value`` (as YAML gave it) names; never raises on user input."""
    if value is None:
        return None, []
    if not isinstance(value, str) or not value.strip():
        return None, [KeyIssue(RULE, f"holidays is {shown(value)}; {HOW}", ("holidays",))]
    code = value.strip()
    country, dash, subdivision = code.partition("-")
    calendar = None if dash and not subdivision else _calendar(country, subdivision or None)
    if calendar is None:
        return None, [KeyIssue(RULE, _unknown(code), ("holidays",))]
    return calendar, []


def _calendar(country: str, subdivision: str | None) -> PublicHolidays | None:
    if len(country) + len(subdivision or "") > _LONGEST:
        return None
    import holidays

    try:
        base = holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:  # how the library says "no such country or subdivision"
        return None
    language = _LANGUAGE if _LANGUAGE in base.supported_languages else None
    code = country if subdivision is None else f"{country}-{subdivision}"
    return PublicHolidays(code, country, subdivision, language)


@cache
def _year(
    country: str, subdivision: str | None, language: str | None, year: int
) -> dict[date, str]:
    import holidays

    found = holidays.country_holidays(country, subdiv=subdivision, years=year, language=language)
    return dict(found.items())


def _unknown(code: str) -> str:
    """Why ``code`` names no calendar, with the codes it is closest to."""
    known = _codes()
    wanted = code[:_LONGEST].upper()
    by_upper = {name.upper(): name for name in known}
    close = [
        by_upper[name] for name in difflib.get_close_matches(wanted, by_upper, n=3, cutoff=0.6)
    ]
    country = wanted.partition("-")[0]
    if not close and country in by_upper:
        close = [name for name in known if name.upper().startswith(country + "-")][:20]
    meant = "; did you mean " + ", ".join(repr(name) for name in close) + "?" if close else ""
    return then(f"holidays: unknown code {shown(code)}{meant}", HOW)


@cache
def _codes() -> tuple[str, ...]:
    """Every code the library accepts: countries (ISO alpha-2) and country-subdivision."""
    import holidays

    codes: list[str] = []
    for country, subdivisions in holidays.list_supported_countries().items():
        if len(country) == 2:
            codes.append(country)
            codes.extend(f"{country}-{subdivision}" for subdivision in subdivisions)
    return tuple(codes)
