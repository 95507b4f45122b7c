"""The HTML report in a real browser: Debian's chromium, headless, driven by playwright.

The page of a real apply (made once for this module) is opened from its file as a user
opens it. What a user sees is asserted: it loads with no console error and no request,
its counts are the JSON report's, the outcome filter shows exactly those rows, the text
filter and sorting work, and a Subject that is markup stays text.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from acdload.applying.applier import OUTCOMES
from acdload.emulator import Emulator, EmulatorConfig
from tests.cli.support import run_acdload
from tests.emulator_support import EmulatorHandle
from tests.reports.browser import chromium, missing
from tests.reports.support import (
    EVENTS,
    HOSTILE_AT,
    HOSTILE_SUBJECT,
    Campaign,
    applied_campaign,
    groups_file,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    why = missing()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    folder = tmp_path_factory.mktemp("campaign")
    server = Emulator(EmulatorConfig(host="127.0.0.1", groups=groups_file(folder))).start()
    try:
        handle = EmulatorHandle(server.base_url, server.token, server.client_id, None)
        yield applied_campaign(folder, handle)
    finally:
        server.stop()


class Visit:
    """A page opened in the browser, with everything it complained about or asked for."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page: Page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def column(self, name: str) -> list[str]:
        return self.page.locator(f"#events-table tbody td.c-{name}").all_inner_texts()

    def count(self, outcome: str) -> int:
        return int(self.page.locator(f'.count[data-outcome="{outcome}"] .n').inner_text())


@pytest.fixture
def visit(browser: Browser, campaign: Campaign) -> Iterator[Visit]:
    opened = Visit(browser, campaign.page)
    yield opened
    opened.page.close()


def test_the_page_loads_with_no_error_and_no_request(visit: Visit) -> None:
    assert visit.page.locator("#events-table tbody tr").count() == EVENTS
    assert visit.errors == []
    assert visit.requests == [visit.url]  # the file itself, nothing else


def test_the_counts_shown_are_the_reports(visit: Visit, campaign: Campaign) -> None:
    summary = campaign.document()["summary"]
    assert {outcome: visit.count(outcome) for outcome in OUTCOMES} == summary
    assert visit.page.locator("#summary h2").inner_text() == f"{EVENTS} events"
    assert visit.page.locator("#shown").inner_text() == f"{EVENTS} events"


def test_filtering_by_outcome_shows_exactly_those_rows(visit: Visit, campaign: Campaign) -> None:
    results = campaign.document()["results"]
    for outcome in OUTCOMES:
        expected = [f"{r['file']}:{r['line']}" for r in results if r["outcome"] == outcome]
        if not expected:
            continue
        visit.page.select_option("#filter-outcome", outcome)
        assert visit.column("where") == expected
        assert set(visit.column("outcome")) == {outcome}
        assert visit.page.locator("#shown").inner_text() == f"{len(expected)} of {EVENTS} events"
    visit.page.select_option("#filter-outcome", "")
    assert len(visit.column("outcome")) == EVENTS
    # A count is a filter too: once on, twice off.
    failed = visit.page.locator('.count[data-outcome="failed"]')
    failed.click()
    assert set(visit.column("outcome")) == {"failed"}
    failed.click()
    assert len(visit.column("outcome")) == EVENTS
    assert visit.errors == []


def test_filtering_by_text_matches_any_column(visit: Visit) -> None:
    visit.page.fill("#filter-text", "k-0007")
    assert visit.column("key") == ["AcdEventTypesID=3 Sender=491703000007 UserData=K-0007"]
    visit.page.fill("#filter-text", "AcdGroupsID")  # in the server's error only
    assert set(visit.column("outcome")) == {"failed"}
    visit.page.fill("#filter-text", "")
    assert len(visit.column("outcome")) == EVENTS


def test_sorting_by_a_column_and_back(visit: Visit) -> None:
    sort_by = visit.page.locator("#events-table th button")

    sort_by.filter(has_text="event").click()
    ids = visit.column("event_id")
    numbers = [int(text) for text in ids if text]
    assert numbers == sorted(numbers) and ids[len(numbers) :] == [""] * (EVENTS - len(numbers))
    assert visit.page.locator("th[aria-sort=ascending]").inner_text().startswith("event")

    sort_by.filter(has_text="event").click()
    numbers = [int(text) for text in visit.column("event_id") if text]
    assert numbers == sorted(numbers, reverse=True)

    sort_by.filter(has_text="where").click()  # by line as a number: 2, 3, ..., 10, 11
    lines = [int(where.rsplit(":", 1)[1]) for where in visit.column("where")]
    assert lines == list(range(2, EVENTS + 2))

    sort_by.filter(has_text="appointment").click()
    appointments = visit.column("appointment")
    assert appointments == sorted(appointments) and appointments[0] == "2030-03-04 08:00"


def test_a_subject_that_is_markup_stays_text(visit: Visit) -> None:
    subjects = visit.column("subject")
    assert subjects[HOSTILE_AT] == HOSTILE_SUBJECT
    assert visit.page.get_by_text(HOSTILE_SUBJECT, exact=True).count() == 1
    assert visit.page.locator("img").count() == 0
    assert visit.page.locator("script").count() == 2  # the data and the page's own code
    assert visit.dialogs == [] and visit.errors == []


def test_printing_hides_the_controls_and_lists_every_row(visit: Visit) -> None:
    visit.page.select_option("#filter-outcome", "created")
    visit.page.emulate_media(media="print")
    assert not visit.page.locator(".controls").is_visible()
    assert visit.page.locator("#summary").is_visible()
    pdf = visit.page.pdf()
    assert pdf.startswith(b"%PDF")


def test_the_plan_page_in_the_browser(browser: Browser, campaign: Campaign) -> None:
    planned = run_acdload(
        "plan", "campaign.csv", "--offline", "--format", "html", cwd=campaign.folder
    )
    assert planned.returncode == 0, planned.stderr
    path = campaign.folder / "plan.html"
    path.write_text(planned.stdout, encoding="utf-8")
    visit = Visit(browser, path)
    try:
        assert visit.count("create") == EVENTS
        assert visit.count("exists") == visit.count("drift") == 0
        visit.page.select_option("#filter-outcome", "create")
        assert len(visit.column("outcome")) == EVENTS
        assert visit.column("subject")[HOSTILE_AT] == HOSTILE_SUBJECT
        assert visit.errors == [] and visit.dialogs == []
        assert visit.requests == [visit.url]
    finally:
        visit.page.close()
