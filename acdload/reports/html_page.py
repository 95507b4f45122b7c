"""The markup of the HTML report's page, and the one place its safety is kept.

The page opens from a file, a CI artifact or a mail attachment, so it carries everything it
needs (inline CSS and JavaScript, an SVG chart) and loads nothing: a Content-Security-
Policy forbids every network load and runs only the page's own script and style (by
hash). What the page shows came from manifests, servers or a report file, so it is
untrusted, and is made harmless here:

- every value is scrubbed of credentials, masked with ``--redact``, and its control
  characters made visible (``acdload.safetext``) by :class:`Cleaner`;
- every text written into the markup goes through ``html.escape``;
- the data the script reads is JSON inside ``<script type="application/json">`` with
  ``<``, ``>``, ``&`` and U+2028/2029 escaped (:func:`script_json`), so ``</script>`` in a
  Subject cannot end it, and the script writes it back with ``textContent`` only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from acdload import __version__
from acdload.reports.appointment_chart import appointment_chart
from acdload.reports.redact import identity, redact
from acdload.safetext import escape as visible
from acdload.safetext import scrub

CELL_LIMIT = 1000
"""Characters of one value shown (a Subject has at most 1,000; a server's error is cut)."""

_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the events table: the row field it shows and how it sorts."""

    name: str
    label: str
    sort: str = "text"  # "text", "number", or "where" (file, then line as a number)


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


def cells(cells: Iterable[str], tag: str = "td") -> str:
    return "".join(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in cells)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], more: int, hint: str) -> str:
    body = "".join(f"<tr>{cells(row)}</tr>" for row in rows)
    table = f"<table><thead><tr>{cells(header, 'th')}</tr></thead><tbody>{body}</tbody></table>"
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
