"""Validate: check each rendered payload against the event schema and the rules beyond it.

The schema (``schemas/acd-event.schema.json``) says what a payload may look like; the rules
here ask libphonenumber whether a number can exist, the calendar whether an appointment
can happen, and the manifest's calling hours and holidays whether the customer can take the
call then (``acdload.check.rules.callability``). A field that already has a problem is not reported again by a later check.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from acdload.check.render import FieldIssue, Rendered
from acdload.check.rules import appointments, phones
from acdload.check.schema import EventChecker
from acdload.manifest.model import PHONE_FIELDS, PHONE_TYPES
from acdload.problems import RULES

_APPOINTMENT = frozenset({"dtAppointmentDate", "dtAppointmentTime"})
_UNMATCHABLE = (
    "the key includes AcdGroupsID, but this event is sent to a configuration group: the "
    "server picks its agent group, so plan could never find it again and would create it "
    "on every run; take AcdGroupsID out of key, or target the event with AcdGroupsID"
)


def _key_cannot_match(rendered: Rendered, flagged: set[str | None]) -> bool:
    payload = rendered.payload
    return (
        "AcdGroupsID" in rendered.event.manifest.key
        and "AcdGroupsID" not in payload
        and "AcdConfigurationGroupsID" in payload
        and "AcdGroupsID" not in flagged
    )


class PayloadChecker:
    def __init__(self, now: datetime) -> None:
        self._schema = EventChecker()
        self._now = now
        self._now_in: dict[tzinfo, datetime] = {}  # --now without an offset, per zone

    def check(self, rendered: Rendered) -> None:
        payload = rendered.payload
        issues = rendered.issues
        flagged = {issue.field for issue in issues}
        # A value that could not be read is reported already; its absence must not be.
        unread = rendered.event.not_read()
        for failure in self._schema.check(payload):
            if unread and (failure.field in unread or failure.across_fields):
                continue
            if failure.field not in flagged or failure.field is None:
                issues.append(FieldIssue(failure.field, failure.rule, failure.message))
                flagged.add(failure.field)
        if _key_cannot_match(rendered, flagged):
            issues.append(FieldIssue("AcdConfigurationGroupsID", "key-unmatchable", _UNMATCHABLE))
        if payload.get("AcdEventTypesID") in PHONE_TYPES:
            region = rendered.event.manifest.phone_region
            for name in PHONE_FIELDS:
                digits = payload.get(name)
                if digits is not None and name not in flagged:
                    found = phones.check(name, digits, region)
                    if found is not None:
                        is_error = RULES[found.rule].is_error
                        issues.append(FieldIssue(name, found.rule, found.message, is_error))
        if flagged & _APPOINTMENT:
            return  # an appointment already reported is not judged again
        manifest = rendered.event.manifest
        written_date = payload.get("dtAppointmentDate")
        if written_date is None and manifest.callability is None:
            return
        tz = manifest.timezone or appointments.local_zone()
        now = self._now_in.get(tz)
        if now is None:
            now = self._now if self._now.tzinfo else self._now.replace(tzinfo=tz)
            self._now_in[tz] = now
        if written_date is not None:
            found_date = appointments.check(written_date, payload.get("dtAppointmentTime"), tz, now)
            if found_date is not None:
                issues.append(
                    FieldIssue(
                        found_date.field, found_date.rule, found_date.message, found_date.is_error
                    )
                )
                if found_date.is_error:
                    return  # no such date or time: no calling hours to judge it by
        if manifest.callability is not None:
            for finding in manifest.callability.check(payload, tz, now):
                issues.append(
                    FieldIssue(finding.field, finding.rule, finding.message, finding.is_error)
                )
