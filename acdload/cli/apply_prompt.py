"""What ``acdload apply`` shows before it asks to send: the target by the name the user
gave it, the first creates as ``plan`` shows them, and the counts.

A "y" is only informed consent if the user sees where the events go and what they are:
a prompt that names only a count lets a wrong ``--target`` or a wrong file through.
The token is never shown: the target is named by its ``acdload.toml`` name or its URL.
"""

from __future__ import annotations

import sys

from acdload.planning.make import Plan
from acdload.reports.plan import PlanReporter
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


def question(creates: int, target: Target) -> str:
    return f"Create {creates} events on {escape(target_name(target), None)}?"
