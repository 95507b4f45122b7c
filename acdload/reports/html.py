"""The HTML report: one self-contained page for the people who own a campaign.

For an apply it is drawn from the JSON report's data (``--report-html`` at the end of a
run, ``acdload report`` later from the file); for a plan from the plan itself
(``plan --format html``). How the page is written, and kept safe whatever its values
hold, is ``acdload.reports.html_page``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from acdload.applying.applier import OUTCOMES
from acdload.planning.matching import ACTIONS, Plan
from acdload.reports.appointment_chart import appointment_of
from acdload.reports.html_page import Cleaner, Column, Page, page, table
from acdload.reports.plan_values import key_text, shown_pair

ATTENTION_ROWS = 100
"""Rows listed in the failures (or drifts) section; the table below has every event."""
FAILING = ("failed", "not_attempted")
APPLY_LABELS = dict(zip(OUTCOMES, OUTCOMES, strict=True)) | {"not_attempted": "not attempted"}
PLAN_LABELS = {
    "create": "to create",
    "exists": "unchanged",
    "drift": "drifted",
    "expired": "expired",
}

APPLY_COLUMNS = (
    Column("number", "#", "number"),
    Column("where", "where", "where"),
    Column("key", "key"),
    Column("outcome", "outcome"),
    Column("event_id", "event", "number"),
    Column("http_status", "HTTP", "number"),
    Column("appointment", "appointment"),
    Column("subject", "Subject"),
    Column("error", "server's error"),
)
PLAN_COLUMNS = (
    Column("number", "#", "number"),
    Column("where", "where", "where"),
    Column("key", "key"),
    Column("outcome", "action"),
    Column("event_id", "event", "number"),
    Column("appointment", "appointment"),
    Column("subject", "Subject"),
)


def _moment(text: str | None) -> str:
    if not text:
        return "unknown"
    try:
        return datetime.fromisoformat(text).isoformat(sep=" ", timespec="seconds")
    except ValueError:
        return text


def _duration(started: str | None, finished: str | None) -> str | None:
    try:
        seconds = (
            datetime.fromisoformat(finished or "") - datetime.fromisoformat(started or "")
        ).total_seconds()
    except (TypeError, ValueError):
        return None
    return f"{seconds:.1f} s"


def _generated(moment: datetime | None) -> str:
    return (moment or datetime.now().astimezone()).isoformat(sep=" ", timespec="seconds")


def _appointment(text: str | None) -> str:
    """``2027-03-01 09:00``: the report's form, easier on the eye."""
    return "" if text is None else text.replace("T", " ")


# -- apply -------------------------------------------------------------------------------


def render_html_report(
    document: Mapping[str, Any], *, redacted: bool = False, generated: datetime | None = None
) -> str:
    """The page of an apply, from its JSON report (``acdload.reports.outcomes``' shape).

    ``acdload report`` hands it a file it has checked (``acdload.reports.report_file``);
    ``apply --report-html`` the document it would write as JSON.
    """
    clean = Cleaner(redacted)
    results: list[Mapping[str, Any]] = document["results"]
    rows = [_apply_row(number, result, clean) for number, result in enumerate(results, 1)]
    counts = [(o, APPLY_LABELS[o], int(document["summary"].get(o, 0))) for o in OUTCOMES]
    started, finished = document.get("started"), document.get("finished")
    moments = [("started", _moment(started)), ("finished", _moment(finished))]
    took = _duration(started, finished)
    if took is not None:
        moments.append(("took", took))
    moments.append(("page written", _generated(generated)))
    return page(
        Page(
            kind="apply",
            title="acdload apply report",
            target=clean.plain(document.get("target")) or "unknown",
            moments=moments,
            counts=counts,
            attention=_failures(rows),
            columns=APPLY_COLUMNS,
            rows=rows,
            appointments=[result.get("appointment") for result in results],
            redacted=redacted,
        )
    )


