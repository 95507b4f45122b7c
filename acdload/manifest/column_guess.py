"""What each column of a CRM export is, guessed from its name and confirmed by its values.

A name says what a column is meant to be (``Telefon``, ``Kundennummer``, ``Termin``, in
German or English); the sample values say whether it is, and how it is written: a
``Telefon`` column of names is not used as Sender, and a ``Termin`` column's cells decide
between a date, a time or both, and which pattern (``01.03.2027`` is dd.mm.yyyy;
``03/01/2027`` is month first only if some value has a day above 12). Values are read with
the same code that reads them later (``appointment_formats``, ``rules.phones``), so a
guess is what ``validate`` will accept.

Nothing here quotes a cell: the guesses are written into a manifest that is committed,
and cells hold customers' names and numbers. Reasons count values and show patterns.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import phonenumbers

from acdload.check.rules import phones
from acdload.manifest.appointment_formats import (
    BOTH_FIELD,
    DATE_FIELD,
    TIME_FIELD,
    AppointmentFormat,
)
from acdload.safetext import quote

CONFIRMED = 0.8
"""Share of a column's non-empty sample values that must fit what its name says."""

_DATES = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%y", "%Y%m%d")
_TIMES = ("%H:%M", "%H:%M:%S", "%H.%M", "%I:%M %p", "%I:%M:%S %p", "%H%M")
_KINDS = {
    "datetime_format": (
        *(f"{d} {t}" for d in _DATES[:-1] for t in _TIMES[:-1]),
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ),
    "date_format": _DATES,
    "time_format": _TIMES,
}
"""Candidate strptime patterns of an appointment column, per format key: the forms CRMs
and spreadsheets write, day first before month first."""
_TARGETS = {"datetime_format": BOTH_FIELD, "date_format": DATE_FIELD, "time_format": TIME_FIELD}
_WHAT = {"datetime_format": "a date and time", "date_format": "a date", "time_format": "a time"}
EXAMPLE_MOMENT = datetime(2027, 12, 31, 14, 30)
"""Shown written with a pattern: a day above 12 tells day from month."""

PHONE_FORMS = ("national", "international", "digits", "damaged")
_PHONE_SHAPE = re.compile(r"(?:\+|00)?[0-9]{6,17}")
_SEPARATORS = re.compile(r"[\s\-/().]")

# target, what its values must be, and the names that mean it (as ``normalised_name``
# writes them: lower case, umlauts as ae/oe/ue, letters and digits only).
_NAMES = (
    ("Sender", "phone", "telefon telefonnummer telefonnr tel telnr rufnummer mobil mobilnummer "
     "mobiltelefon handy handynummer phone phonenumber phoneno telephone mobile mobilenumber "
     "mobilephone cell cellphone rueckrufnummer callbacknumber sender"),
    ("Receiver", "phone", "receiver servicenummer servicenumber"),
    ("UserData", "key", "kundennummer kundennr kdnr kundenid customerid customernumber customerno "
     "customernr clientid clientnumber accountnumber ticketnummer ticketnr ticketid userdata"),
    ("appointment", "appointment", "termin appointment rueckruftermin callback wiedervorlage "
     "zeitpunkt datumuhrzeit dateandtime datetime datum date termindatum appointmentdate "
     "rueckrufdatum callbackdate uhrzeit zeit time terminzeit appointmenttime rueckrufzeit "
     "callbacktime dtappointment dtappointmentdate dtappointmenttime"),
    ("vars.name", "text", "name kunde customer kundenname customername fullname client "
     "clientname ansprechpartner contact contactname"),
    ("vars.first_name", "text", "vorname firstname givenname"),
    ("vars.last_name", "text", "nachname lastname surname familyname familienname"),
    ("Subject", "subject", "betreff subject titel title"),
    ("vars.note", "text", "notiz notizen bemerkung bemerkungen note notes comment comments "
     "kommentar hinweis anmerkung anmerkungen"),
    ("vars.topic", "text", "anliegen thema grund topic reason concern"),
    ("vars.email", "email", "email emailadresse mail emailaddress"),
    ("CrmURL", "url", "crmurl crmlink url link"),
    ("Body", "text", "body nachricht message"),
    ("nPriority", "integer", "npriority prioritaet priority"),
    ("AcdGroupsID", "integer", "acdgroupsid gruppenid groupid"),
    ("AcdEventTypesID", "integer", "acdeventtypesid"),
    ("UsersID", "integer", "usersid agentid"),
    ("AcdConfigurationGroupsID", "integer", "acdconfigurationgroupsid"),
    ("AcdAgentGroupsID", "integer", "acdagentgroupsid"),
)  # fmt: skip
_ROLES = {name: (target, check) for target, check, names in _NAMES for name in names.split()}
_LIMITS = {"key": 255, "subject": 1000}


