"""How a plan is shown: text for a terminal or CI log, JSON for tools, Markdown for a PR,
HTML for a browser.

Adding a format is adding a class to ``PLAN_REPORTERS``. Human-readable formats pass
every value through the redactor when ``--redact`` is given; JSON is data and keeps every
value exactly. Values come from manifests and from the server, so every format escapes
them: no control character or bidirectional override reaches a terminal or a PR comment,
and JSON writes them as ``\\u`` escapes (the same data once parsed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import ClassVar, TextIO

from acdload.planning.matching import Action, Plan
from acdload.reports import redact as redaction
from acdload.reports.html import render_html_plan
from acdload.reports.plan_values import key_text, shorten, shown, shown_pair
from acdload.safetext import escape, escape_json

SUBJECT_WIDTH = 72


def wants_color(
    stream: TextIO, environ: Mapping[str, str] | None = None, *, choice: str = "auto"
) -> bool:
    """Whether output to ``stream`` is coloured: the one place that decides (``--color``).

    ``always`` and ``never`` are what the user asked for, ``NO_COLOR`` included (an
    explicit option wins over the environment). ``auto``: on a terminal only, and never
    when ``NO_COLOR`` is set to anything (no-color.org).
    """
    if choice != "auto":
        return choice == "always"
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(plan: Plan) -> str:
    counts = plan.summary
    line = f"{counts['create']} to create, {counts['exists']} unchanged, {counts['drift']} drifted"
    line += notes_text(counts)
    if plan.offline:
        return f"{line} (offline: the server was not read)"
    return f"{line} (target: {plan.target})"


def notes_text(counts: Mapping[str, int]) -> str:
    """What a summary line adds when there is something to say: expired events, and
    creates for customers with open events on the server."""
    notes = [
        f"{counts['expired']} expired (not sent)" if counts.get("expired") else "",
        _open_text(counts.get("already_open", 0)),
    ]
    return "".join(f", {note}" for note in notes if note)


def _open_text(creates: int) -> str:
    if not creates:
        return ""
    if creates == 1:
        return "1 create for a customer with open events"
    return f"{creates} creates for customers with open events"


def open_note(action: Action) -> str:
    """The note under a create whose customer has open events on the server."""
    ids = ", ".join(str(event_id) for event_id in action.already_open)
    return f"already open on the server for this customer: event {ids}"


EXPIRED_NOTE = "Their appointment has passed: apply does not send them (`--allow-past` sends them)."


class PlanReporter:
    name: ClassVar[str]

    def __init__(
        self, out: TextIO, *, verbose: bool = False, redact: bool = False, color: bool = False
    ) -> None:
        self.out = out
        self.verbose = verbose
        self.masked: Callable[[str], str] = redaction.redact if redact else redaction.identity
        self.color = color

    def clean(self, text: str) -> str:
        """A value as shown: masked with ``--redact``, and escaped."""
        return escape(self.masked(text), None)

    @staticmethod
    def where(action: Action) -> str:
        """``FILE:LINE``, escaped: file names come from whoever wrote the manifests."""
        return escape(f"{action.file}:{action.line}", None)

    def key_text(self, action: Action, separator: str = " ") -> str:
        return self.clean(key_text(action.key, separator))

    def subject(self, action: Action, width: int = SUBJECT_WIDTH) -> str:
        return self.clean(shorten(shown(action.payload.get("Subject")), width))

    def report(self, plan: Plan) -> None:
        raise NotImplementedError


_STYLES = {
    "create": ("+", "32"),
    "drift": ("~", "33"),
    "exists": ("=", "2"),
    "expired": ("x", "2"),
}


class TextReporter(PlanReporter):
    """The summary line, then one line per create and drift (and unchanged with -v)."""

    name = "text"

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def report(self, plan: Plan) -> None:
        write = self.out.write
        write(summary_line(plan) + "\n")
        names = ("create", "exists", "drift") if self.verbose else ("create", "drift")
        for action in plan.of(*names, "expired"):
            symbol, code = _STYLES[action.action]
            head = self.paint(f"{symbol} {action.action:<6}", code)
            where = self.where(action)
            event = "" if action.event_id is None else f"  (event {action.event_id})"
            write(f"{head} {where}  {self.key_text(action)}  {self.subject(action)}{event}\n")
            if action.already_open:
                write(f"      note: {open_note(action)}\n")
            for name, (server, manifest) in action.changes.items():
                left, right = shown_pair(server, manifest)
                arrow = self.paint("->", code)
                write(f"      {name}: {self.clean(left)} {arrow} {self.clean(right)}\n")
        if plan.shared_keys:
            write(
                f"note: {plural(plan.shared_keys, 'more server event')} share a key with an "
                "older event; each key matched its oldest event (lowest ID)\n"
            )


class JsonReporter(PlanReporter):
    """``{"target", "summary", "actions"}``: every value, unredacted (JSON is data)."""

    name = "json"

    def report(self, plan: Plan) -> None:
        document = {
            "target": plan.target,
            "summary": plan.summary,
            "actions": [action.as_dict() for action in plan.actions],
        }
        self.out.write(escape_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n")


FOLD_AT = 10  # sections with more rows than this are folded in <details>
MAX_ROWS = 50  # rows shown per section; a PR comment must stay short
CELL_WIDTH = 80


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell (GitHub renders inline HTML)."""
    text = shorten(text, CELL_WIDTH)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


