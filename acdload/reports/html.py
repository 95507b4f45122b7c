"""The HTML report: one self-contained page for the people who own a campaign.

It opens from a file, a CI artifact or a mail attachment, so it carries everything it
needs (inline CSS and JavaScript, an SVG chart) and loads nothing: a Content-Security-
Policy forbids every network load and runs only the page's own script and style (by
hash). What the page shows came from manifests, servers or a report file, so it is
untrusted in one place each:

- every value is scrubbed of credentials, masked with ``--redact``, and its control
  characters made visible (``acdload.safetext``) before anything else;
- every text written into the markup goes through ``html.escape``;
- the data the script reads is JSON inside ``<script type="application/json">`` with
  ``<``, ``>``, ``&`` and U+2028/2029 escaped, so ``</script>`` in a Subject cannot end
  it, and the script writes it back with ``textContent`` only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from acdload import __version__
from acdload.apply import OUTCOMES
from acdload.plan import ACTIONS, Plan
from acdload.redact import identity, redact
from acdload.reports.appointment_chart import appointment_chart, appointment_of
from acdload.reports.plan import key_text, shown_pair
from acdload.safetext import escape as visible
from acdload.safetext import scrub

CELL_LIMIT = 1000
"""Characters of one value shown (a Subject has at most 1,000; a server's error is cut)."""

ATTENTION_ROWS = 100
"""Rows listed in the failures (or drifts) section; the table below has every event."""

FAILING = ("failed", "not_attempted")
APPLY_LABELS = dict(zip(OUTCOMES, OUTCOMES, strict=True)) | {"not_attempted": "not attempted"}
PLAN_LABELS = {"create": "to create", "exists": "unchanged", "drift": "drifted"}

_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the events table: the row field it shows and how it sorts."""

    name: str
    label: str
    sort: str = "text"  # "text", "number", or "where" (file, then line as a number)


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


def script_json(data: Any) -> str:
    """``data`` as JSON that cannot end the ``<script>`` element holding it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)


@cache
def _asset(name: str) -> str:
    return (resources.files("acdload.reports") / "html_assets" / name).read_text("utf-8")


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_policy(style: str, script: str) -> str:
    """No load of any kind; only this style and this script (by hash) apply."""
    return (
        f"default-src 'none'; style-src {_digest(style)}; script-src {_digest(script)}; "
        "base-uri 'none'; form-action 'none'"
    )


class Cleaner:
    """Untrusted values made fit to show: scrubbed, masked (``--redact``: phone numbers and
    e-mail addresses), control characters made visible, capped."""

    def __init__(self, redacted: bool) -> None:
        self.redacted = redacted
        self.mask: Callable[[str], str] = redact if redacted else identity

    def __call__(self, value: object, limit: int | None = CELL_LIMIT) -> str:
        return "" if value is None else visible(self.mask(scrub(str(value))), limit)

    def plain(self, value: object) -> str:
        """Not personal (file names, outcomes, IDs): scrubbed and escaped, never masked."""
        return "" if value is None else visible(scrub(str(value)), CELL_LIMIT)


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


def _cells(cells: Iterable[str], tag: str = "td") -> str:
    return "".join(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in cells)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], more: int, hint: str) -> str:
    body = "".join(f"<tr>{_cells(row)}</tr>" for row in rows)
    table = f"<table><thead><tr>{_cells(header, 'th')}</tr></thead><tbody>{body}</tbody></table>"
    if more > 0:
        table += f'<p class="note">… and {more} more: {html.escape(hint)}</p>'
    return table


@dataclass(frozen=True, slots=True)
class Page:
    """Everything one page shows, already cleaned; :func:`page` writes it."""

    kind: str  # "apply" or "plan"
    title: str
    target: str
    moments: list[tuple[str, str]]
    counts: list[tuple[str, str, int]]  # (outcome, label, count)
    attention: str  # the failures (or drifts) section, markup
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    appointments: list[str | None]
    redacted: bool


def page(content: Page) -> str:
    """The page's markup: one string, every value escaped."""
    style, script = _asset("report.css"), _asset("report.js")
    total = sum(count for _, _, count in content.counts)
    counts = "".join(
        f'<li><button type="button" class="count o-{outcome}{"" if count else " zero"}" '
        f'data-outcome="{outcome}"{"" if count else " disabled"}><span class="n">{count}</span> '
        f"{html.escape(label)}</button></li>"
        for outcome, label, count in content.counts
    )
    moments = "".join(
        f"<div><dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd></div>"
        for name, value in [("target", content.target), *content.moments]
    )
    options = "".join(
        f'<option value="{outcome}">{html.escape(label)} ({count})</option>'
        for outcome, label, count in content.counts
        if count
    )
    status = "action" if content.kind == "plan" else "outcome"
    head = "".join(
        f'<th aria-sort="none"><button type="button" data-column="{c.name}">'
        f"{html.escape(c.label)}</button></th>"
        for c in content.columns
    )
    data = {
        "columns": [{"name": c.name, "sort": c.sort} for c in content.columns],
        "rows": content.rows,
    }
    masked = " Phone numbers and e-mail addresses are masked." if content.redacted else ""
    if content.redacted:
        moments += "<div><dt>masked</dt><dd>phone numbers, e-mail addresses</dd></div>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{content_policy(style, script)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="acdload {html.escape(__version__)}">
<title>{html.escape(content.title)}: {html.escape(content.target)}</title>
<style>{style}</style>
</head>
<body class="{content.kind}">
<header>
<h1>{html.escape(content.title)}</h1>
<dl class="facts">{moments}</dl>
</header>
<main>
<section id="summary" aria-label="summary">
<h2>{total} event{"" if total == 1 else "s"}</h2>
<ul class="counts">{counts}</ul>
</section>
{content.attention}
<section id="chart">
<h2>Appointments per day and hour</h2>
{appointment_chart(content.appointments)}
</section>
<section id="events">
<h2>Every event</h2>
<div class="controls">
<label>{status} <select id="filter-outcome"><option value="">all ({total})</option>{options}</select></label>
<label>text <input id="filter-text" type="search" placeholder="file, key, Subject, error…"></label>
<span id="shown" role="status"></span>
</div>
<noscript><p class="note">Sorting, filtering and this table need JavaScript.</p></noscript>
<table id="events-table"><thead><tr>{head}</tr></thead><tbody></tbody></table>
<button type="button" id="more" hidden></button>
</section>
</main>
<footer>Written by acdload {html.escape(__version__)}.{masked}</footer>
<script type="application/json" id="acdload-data">{script_json(data)}</script>
<script>{script}</script>
</body>
</html>
"""


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
    table = _table(
        ["where", "key", "outcome", "HTTP", "server's error", "Subject"],
        shown,
        len(failing) - ATTENTION_ROWS,
        "filter the table of every event by outcome",
    )
    return f'<section id="failures"><h2>Failures ({len(failing)})</h2>{table}</section>'


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
    table = _table(
        ["where", "event", "key", "field", "server", "manifest"],
        rows[:ATTENTION_ROWS],
        len(rows) - ATTENTION_ROWS,
        "acdload plan --format json lists them all",
    )
    return (
        f'<section id="drifts"><h2>Drifted ({len(drifted)})</h2><p class="note">The API '
        "cannot update events: these stay as the server holds them.</p>"
        f"{table}{note}</section>"
    )
