"""The emulator's own checks of a create body, written from the jtel reference.

These are deliberately independent of the client's schema: an end-to-end test must not be
the client agreeing with itself. Every rejection names the field, as a server's 400
reason should, so a client author can tell which rule fired.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass

from acdload.emulator.config import MAX_ID

__all__ = [
    "CALLBACK",
    "EVENT_TYPES",
    "TICKET",
    "CreateRequest",
    "ValidationError",
    "shown",
    "validate_create",
]

EVENT_TYPES: Mapping[int, str] = {
    1: "VoiceMail",
    2: "Fax",
    3: "Callback",
    4: "SMS",
    5: "Email",
    6: "Ticket",
}
CALLBACK = 3
TICKET = 6

# jtel documents no length limits; these are ours, generous enough for real data and
# small enough that a runaway template is caught (see docs/emulator.md).
TEXT_LIMITS: Mapping[str, int] = {
    "Sender": 255,
    "Receiver": 255,
    "Subject": 1000,
    "Body": 65536,
    "CrmURL": 2048,
    "UserData": 255,
    "dtAppointmentDate": 255,
    "dtAppointmentTime": 255,
}
ID_FIELDS = ("AcdGroupsID", "AcdConfigurationGroupsID", "AcdAgentGroupsID", "UsersID")
FIELDS = frozenset({"AcdEventTypesID", "nPriority", *ID_FIELDS, *TEXT_LIMITS})

# A lone surrogate (a JSON escape such as "\ud800" with no partner) is no Unicode
# character: it cannot be stored or sent back as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})|([0-9]{4})([0-9]{2})([0-9]{2})")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})|([0-9]{2})([0-9]{2})")


class ValidationError(ValueError):
    """A create body the server would refuse with 400; the message starts with the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class CreateRequest:
    """A create body that passed validation, with absent fields as ``None``."""

    event_type: int
    group_id: int | None
    configuration_group_id: int | None
    agent_group_id: int | None
    user_id: int | None
    sender: str
    receiver: str | None
    subject: str
    body: str | None
    crm_url: str | None
    user_data: str | None
    priority: int | None
    appointment_date: str | None
    appointment_time: str | None


def shown(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters, for echoing a client's input in an error.

    A hostile client can send a 5,000-digit ID or a 60 KiB header; the answer names what
    was wrong without mirroring all of it.
    """
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text)} characters)"


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {shown(repr(value))}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _integer(given: Mapping[str, object], name: str, low: int, high: int) -> int | None:
    value = given.get(name)
    if value is None:
        return None
    # bool is an int subclass in Python but never a JSON integer.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, f"must be an integer, got {_json_type(value)}")
    if not low <= value <= high:
        raise ValidationError(name, f"must be between {low} and {high}, got {shown(str(value))}")
    return value


def _identifier(given: Mapping[str, object], name: str) -> int | None:
    value = given.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, f"must be a positive integer ID, got {_json_type(value)}")
    if not 1 <= value <= MAX_ID:
        raise ValidationError(
            name, f"must be a positive integer ID up to {MAX_ID}, got {shown(str(value))}"
        )
    return value


def _text(given: Mapping[str, object], name: str) -> str | None:
    value = given.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(name, f"must be a string, got {_json_type(value)}")
    limit = TEXT_LIMITS[name]
    if len(value) > limit:
        raise ValidationError(name, f"is {len(value)} characters long; the limit is {limit}")
    surrogate = _SURROGATE.search(value)
    if surrogate is not None:
        raise ValidationError(
            name,
            f"holds a lone surrogate ({surrogate[0]!a}) at character {surrogate.start()}, "
            "which is not a Unicode character; send text that is valid UTF-8",
        )
    return value


def _check_target(group: int | None, configuration: int | None, agent: int | None) -> None:
    if group is not None and (configuration is not None or agent is not None):
        raise ValidationError(
            "AcdGroupsID",
            "give either AcdGroupsID or both AcdConfigurationGroupsID and AcdAgentGroupsID, "
            "not both forms",
        )
    if configuration is not None and agent is None:
        raise ValidationError("AcdAgentGroupsID", "required together with AcdConfigurationGroupsID")
    if agent is not None and configuration is None:
        raise ValidationError("AcdConfigurationGroupsID", "required together with AcdAgentGroupsID")
    if group is None and configuration is None:
        raise ValidationError(
            "AcdGroupsID", "required (or both AcdConfigurationGroupsID and AcdAgentGroupsID)"
        )


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    match = _DATE.fullmatch(value)
    if match is None:
        raise ValidationError("dtAppointmentDate", f"must be yyyy-mm-dd or yyyymmdd, got {value!r}")
    year, month, day = (int(part) for part in match.groups() if part is not None)
    try:
        datetime.date(year, month, day)
    except ValueError as err:
        raise ValidationError("dtAppointmentDate", f"{value!r} is not a real date ({err})") from err
    return value


def _time(value: str | None) -> str | None:
    if value is None:
        return None
    match = _TIME.fullmatch(value)
    if match is None:
        raise ValidationError("dtAppointmentTime", f"must be hh:mm or hhmm, got {value!r}")
    hour, minute = (int(part) for part in match.groups() if part is not None)
    if hour > 23 or minute > 59:
        raise ValidationError(
            "dtAppointmentTime", f"must be between 00:00 and 23:59, got {value!r}"
        )
    return value


def validate_create(payload: object) -> CreateRequest:
    """Check a decoded create body; raise :class:`ValidationError` at the first problem.

    ``null`` counts as absent, as the seed's examples send ``"UsersID": null``.
    """
    if not isinstance(payload, dict):
        raise ValidationError(
            "request body", f"must be a JSON object of event fields, got {_json_type(payload)}"
        )
    unknown = sorted(str(name) for name in payload if name not in FIELDS)
    if unknown:
        raise ValidationError(
            unknown[0], f"unknown field; the fields are {', '.join(sorted(FIELDS))}"
        )
    given = {name: value for name, value in payload.items() if value is not None}

    event_type = _integer(given, "AcdEventTypesID", 1, len(EVENT_TYPES))
    if event_type is None:
        raise ValidationError("AcdEventTypesID", "required")
    group, configuration, agent = (_identifier(given, name) for name in ID_FIELDS[:3])
    _check_target(group, configuration, agent)
    user = _identifier(given, "UsersID")

    sender = _text(given, "Sender")
    if not sender:
        raise ValidationError("Sender", "required, a non-empty string")
    subject = _text(given, "Subject")
    if subject is None or not subject.strip():
        raise ValidationError("Subject", "required, a non-blank string")
    body = _text(given, "Body")
    if body is not None and event_type != CALLBACK:
        raise ValidationError(
            "Body",
            f"only callbacks (AcdEventTypesID {CALLBACK}) take a Body, "
            f"this is AcdEventTypesID {event_type} ({EVENT_TYPES[event_type]})",
        )
    return CreateRequest(
        event_type=event_type,
        group_id=group,
        configuration_group_id=configuration,
        agent_group_id=agent,
        user_id=user,
        sender=sender,
        receiver=_text(given, "Receiver"),
        subject=subject,
        body=body,
        crm_url=_text(given, "CrmURL"),
        user_data=_text(given, "UserData"),
        priority=_integer(given, "nPriority", 0, 200),
        appointment_date=_date(_text(given, "dtAppointmentDate")),
        appointment_time=_time(_text(given, "dtAppointmentTime")),
    )