def _apply_row(number: int, result: Mapping[str, Any], clean: Cleaner) -> dict[str, Any]:
    return {
        "number": number,
        "file": clean.plain(result["file"]),
        "line": result["line"],
        "where": clean.plain(f"{result['file']}:{result['line']}"),
        "key": clean(key_text(result["key"])),
        "outcome": result["outcome"],
        "event_id": result.get("event_id"),
        "http_status": result.get("http_status"),
        "appointment": _appointment(result.get("appointment")),
        "subject": clean(result.get("subject")),
        "error": clean(result.get("error")),
    }


def _failures(rows: list[dict[str, Any]]) -> str:
    failing = sorted(
        (row for row in rows if row["outcome"] in FAILING),
        key=lambda row: FAILING.index(row["outcome"]),
    )
    if not failing:
        return '<section id="failures"><h2>Failures</h2><p class="ok">None.</p></section>'
    shown = [
        [
            row["where"],
            row["key"],
            APPLY_LABELS[row["outcome"]],
            "" if row["http_status"] is None else str(row["http_status"]),
            row["error"],
            row["subject"],
        ]
        for row in failing[:ATTENTION_ROWS]
    ]
    listed = table(
        ["where", "key", "outcome", "HTTP", "server's error", "Subject"],
        shown,
        len(failing) - ATTENTION_ROWS,
        "filter the table of every event by outcome",
    )
    return f'<section id="failures"><h2>Failures ({len(failing)})</h2>{listed}</section>'


# -- plan --------------------------------------------------------------------------------


def render_html_plan(
    plan: Plan, *, redacted: bool = False, generated: datetime | None = None
) -> str:
    """The page of a plan: what apply would create, what exists, what drifted and how."""
    clean = Cleaner(redacted)
    rows = [
        {
            "number": action.index + 1,
            "file": clean.plain(action.file),
            "line": action.line,
            "where": clean.plain(f"{action.file}:{action.line}"),
            "key": clean(key_text(action.key)),
            "outcome": action.action,
            "event_id": action.event_id,
            "appointment": _appointment(appointment_of(action.payload)),
            "subject": clean(action.payload.get("Subject")),
        }
        for action in plan.actions
    ]
    summary = plan.summary
    target = (
        "none (offline: the server was not read, every event is a create)"
        if plan.offline
        else clean.plain(plan.target) or "unknown"
    )
    return page(
        Page(
            kind="plan",
            title="acdload plan",
            target=target,
            moments=[("planned", _generated(generated))],
            counts=[(name, PLAN_LABELS[name], summary[name]) for name in ACTIONS],
            attention=_drifts(plan, clean),
            columns=PLAN_COLUMNS,
            rows=rows,
            appointments=[appointment_of(action.payload) for action in plan.actions],
            redacted=redacted,
        )
    )


def _drifts(plan: Plan, clean: Cleaner) -> str:
    drifted = plan.of("drift")
    note = (
        f'<p class="note">{plan.shared_keys} more server event(s) share a key with an older '
        "event; each key matched its oldest event (lowest ID).</p>"
        if plan.shared_keys
        else ""
    )
    noted = plan.summary["already_open"]
    if noted:
        note += (
            f'<p class="note">{noted} create(s) for customers who already have an open event '
            "of the same type on the server: <code>acdload plan --format text</code> or "
            "<code>json</code> names them.</p>"
        )
    if not drifted:
        return f'<section id="drifts"><h2>Drifted</h2><p class="ok">None.</p>{note}</section>'
    rows = []
    for action in drifted:
        for name, (server, manifest) in action.changes.items():
            left, right = shown_pair(server, manifest)
            rows.append(
                [
                    clean.plain(f"{action.file}:{action.line}"),
                    clean.plain(action.event_id),
                    clean(key_text(action.key)),
                    name,
                    clean(left),
                    clean(right),
                ]
            )
    listed = table(
        ["where", "event", "key", "field", "server", "manifest"],
        rows[:ATTENTION_ROWS],
        len(rows) - ATTENTION_ROWS,
        "acdload plan --format json lists them all",
    )
    return (
        f'<section id="drifts"><h2>Drifted ({len(drifted)})</h2><p class="note">The API '
        "cannot update events: these stay as the server holds them.</p>"
        f"{listed}{note}</section>"
    )