@dataclass(frozen=True, slots=True)
class Guess:
    """What one column becomes: an event field, ``vars.NAME``, ``dtAppointment``, or None
    (not used), and why, for the manifest's comment."""

    header: str
    target: str | None
    why: str
    format_key: str | None = None
    pattern: str | None = None
    """The strptime pattern of an appointment column; None when the sample cannot tell
    (``ambiguous`` then names the patterns it could be)."""
    ambiguous: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mapping:
    """Every column's guess, in header order, and how the Sender column writes numbers."""

    columns: list[Guess]
    phone_forms: Counter[str]
    phone_country: str | None
    """A region the national numbers of the Sender column are real numbers in (a hint)."""

    def target_of(self, name: str) -> Guess | None:
        return next((guess for guess in self.columns if guess.target == name), None)

    def gives(self, name: str) -> bool:
        """Whether a column gives the event field ``name`` (a date-time column gives both
        appointment fields)."""
        both = name in (DATE_FIELD, TIME_FIELD) and self.target_of(BOTH_FIELD) is not None
        return both or self.target_of(name) is not None


def normalised_name(header: str) -> str:
    """``Kunden-Nr.`` -> ``kundennr``, ``Rückruf Termin`` -> ``rueckruftermin``."""
    text = header.casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, spelled)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text)


def guess_columns(
    header: Sequence[str], rows: Sequence[Sequence[str]], region: str | None
) -> Mapping:
    """The guess for every column of ``header`` from the sample ``rows``."""
    given: dict[str, str] = {}  # field or var -> the header that gives it
    columns = []
    numbers: list[str] = []
    for index, name in enumerate(header):
        values = [row[index].strip() for row in rows if row[index].strip()]
        guess = _judge(name, values, len(rows), region, given)
        for field in _fields(guess.target):
            given[field] = name
        if guess.target == "Sender":
            numbers = values
        columns.append(guess)
    forms = Counter(form for form in (phone_form(v, region) for v in numbers) if form is not None)
    return Mapping(columns, forms, _national_region(numbers) if forms["national"] else None)


def _fields(target: str | None) -> tuple[str, ...]:
    if target == BOTH_FIELD:
        return (DATE_FIELD, TIME_FIELD)
    return () if target is None else (target,)


def _judge(
    name: str, values: list[str], sampled: int, region: str | None, given: dict[str, str]
) -> Guess:
    role = _ROLES.get(normalised_name(name))
    if role is None:
        return Guess(
            name,
            None,
            f"not mapped: no event field is named like it; {_describe(values, sampled, region)}",
        )
    target, check = role
    if check == "appointment":
        return _appointment(name, values, sampled, given)
    taken = given.get(target)
    if taken is not None:
        return Guess(
            name,
            None,
            f"not mapped: {quote(taken)} already gives {target}; map one of them to null",
        )
    if not values and check != "text":
        return Guess(name, None, f"not mapped: named like {target}, but {_empty(sampled)}")
    fits = sum(1 for value in values if _fits(check, value, region))
    what = _CHECKS[check]
    if fits < CONFIRMED * len(values):
        return Guess(
            name,
            None,
            f"not mapped: named like {target}, but only {fits} of {len(values)} sample values "
            f"are {what}",
        )
    if check == "text":
        return Guess(
            name,
            target,
            f"guessed from {quote(name)}: text in {len(values)} of {sampled} sample rows",
        )
    why = f"guessed from {quote(name)}: {fits} of {len(values)} sample values are {what}"
    if check == "key":
        distinct = len(set(values))
        why += ", all distinct" if distinct == len(values) else f", {distinct} distinct"
    return Guess(name, target, why)


_CHECKS = {
    "phone": "phone numbers",
    "key": "identifiers of up to 255 characters",
    "subject": "texts of up to 1000 characters",
    "email": "e-mail addresses",
    "url": "http(s) URLs",
    "integer": "whole numbers",
    "text": "text",
}


def _fits(check: str, value: str, region: str | None) -> bool:
    if check == "phone":
        return phone_form(value, region) is not None
    if check in _LIMITS:
        return len(value) <= _LIMITS[check]
    if check == "email":
        return "@" in value and not any(c.isspace() for c in value)
    if check == "url":
        return value.startswith(("http://", "https://")) and " " not in value
    if check == "integer":
        return value.isdigit() and value.isascii()
    return True


