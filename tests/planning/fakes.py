"""Prepared-like inputs for library tests: what ``build_plan`` reads of a load, no YAML.

``build_plan`` needs the events' positions, key, zone and ``checks:`` and the rendered
payloads; building them directly keeps these tests about matching, not about reading
manifests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_KEY = ("AcdEventTypesID", "Sender", "UserData")


@dataclass
class FakeManifest:
    key: tuple[str, ...] = DEFAULT_KEY
    timezone: Any = None  # the machine's zone, for expiry
    checks: Any = None  # every rule at its default severity (already-open: a warning)


@dataclass
class FakeEvent:
    index: int
    file: str
    line: int
    manifest: FakeManifest


@dataclass
class FakeLoad:
    events: list[FakeEvent] = field(default_factory=list)


@dataclass
class FakePrepared:
    load: FakeLoad
    payloads: list[dict[str, Any]]


def prepared(
    payloads: list[dict[str, Any]], key: tuple[str, ...] = DEFAULT_KEY, file: str = "load.yaml"
) -> Any:
    """A Prepared-like load: event ``i`` is written at line ``10 + 2 * i`` of ``file``."""
    manifest = FakeManifest(key)
    events = [FakeEvent(i, file, 10 + 2 * i, manifest) for i in range(len(payloads))]
    return FakePrepared(FakeLoad(events), payloads)


def callback(n: int, **changes: Any) -> dict[str, Any]:
    """The payload of callback ``n`` as the manifest renders it."""
    payload: dict[str, Any] = {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": f"4917012345{n:02d}",
        "Receiver": "4930901820",
        "Subject": f"Callback request {n}",
        "Body": f"Please call back.\r\nReason: {n} & <more>\r\n",
        "CrmURL": "https://crm.example.com/case",
        "UserData": f"CB-{n}",
    }
    payload.update(changes)
    return {name: value for name, value in payload.items() if value is not None}


def record(event_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The server record the jtel server keeps for a created ``payload`` (seed shape)."""
    from xml.sax.saxutils import escape

    crm, user = payload.get("CrmURL"), payload.get("UserData")
    urls = ""
    if crm is not None:
        urls = f"<url><urlPath>{escape(crm)}</urlPath><displayName>{escape(user or '')}</displayName></url>"
    body = escape(payload.get("Body") or "")
    return {
        "SkillsValue2": None,
        "UserData": user,
        "AcdGroupsID": payload.get("AcdGroupsID", 500),
        "EventData": f'<eventData><urls>{urls}</urls><body html="true">{body}</body></eventData>',
        "ID": event_id,
        "CrmURL": crm,
        "AcdEventTypesID": payload["AcdEventTypesID"],
        "Receiver": payload.get("Receiver"),
        "Subject": payload["Subject"],
        "UsersID": payload.get("UsersID"),
        "Sender": payload["Sender"],
        "dtCreated": "2026-11-28T09:00:00.000",
        "AcdEventStatusID": 1,
    }
