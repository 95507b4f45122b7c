"""AcdEvent records as the jtel server returns them.

The field set and order follow the seed's example create response exactly (a server
built on a Java map, hence the unsorted order); clients must find every field there.
"""

from __future__ import annotations

import datetime
from typing import Any
from xml.sax.saxutils import escape

from acdload.emulator.validation import EVENT_TYPES, TICKET, CreateRequest

__all__ = ["append_comment", "build_record", "event_data", "event_types", "timestamp"]

# A fresh event is "1"; nothing in the emulator ever changes it (there is no close API).
NEW_STATUS = 1

_COMMENTS_END = "</comments>"
_EVENT_DATA_END = "</eventData>"


def timestamp(moment: datetime.datetime) -> str:
    """Server-local time without a zone, to the millisecond: ``2020-09-15T02:59:32.794``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def event_data(crm_url: str | None, user_data: str | None, body: str | None) -> str:
    """The ``EventData`` XML built from CrmURL, UserData and Body, as in the seed.

    Without a CrmURL there is no link to show, so ``<urls>`` stays empty (UserData is only
    the link's display name there); a missing Body gives an empty ``<body>``, as the
    seed's ticket example shows.
    """
    urls = ""
    if crm_url is not None:
        urls = (
            f"<url><urlPath>{escape(crm_url)}</urlPath>"
            f"<displayName>{escape(user_data or '')}</displayName></url>"
        )
    return (
        f'<eventData><urls>{urls}</urls><body html="true">{escape(body or "")}</body>'
        f"{_EVENT_DATA_END}"
    )


def append_comment(event_data_xml: str, comment: str, stamp: str) -> str:
    """Add a ``<comment>`` after the body, keeping the Body itself readable.

    Comments go into one ``<comments>`` element after ``<body>``; jtel's layout for
    them is unknown, so this is the emulator's own (see docs/emulator.md).
    """
    element = f'<comment dtCreated="{stamp}">{escape(comment)}</comment>'
    if _COMMENTS_END in event_data_xml:
        head, _, tail = event_data_xml.rpartition(_COMMENTS_END)
        return f"{head}{element}{_COMMENTS_END}{tail}"
    head, _, tail = event_data_xml.rpartition(_EVENT_DATA_END)
    return f"{head}<comments>{element}{_COMMENTS_END}{_EVENT_DATA_END}{tail}"


def build_record(
    event_id: int, request: CreateRequest, group_id: int, stamp: str
) -> dict[str, Any]:
    """The full record of a newly created event, every field of the seed's example."""
    return {
        "SkillsValue2": None,
        "SkillsValue1": None,
        "ChatConnectorsID": None,
        "UserData": request.user_data,
        "SkillsValue3": None,
        "dtReceived": None,
        "AcdGroupsID": group_id,
        "dtRemind": None,
        "EventData": event_data(request.crm_url, request.user_data, request.body),
        "AcdWorkFlowConnectorsID": None,
        "AcdInboxesID": None,
        "ID": event_id,
        "LastAgentTime": 0,
        "CrmURL": request.crm_url,
        "WorkFlowMonitorPointsID": None,
        "AcdReplyingTypesID": None,
        "AcdEventTypesID": request.event_type,
        "dtModified": stamp,
        "bCloseByForeignSystem": False,
        "Receiver": request.receiver,
        "Subject": request.subject,
        "UsersID": request.user_id,
        "Sender": request.sender,
        # For tickets, UserData is the foreign system's ticket number.
        "ForeignSystemNumber": request.user_data if request.event_type == TICKET else None,
        "dtCreated": stamp,
        "UserData2": None,
        "UserData3": None,
        "SkillsID3": None,
        "SkillsID1": None,
        "SkillsID2": None,
        "AcdEventStatusID": NEW_STATUS,
        "dtLastModified": stamp,
    }


def event_types() -> list[dict[str, Any]]:
    """The records of ``GET /acd/events/types``."""
    return [
        {"ID": type_id, "ShortText": f"AcdEventTypes.{name}"}
        for type_id, name in EVENT_TYPES.items()
    ]
