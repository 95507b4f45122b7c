"""The HTML report as a file: what apply, ``acdload report`` and ``plan --format html``
write, read without a browser (the browser tests are in ``test_html_browser.py``)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from acdload.applying.applier import OUTCOMES
from acdload.reports.redact import redact
from tests.cli.support import run_acdload
from tests.emulator_support import RunningEmulator
from tests.planning.helpers import PAYLOADS, create_on_server, write_manifest
from tests.reports.support import (
    EVENTS,
    EXISTING,
    FAILING,
    HOSTILE_SUBJECT,
    applied_campaign,
    groups_file,
    page_data,
    parse_page,
    slots,
    target_env,
)

WRITTEN = re.compile(r"<dt>page written</dt><dd>[^<]*</dd>")


def test_apply_writes_the_page_and_report_renders_the_same_one_later(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    campaign = applied_campaign(tmp_path, emulator_factory(groups=groups_file(tmp_path)))
    later = run_acdload("report", "report.json", "-o", "later.html", cwd=tmp_path)

    assert later.returncode == 0, later.stderr
    assert later.stderr == (
        f"wrote later.html: {EVENTS} events "
        f"({EVENTS - EXISTING - FAILING} created, {EXISTING} exists, {FAILING} failed)\n"
    )
    written, rendered = campaign.page.read_text("utf-8"), (tmp_path / "later.html").read_text()
    assert WRITTEN.sub("", written) == WRITTEN.sub("", rendered)
    for page in (campaign.page, tmp_path / "later.html"):
        assert stat.S_IMODE(page.stat().st_mode) == 0o600  # it lists phone numbers


def test_the_page_shows_the_reports_counts_failures_and_events(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    emulator = emulator_factory(groups=groups_file(tmp_path))
    campaign = applied_campaign(tmp_path, emulator)
    document = campaign.document()
    text = campaign.page.read_text("utf-8")
    page = parse_page(text)

    assert f"<dt>target</dt><dd>{emulator.base_url}</dd>" in text
    shown = dict(re.findall(r'data-outcome="(\w+)"[^>]*><span class="n">(\d+)</span>', text))
    assert {name: int(count) for name, count in shown.items()} == document["summary"]
    assert list(shown) == list(OUTCOMES)

    # Failures first: where, key as Field=value, HTTP status, the server's error, Subject.
    failed = [r for r in document["results"] if r["outcome"] == "failed"]
    cells = page.cells["failures"]
    assert len(cells) == 6 * FAILING
    first = cells[:6]
    assert first[0] == f"campaign.csv:{failed[0]['line']}"
    assert first[1] == f"AcdEventTypesID=3 Sender=49170{3000000 + EVENTS - FAILING} " + (
        f"UserData=K-{EVENTS - FAILING:04d}"
    )
    assert first[2:4] == ["failed", "400"]
    assert first[4] == failed[0]["error"] and "AcdGroupsID" in first[4]
    assert text.index('id="failures"') < text.index('id="chart"') < text.index('id="events"')

    # Every event is in the table's data, in report order.
    rows = page_data(text)["rows"]
    assert [row["outcome"] for row in rows] == [r["outcome"] for r in document["results"]]
    assert [row["event_id"] for row in rows] == [r["event_id"] for r in document["results"]]
    assert rows[0]["where"] == "campaign.csv:2"
    assert rows[0]["appointment"] == "2030-03-04 08:00"
    assert rows[5]["subject"] == HOSTILE_SUBJECT


def test_the_chart_counts_the_appointments_per_day_and_hour(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    campaign = applied_campaign(tmp_path, emulator_factory(groups=groups_file(tmp_path)))
    page = parse_page(campaign.page.read_text("utf-8"))
    drawn = Counter(
        {
            (str(attrs["data-day"]), int(str(attrs["data-hour"]))): int(str(attrs["data-count"]))
            for tag, attrs in page.elements
            if tag == "g" and "data-count" in attrs
        }
    )
    expected = slots(campaign.rows)
    assert +drawn == expected
    hours = {hour for _, hour in drawn}
    assert hours == set(range(min(h for _, h in expected), max(h for _, h in expected) + 1))


def test_redact_masks_phone_numbers_in_the_page(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    campaign = applied_campaign(
        tmp_path, emulator_factory(groups=groups_file(tmp_path)), "--redact"
    )
    later = run_acdload("report", "report.json", "-o", "later.html", "--redact", cwd=tmp_path)
    assert later.returncode == 0, later.stderr
    plain = run_acdload("report", "report.json", "-o", "plain.html", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr

    number = f"49170{3000000 + 7}"
    assert number in (tmp_path / "plain.html").read_text("utf-8")
    for page in (campaign.page, tmp_path / "later.html"):
        text = page.read_text("utf-8")
        assert "49170300" not in text, page  # no full number, not even a prefix of eight
        assert f"Sender={redact(number)} " in text and redact(number) != number
        assert "phone numbers, e-mail addresses" in text


def test_page_loads_nothing_and_runs_only_its_own_script_and_style(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    campaign = applied_campaign(tmp_path, emulator_factory(groups=groups_file(tmp_path)))
    page = parse_page(campaign.page.read_text("utf-8"))

    loading = {"src", "href", "srcset", "action", "formaction", "data", "poster", "background"}
    assert [(tag, attrs) for tag, attrs in page.elements if loading & set(attrs)] == []
    assert not {tag for tag, _ in page.elements} & {"link", "img", "iframe", "object", "embed"}
    (policy,) = [attrs["content"] for tag, attrs in page.elements if attrs.get("http-equiv")]
    assert policy is not None
    assert policy.startswith("default-src 'none'; ")

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    code = [body for attrs, body in page.scripts if not attrs.get("type")]
    assert len(code) == 1 and len(page.styles) == 1
    assert f"script-src {digest(code[0])};" in policy
    assert f"style-src {digest(page.styles[0])};" in policy


def test_plan_format_html_shows_creates_unchanged_and_drift(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    write_manifest(tmp_path)
    drifted = dict(PAYLOADS[1], Subject="Changed on the server")
    create_on_server(emulator, [PAYLOADS[0], drifted])
    planned = run_acdload(
        "plan", "callbacks.yaml", "--format", "html", cwd=tmp_path, env=target_env(emulator)
    )

    assert planned.returncode == 0, planned.stderr
    text = planned.stdout
    page = parse_page(text)
    assert text.startswith("<!DOCTYPE html>")
    assert "<title>acdload plan: " in text
    shown = dict(re.findall(r'data-outcome="(\w+)"[^>]*><span class="n">(\d+)</span>', text))
    assert shown == {"create": "1", "exists": "1", "drift": "1", "expired": "0"}
    assert page.cells["drifts"][3:] == [
        "Subject",
        '"Changed on the server"',
        '"Callback request from 491701234502"',
    ]
    rows = page_data(text)["rows"]
    assert [row["outcome"] for row in rows] == ["exists", "drift", "create"]
    assert rows[1]["key"] == "AcdEventTypesID=3 Sender=491701234502 UserData=CB-2"

    offline = run_acdload(
        "plan", "callbacks.yaml", "--offline", "--format", "html", "--redact", cwd=tmp_path
    )
    assert offline.returncode == 0, offline.stderr
    assert "none (offline: the server was not read" in offline.stdout
    assert "491701234502" not in offline.stdout
    assert [row["outcome"] for row in page_data(offline.stdout)["rows"]] == ["create"] * 3


def test_a_campaign_without_appointments_says_so(tmp_path: Path) -> None:
    write_manifest(tmp_path)
    planned = run_acdload("plan", "callbacks.yaml", "--offline", "--format", "html", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert "No event has an appointment." in planned.stdout


def test_a_report_from_before_subjects_and_appointments_still_renders(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    campaign = applied_campaign(tmp_path, emulator_factory(groups=groups_file(tmp_path)))
    document = campaign.document()
    for result in document["results"]:
        del result["subject"], result["appointment"]
    (tmp_path / "old.json").write_text(json.dumps(document), encoding="utf-8")

    done = run_acdload("report", "old.json", "-o", "old.html", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    text = (tmp_path / "old.html").read_text("utf-8")
    assert "No event has an appointment." in text
    assert [row["subject"] for row in page_data(text)["rows"]] == [""] * EVENTS
