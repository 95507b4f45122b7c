"""A campaign to report on, applied for real: callbacks spread over days and hours, some
already on the server, some refused by it, one with a Subject that is markup.

``applied_campaign`` runs ``acdload apply`` (as a process) against an emulator that knows
group 235 only, so the events sent to group 999 fail with the server's 400.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tests.cli.support import run_acdload
from tests.emulator_support import EmulatorHandle

HOSTILE_SUBJECT = "</script><script>alert(1)</script><img src=x onerror=alert(2)> & done"
FIELDS = (
    "AcdEventTypesID",
    "AcdGroupsID",
    "Sender",
    "Subject",
    "UserData",
    "dtAppointmentDate",
    "dtAppointmentTime",
)
FIRST_DAY = date(2030, 3, 4)  # a Monday, long after any test runs
EVENTS = 24
EXISTING = 3  # the first events are applied once before the campaign
FAILING = 2  # the last events go to a group the server does not have
HOSTILE_AT = 5  # the event whose Subject is markup


def sender(number: int) -> str:
    return f"+49 170 {3000000 + number}"


def campaign_rows(count: int = EVENTS, failing: int = FAILING) -> list[dict[str, Any]]:
    """Callbacks over five days, 08:00 to 17:45; the last ``failing`` to group 999."""
    rows = []
    for number in range(count):
        day = FIRST_DAY + timedelta(days=number % 5)
        rows.append(
            {
                "AcdEventTypesID": 3,
                "AcdGroupsID": 999 if number >= count - failing else 235,
                "Sender": sender(number),
                "Subject": HOSTILE_SUBJECT
                if number == HOSTILE_AT
                else f"Call back customer {number}",
                "UserData": f"K-{number:04d}",
                "dtAppointmentDate": day.isoformat(),
                "dtAppointmentTime": f"{8 + number * 7 % 10:02d}:{number * 15 % 60:02d}",
            }
        )
    return rows


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def slots(rows: list[dict[str, Any]]) -> Counter[tuple[str, int]]:
    """Appointments per (day, hour), as the chart should count them."""
    return Counter((row["dtAppointmentDate"], int(row["dtAppointmentTime"][:2])) for row in rows)


def target_env(handle: EmulatorHandle) -> dict[str, str]:
    return {"ACDLOAD_BASE_URL": handle.base_url, "ACDLOAD_TOKEN": handle.token}


@dataclass
class Campaign:
    folder: Path
    rows: list[dict[str, Any]]
    report: Path  # the JSON report
    page: Path  # the page apply wrote with --report-html

    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.report.read_text(encoding="utf-8"))
        return loaded


def groups_file(folder: Path) -> Path:
    path = folder / "groups.yaml"
    path.write_text("groups:\n  - id: 235\n", encoding="utf-8")
    return path


def applied_campaign(folder: Path, handle: EmulatorHandle, *extra: str) -> Campaign:
    """The campaign applied to ``handle`` (an emulator with :func:`groups_file`): the
    first events in an earlier run, then all of them with ``--report`` and
    ``--report-html`` (and ``extra`` options)."""
    rows = campaign_rows()
    write_rows(folder / "first.csv", rows[:EXISTING])
    write_rows(folder / "campaign.csv", rows)
    env = target_env(handle)
    first = run_acdload("apply", "first.csv", "--yes", "-q", cwd=folder, env=env)
    assert first.returncode == 0, first.stderr
    done = run_acdload(
        "apply", "campaign.csv", "--yes", "--report", "report.json",
        "--report-html", "report.html", *extra, cwd=folder, env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the events of group 999 failed
    return Campaign(folder, rows, folder / "report.json", folder / "report.html")


class PageParser(HTMLParser):
    """What a browser would build from the page, without running it: every element with
    its attributes, the text of each ``<script>`` and ``<style>``, the text of each
    table cell of a section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.cells: dict[str, list[str]] = {}
        self._open: str | None = None
        self._raw: list[str] = []
        self._attrs: dict[str, str | None] = {}
        self._section = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag in ("script", "style"):
            self._open, self._raw, self._attrs = tag, [], attributes
        if tag == "section":
            self._section = attributes.get("id") or ""
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open == "script":
            self.scripts.append((self._attrs, "".join(self._raw)))
            self._open = None
        elif tag == self._open == "style":
            self.styles.append("".join(self._raw))
            self._open = None
        if tag == "td" and self._cell is not None:
            self.cells.setdefault(self._section, []).append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._raw.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


def page_data(text: str) -> dict[str, Any]:
    """The JSON the page's script reads."""
    (found,) = [body for attrs, body in parse_page(text).scripts if attrs.get("type")]
    data: dict[str, Any] = json.loads(found)
    return data
