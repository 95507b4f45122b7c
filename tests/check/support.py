"""Helpers for the callability rule tests: manifest keys read as a manifest reads them.

Values come from the project's own YAML reader (``load_yaml_text``), so the rules see what
the manifest reader will hand them: mappings with positions, and unquoted scalars as text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from acdload.check.rules.callability import Callability, Finding, read_rules
from acdload.check.rules.severities import KeyIssue
from acdload.manifest.sources.yaml_source import load_yaml_text

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

T = TypeVar("T")

NEW_YORK_NUMBER = "12125550100"  # +1 212: Manhattan, America/New_York
GERMAN_MOBILE = "491701234567"
TOLL_FREE_US = "18005550100"  # +1 800: anywhere in the NANP, 42 zones
RUSSIAN_MOBILE = "79161234567"  # +7 9xx: a mobile, anywhere in Russia and Kazakhstan
MOSCOW_NUMBER = "74951234567"  # +7 495: Moscow, one zone


def keys(text: str) -> dict[str, object]:
    data, problems = load_yaml_text(text, "callbacks.yaml")
    assert not problems and isinstance(data, dict)
    return data


def read(text: str) -> tuple[Callability | None, list[KeyIssue]]:
    return read_rules(keys(text))


def rules(text: str) -> Callability:
    found, issues = read(text)
    assert not issues, issues
    assert found is not None
    return found


def callback(
    sender: str, day: str | None = None, at: str | None = None, event_type: int = 3
) -> dict[str, Any]:
    """A rendered payload as validate holds it (Sender already E.164 digits)."""
    payload: dict[str, Any] = {"AcdEventTypesID": event_type, "Sender": sender}
    if day is not None:
        payload["dtAppointmentDate"] = day
    if at is not None:
        payload["dtAppointmentTime"] = at
    return payload


def check(
    found: Callability, payload: dict[str, Any], tz: ZoneInfo = BERLIN, now: datetime = NOW
) -> list[Finding]:
    return found.check(payload, tz, now)


def only(found: list[T]) -> T:
    assert len(found) == 1, found
    return found[0]
