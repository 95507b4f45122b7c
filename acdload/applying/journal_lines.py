"""The documented shape of a journal line, checked before apply believes a word of it.

A journal may be cut short by a full disk, restored from a CI cache someone else can
write, or edited by hand. Apply uses its lines to decide whether to wait for a create and
what to report, so a line that is not exactly what acdload writes (see docs/apply.md) is
not half-trusted: it is refused here with the reason, and the caller skips it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from acdload.safetext import quote

KINDS = ("start", "sent", "done", "end")


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """``(entry, None)`` for a well-formed line, ``(None, reason)`` for a damaged one,
    ``(None, None)`` for a blank one."""
    if not raw.strip():
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8"
    try:
        entry = json.loads(text)
    except (ValueError, RecursionError):
        return None, "cut short or not JSON"
    if not isinstance(entry, dict):
        return None, "not a JSON object"
    problem = _shape_problem(entry)
    return (None, problem) if problem is not None else (entry, None)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shape_problem(entry: dict[str, Any]) -> str | None:
    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        return f"unknown kind {quote(json.dumps(kind, ensure_ascii=False))}"
    if not isinstance(entry.get("run"), str):
        return "run is not a string"
    if entry.get("target") is not None and not isinstance(entry["target"], str):
        return "target is not a string"
    at = entry.get("at")
    if at is not None and not (
        (_integer(at) or isinstance(at, float)) and math.isfinite(at) and at >= 0
    ):
        return "at is not a finite number"
    if kind in ("sent", "done"):
        if not isinstance(entry.get("key"), str):
            return "key is not a string"
        if not _integer(entry.get("index")):
            return "index is not an integer"
    if kind == "done":
        if not isinstance(entry.get("outcome"), str):
            return "outcome is not a string"
        event_id = entry.get("event_id")
        if event_id is not None and not (_integer(event_id) and event_id > 0):
            return "event_id is not a positive integer"
    return None


def merged_into(entry: dict[str, Any]) -> int | None:
    """The event a well-formed line says its key was merged into: a ``done`` of outcome
    ``updated`` with an ID. Such a line is never history: the merged key matches nothing
    on the server, so only this line keeps the next run from merging it again."""
    if entry["kind"] == "done" and entry["outcome"] == "updated":
        event_id: int | None = entry.get("event_id")
        return event_id
    return None
