"""What ``acdload apply`` shows before it asks to send: the target by the name the user
gave it, the first creates as ``plan`` shows them, and the counts; after a canary, its
outcomes, in the closing report's lines.

A "y" is only informed consent if the user sees where the events go and what they are:
a prompt that names only a count lets a wrong ``--target`` or a wrong file through.
The token is never shown: the target is named by its ``acdload.toml`` name or its URL.
"""

from __future__ import annotations

import sys

from acdload.applying.applier import Result
from acdload.planning.make import Plan
from acdload.reports.plan import PlanReporter
from acdload.reports.plan_values import key_text
from acdload.reports.redact import redact as masked
from acdload.safetext import escape
from acdload.target.resolve import Target

PREVIEW = 10
"""Creates listed before the question; the rest are counted."""


def target_name(target: Target) -> str:
    """``production (https://...)`` for a configured target, else its URL or emulator."""
    label = target.label or "offline"
    return f"{target.name} ({label})" if target.name else label


def preview(plan: Plan, redact: bool) -> list[str]:
    """The first :data:`PREVIEW` creates (``FILE:LINE  Field=value...  "Subject"``) and a
    count of the rest, escaped (and masked with ``--redact``) like ``plan``'s output."""
    shown = PlanReporter(sys.stderr, redact=redact)
    creates = plan.of("create")
    lines = [f"first {min(len(creates), PREVIEW)} of {len(creates)} creates:"]
    lines += [
        f"  {shown.where(a)}  {shown.key_text(a)}  {shown.subject(a)}" for a in creates[:PREVIEW]
    ]
    if len(creates) > PREVIEW:
        lines.append(f"  ... and {len(creates) - PREVIEW} more")
    return lines


def question(creates: int, target: Target, canary_passed: bool = False) -> str:
    """The question before the creates (or, after a canary that passed, the rest)."""
    if canary_passed:
        return f"Canary passed: send the other {creates} creates to {_named(target)}?"
    return f"Create {creates} events on {_named(target)}?"


def _named(target: Target) -> str:
    return escape(target_name(target), None)


def result_line(result: Result, redact: bool) -> str:
    """One event's outcome as the closing report and the canary show it."""
    event = f"event {result.event_id}" if result.event_id is not None else "no event"
    line = f"  {result.outcome:<13} {result.file}:{result.line}  {event}  {key_text(result.key)}"
    if result.error:
        line += f"  ({result.error})"
    return masked(line) if redact else line


def canary_verdict(failed: int, size: int, rest: int) -> str:
    """The line after the canary's outcomes: what happens to the creates held back."""
    if failed:
        return f"canary: {failed} of {size} failed; the other {rest} creates were not sent"
    return f"canary: all {size} succeeded; sending the other {rest} creates"
