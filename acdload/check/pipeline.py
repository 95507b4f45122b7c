"""The front half of every command: read, render and validate a load, in one pass.

It turns field-level issues into located problems. An issue caused by a default or a
template is reported once at the default's or template's own line when every event that
uses it has that issue (or one already reported for an input it could not read), and at
each affected event (naming its origin) otherwise. Other events' problems do not matter.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from acdload.check.bookings import double_booked
from acdload.check.render import RENDER_SECONDS, FieldIssue, Rendered
from acdload.check.workers import STOP_AFTER_TIMEOUTS, render_and_check
from acdload.manifest.loading import Load, read_load
from acdload.manifest.model import Event
from acdload.problems import Location, Problem, Severity, sort_key, strict

SharedKey = tuple[int, str, str, str]
"""One issue of one default or template: (id of its manifest, its kind, field, rule)."""


@dataclass(frozen=True, slots=True)
class CheckOptions:
    now: datetime
    strict: bool = False
    phone_region: str | None = None  # --phone-region: for manifests that name none
    root: Path | None = None  # --root: where manifests may read (else each one's directory)
    jobs: int | None = None  # processes that render and check (None: one per core for a large load)


@dataclass(slots=True)
class Prepared:
    """Payloads aligned with ``load.events``, and every problem found on the way."""

    load: Load
    payloads: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage (read, render_check, locate): what a caller tunes or reports."""

    @property
    def has_errors(self) -> bool:
        return any(problem.is_error for problem in self.problems)


def prepare(paths: list[str], options: CheckOptions) -> Prepared:
    started = time.perf_counter()
    load = read_load(paths, options.phone_region, options.root)
    read = time.perf_counter()
    outcome = render_and_check(load.events, options.now, options.jobs)
    rendered = time.perf_counter()
    prepared = Prepared(load, outcome.payloads)
    flagged = [Rendered(load.events[i], outcome.payloads[i], found) for i, found in outcome.flagged]
    skipped = set(outcome.skipped)
    problems = list(load.problems)
    problems.extend(_locate(flagged, load.events, skipped))
    problems.extend(_stopped(load.events, outcome.skipped))
    duplicates = _duplicate_keys(prepared, skipped)
    problems.extend(duplicates.values())
    problems.extend(double_booked(prepared.load, prepared.payloads, skipped, duplicates))
    if options.strict:
        problems = strict(problems)
    problems.sort(key=sort_key)
    prepared.problems = problems
    prepared.timings = {
        "read": read - started,
        "render_check": rendered - read,
        "locate": time.perf_counter() - rendered,
    }
    return prepared


def _origin(event: Event, name: str | None) -> str:
    if name is None or name in event.values:
        return "event"
    if name in event.manifest.templates:
        return "template"
    if name in event.manifest.defaults:
        return "default"
    return "event"


def _origin_location(event: Event, kind: str, name: str) -> Location:
    manifest = event.manifest
    if kind == "template":
        return manifest.templates[name].location
    return manifest.default_locations[name]


def _problem(location: Location, issue: FieldIssue, message: str) -> Problem:
    severity = Severity.ERROR if issue.is_error else Severity.WARNING
    return Problem(location, severity, issue.rule, message, issue.field)


def _told_already(event: Event, issue: FieldIssue) -> bool:
    """An issue that only follows from a value that could not be read, reported already."""
    manifest = event.manifest
    if issue.rule == "phone-national":
        return manifest.phone_region_unread  # the region to read it in is reported instead
    if issue.rule == "template-render" and issue.field in manifest.templates:
        return not manifest.templates[issue.field].uses.isdisjoint(event.not_read())
    return False


def _shared_key(event: Event, issue: FieldIssue) -> SharedKey | None:
    """The default or template an issue comes from, or None for the event's own value."""
    kind = _origin(event, issue.field)
    if kind == "event" or issue.field is None:
        return None
    return (id(event.manifest), kind, issue.field, issue.rule)


def _locate(flagged: list[Rendered], events: list[Event], skipped: set[int]) -> list[Problem]:
    problems: list[Problem] = []
    shared: dict[SharedKey, list[tuple[Event, FieldIssue]]] = defaultdict(list)
    told: dict[SharedKey, set[int]] = defaultdict(set)  # ids of events told of it already
    for rendered in flagged:
        event = rendered.event
        for issue in rendered.issues:
            key = _shared_key(event, issue)
            if _told_already(event, issue):
                if key is not None:
                    told[key].add(id(event))
            elif key is not None:
                shared[key].append((event, issue))
            else:
                header = event.csv_header(issue.field)
                message = issue.message if header is None else f"column {header!r}: {issue.message}"
                problems.append(_problem(event.locate(issue.field), issue, message))
    rendered_events = [e for i, e in enumerate(events) if i not in skipped] if skipped else events
    unrendered = [events[i] for i in sorted(skipped)]
    for key, hits in shared.items():
        _, kind, name, _rule = key
        first_event, first_issue = hits[0]
        origin = _origin_location(first_event, kind, name)
        manifest = first_event.manifest
        users = sum(
            1 for e in rendered_events if e.manifest is manifest and _origin(e, name) == kind
        )
        if len({id(e) for e, _ in hits} | told[key]) == users:
            if any(e.manifest is manifest and _origin(e, name) == kind for e in unrendered):
                suffix = f" (for all {users} events rendered that use it)"
            else:
                suffix = "" if users == 1 else f" (for all {users} events that use it)"
            problems.append(_problem(origin, first_issue, first_issue.message + suffix))
        else:
            label = "default" if kind == "default" else "template"
            for event, issue in hits:
                message = f"{issue.message} (from the {label} at {origin})"
                problems.append(_problem(event.location, issue, message))
    return problems


def _stopped(events: list[Event], skipped: list[int]) -> list[Problem]:
    """Where rendering stopped, so nobody takes the load's silence after it for a pass."""
    if not skipped:
        return []
    message = (
        f"rendering stopped after {STOP_AFTER_TIMEOUTS} templates took longer than "
        f"{RENDER_SECONDS:g} s: this event and {len(skipped) - 1} more after it were not checked"
    )
    location = events[skipped[0]].location
    return [Problem(location, Severity.ERROR, "template-limit", message, None)]


def _duplicate_keys(prepared: Prepared, skipped: set[int]) -> dict[int, Problem]:
    """The ``duplicate-key`` problem of each event that repeats an earlier one's key, by
    the event's position in the load."""
    problems: dict[int, Problem] = {}
    seen: dict[tuple[Any, ...], Event] = {}
    for position, (event, payload) in enumerate(
        zip(prepared.load.events, prepared.payloads, strict=True)
    ):
        if position in skipped:
            continue  # not rendered: its key is not known
        if event.unread or event.manifest.unread:
            unread = event.not_read()
            if not unread.isdisjoint(event.manifest.key):
                continue  # part of its key could not be read: it cannot be compared
        key = tuple(map(payload.get, event.manifest.key))
        earlier = seen.setdefault(key, event)
        if earlier is not event:
            shown = ", ".join(f"{n}={payload.get(n)!r}" for n in event.manifest.key)
            problems[position] = Problem(
                event.location,
                Severity.ERROR,
                "duplicate-key",
                f"duplicate event: same key ({shown}) as the event at {earlier.location}; "
                "the server would hold one of them only",
                None,
            )
    return problems