def _appointment(name: str, values: list[str], sampled: int, given: dict[str, str]) -> Guess:
    if not values:
        return Guess(
            name,
            None,
            f"not mapped: named like an appointment, but {_empty(sampled)}",
        )
    found = appointment_form(values)
    if found is None:
        return Guess(
            name,
            None,
            f"not mapped: named like an appointment, but fewer than {CONFIRMED:.0%} of its "
            f"{len(values)} sample values are dates or times in one of the known forms",
        )
    key, patterns, fits = found
    target = _TARGETS[key]
    taken = next((given[field] for field in _fields(target) if field in given), None)
    if taken is not None:
        return Guess(
            name,
            None,
            f"not mapped: {quote(taken)} already gives the appointment; map one of them to null",
        )
    why = f"guessed from {quote(name)}: {fits} of {len(values)} sample values are {_WHAT[key]}"
    if len(patterns) > 1:
        shown = " or ".join(f"{p!r} ({EXAMPLE_MOMENT.strftime(p)})" for p in patterns)
        why += f", written {shown}: no value tells day from month"
        return Guess(name, target, why, key, None, patterns)
    why += f" written like {EXAMPLE_MOMENT.strftime(patterns[0])}"
    return Guess(name, target, why, key, patterns[0])


def appointment_form(values: list[str]) -> tuple[str, tuple[str, ...], int] | None:
    """(format key, the patterns that read the most values, how many) when at least
    ``CONFIRMED`` of ``values`` are appointments in one known form; several patterns
    when the values cannot tell them apart (no day above 12)."""
    best: tuple[str, tuple[str, ...], int] | None = None
    for key, candidates in _KINDS.items():
        counts = {pattern: _count(key, pattern, values) for pattern in candidates}
        top = max(counts.values())
        if top >= CONFIRMED * len(values) and (best is None or top > best[2]):
            best = (key, tuple(p for p in candidates if counts[p] == top), top)
    return best


def _count(key: str, pattern: str, values: list[str]) -> int:
    """How many ``values`` are written in ``pattern`` (a date the calendar lacks, like 31
    February, is written in it: validate reports the date, not the pattern)."""
    form = AppointmentFormat(key, pattern)
    return sum(1 for value in values if _read_in(form, value))


def _read_in(form: AppointmentFormat, value: str) -> bool:
    read = form.read(value)
    return isinstance(read, tuple) or read.rule == "date-invalid"


def phone_form(cell: str, region: str | None) -> str | None:
    """How a cell writes a phone number (one of ``PHONE_FORMS``), or None when it is none.

    ``damaged``: a spreadsheet turned it into a number (``4,91761E+11``); ``digits``: no
    ``+``, ``00`` or ``0`` in front, read as jtel's form, country code first.
    """
    text = cell.strip().removeprefix("'").strip()
    issue = phones.normalise(text, region)[1]
    if issue is not None and issue.rule == "phone-spreadsheet-number":
        return "damaged"
    compact = _SEPARATORS.sub("", text)
    if not _PHONE_SHAPE.fullmatch(compact):
        return None
    if compact.startswith(("+", "00")):
        return "international"
    prefix = phones.national_prefix(region) if region is not None else None
    if compact.startswith("0") or (prefix and compact.startswith(prefix)):
        return "national"
    return "digits"


def _national_region(numbers: list[str]) -> str | None:
    """Of the countries the international numbers are in, the one in which the most
    national numbers are real numbers: a hint for ``phone_region``, never a decision."""
    candidates = set()
    for number in numbers:
        if phone_form(number, None) == "international":
            code = phones.country_code(phones.normalise(number)[0])
            if code is not None:
                candidates.add(phonenumbers.region_code_for_country_code(code))
    national = [number for number in numbers if phone_form(number, None) == "national"]
    real = {
        region: sum(1 for number in national if _real_in(number, region))
        for region in sorted(candidates & phones.regions())
    }
    best = max(real, key=real.__getitem__, default=None)
    return best if best is not None and real[best] else None


def _real_in(number: str, region: str) -> bool:
    digits, issue = phones.normalise(number, region)
    return issue is None and phones.classify(digits) is phones.PhoneVerdict.VALID


def _empty(sampled: int) -> str:
    return f"empty in all {sampled} sample rows" if sampled else "the export has no rows"


def _describe(values: list[str], sampled: int, region: str | None) -> str:
    """What a column's values look like, for the comment of a column left unmapped."""
    if not values:
        return _empty(sampled)
    found = appointment_form(values)
    if found is not None:
        return f"{found[2]} of {len(values)} sample values are {_WHAT[found[0]]}"
    for check in ("phone", "email", "url", "integer"):
        fits = sum(1 for value in values if _fits(check, value, region))
        if fits >= CONFIRMED * len(values):
            return f"{fits} of {len(values)} sample values are {_CHECKS[check]}"
    return f"text in {len(values)} of {sampled} sample rows"