class MarkdownReporter(PlanReporter):
    """A summary table, then the creates and the drifts: a pull-request comment."""

    name = "markdown"

    def clean(self, text: str) -> str:
        """Masked and escaped, line breaks kept: :func:`cell` shows them as ``<br>``."""
        lines = text.replace("\r\n", "\n").split("\n")
        return "\n".join(escape(self.masked(line), None) for line in lines)

    def report(self, plan: Plan) -> None:
        counts = plan.summary
        lines = ["## acdload plan", ""]
        if plan.offline:
            lines.append(
                "Target: none (`--offline`: the server was not read, every event is a create)"
            )
        else:
            lines.append(f"Target: `{plan.target}`")
        lines += [
            "",
            "| action | events |",
            "|---|---:|",
            f"| to create | {counts['create']} |",
            f"| unchanged | {counts['exists']} |",
            f"| drifted | {counts['drift']} |",
        ]
        if counts["expired"]:
            lines.append(f"| expired (not sent) | {counts['expired']} |")
        if counts["already_open"]:
            lines.append(f"| creates for customers with open events | {counts['already_open']} |")
        creates = [self.action_row(a) for a in plan.of("create")]
        lines += self.section("To create", len(creates), creates, "| where | key | Subject |")
        noted = [self.open_row(a) for a in plan.actions if a.already_open]
        lines += self.section(
            "Already open on the server",
            len(noted),
            noted,
            "| where | key | open events |",
            note="These customers already have an open event of the same type: "
            "a create adds another.",
        )
        expired = [self.action_row(a) for a in plan.of("expired")]
        lines += self.section(
            "Expired", len(expired), expired, "| where | key | Subject |", note=EXPIRED_NOTE
        )
        drifted = plan.of("drift")
        lines += self.section(
            "Drifted",
            len(drifted),
            [row for a in drifted for row in self.drift_rows(a)],
            "| where | event | field | server | manifest |",
            note="The API cannot update events: these stay as the server holds them.",
        )
        if self.verbose:
            unchanged = [self.action_row(a) for a in plan.of("exists")]
            lines += self.section(
                "Unchanged", len(unchanged), unchanged, "| where | key | Subject |"
            )
        if plan.shared_keys:
            lines += [
                "",
                f"Note: {plural(plan.shared_keys, 'more server event')} share a key with an "
                "older event; each key matched its oldest event (lowest ID).",
            ]
        self.out.write("\n".join(lines) + "\n")

    def action_row(self, action: Action) -> str:
        key = cell(self.key_text(action, ", "))
        subject = cell(self.clean(shorten(str(action.payload.get("Subject", "")), CELL_WIDTH)))
        return f"| `{self.where(action)}` | {key} | {subject} |"

    def open_row(self, action: Action) -> str:
        ids = ", ".join(str(event_id) for event_id in action.already_open)
        return f"| `{self.where(action)}` | {cell(self.key_text(action, ', '))} | {cell(ids)} |"

    def drift_rows(self, action: Action) -> list[str]:
        rows = []
        for name, (server, manifest) in action.changes.items():
            left, right = shown_pair(server, manifest)
            rows.append(
                f"| `{self.where(action)}` | {action.event_id} | {name} "
                f"| {cell(self.clean(left))} | {cell(self.clean(right))} |"
            )
        return rows

    def section(
        self, title: str, events: int, rows: list[str], header: str, note: str | None = None
    ) -> list[str]:
        """A titled table; folded in ``<details>`` when long, cut at ``MAX_ROWS`` rows."""
        if not rows:
            return []
        columns = header.count("|") - 1
        table = [header, "|" + "---|" * columns, *rows[:MAX_ROWS]]
        hidden = len(rows) - MAX_ROWS
        if hidden > 0:
            table += ["", f"… and {hidden} more; `--format json` lists them all."]
        out = ["", f"### {title} ({events})", ""]
        if note:
            out += [note, ""]
        if len(rows) > FOLD_AT:
            return [
                *out,
                f"<details><summary>Show {len(rows)} rows</summary>",
                "",
                *table,
                "",
                "</details>",
            ]
        return out + table


class HtmlReporter(PlanReporter):
    """A self-contained page to review in a browser or keep as a CI artifact."""

    name = "html"

    def __init__(
        self, out: TextIO, *, verbose: bool = False, redact: bool = False, color: bool = False
    ) -> None:
        super().__init__(out, verbose=verbose, redact=redact, color=color)
        self.redacted = redact

    def report(self, plan: Plan) -> None:
        self.out.write(render_html_plan(plan, redacted=self.redacted))


PLAN_REPORTERS: dict[str, type[PlanReporter]] = {
    cls.name: cls for cls in (TextReporter, JsonReporter, MarkdownReporter, HtmlReporter)
}
