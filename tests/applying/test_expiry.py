"""Expiry: apply never sends a callback whose appointment has passed, unless --allow-past.

A manifest kept in git and applied again months later would otherwise book January's
callbacks in March, and the server rings a past appointment at once. ``--now`` stands in
for the day the manifest is applied; the emulator shows what was really sent.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result

from acdload.applying.applier import Applier, ApplyOptions
from acdload.applying.journal import Journal
from acdload.check.pipeline import CheckOptions, prepare
from acdload.planning.expiry import Expiry, ExpiryAtSend
from acdload.planning.matching import build_plan
from acdload.target.client import JtelClient
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator
from tests.planning.helpers import server_records

MANIFEST = "callbacks.yaml"
TEXT = """\
version: 1
timezone: Europe/Berlin
defaults: {AcdEventTypesID: 3, AcdGroupsID: 235, Subject: Callback}
events:
  - Sender: "+49 170 1234501"
    UserData: CB-1
    dtAppointmentDate: "2027-03-01"
    dtAppointmentTime: "09:00"
  - Sender: "+49 170 1234502"
    UserData: CB-2
    dtAppointmentDate: "2027-03-01"
  - Sender: "+49 170 1234503"
    UserData: CB-3
    dtAppointmentDate: "2027-03-01"
    dtAppointmentTime: "10:00"
  - Sender: "+49 170 1234504"
    UserData: CB-4
    dtAppointmentTime: "08:00"
"""
# 09:30 on 2027-03-01 in Berlin: CB-1 (09:00) has passed; CB-2 (that day, no time) has
# not, its day is not over; CB-3 (10:00) is to come; CB-4 (a time alone) never passes.
NOW = "2027-03-01T09:30:00"
PAST = "the appointment 2027-03-01 09:00 (Europe/Berlin) had passed at 2027-03-01 09:30"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / MANIFEST).write_text(TEXT, encoding="utf-8")


def acdload(cli: Cli, emulator: RunningEmulator | None, *args: str) -> Result:
    """``acdload ARGS`` in this process, against ``emulator`` (None: no target)."""
    target = [] if emulator is None else ["--base-url", emulator.base_url]
    env = {} if emulator is None else {"ACDLOAD_TOKEN": emulator.token}
    return cli(*args, *target, env=env)


def reports() -> list[str]:
    return [
        "--report",
        "report.json",
        "--report-csv",
        "report.csv",
        "--failed-csv",
        "failed.csv",
        "--junit",
        "junit.xml",
        "--report-html",
        "report.html",
    ]


def test_plan_shows_the_past_appointment_as_expired(cli: Cli, emulator: RunningEmulator) -> None:
    text = acdload(cli, emulator, "plan", MANIFEST, "--now", NOW)
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[:2] == [
        f"3 to create, 0 unchanged, 0 drifted, 1 expired (not sent) (target: {emulator.base_url})",
        f'x expired {MANIFEST}:5  AcdEventTypesID=3 Sender=491701234501 UserData=CB-1  "Callback"',
    ]
    document = json.loads(
        acdload(cli, emulator, "plan", MANIFEST, "--now", NOW, "--format", "json").stdout
    )
    assert [a["action"] for a in document["actions"]] == ["expired", "create", "create", "create"]
    assert document["summary"]["expired"] == 1
    allowed = acdload(
        cli, emulator, "plan", MANIFEST, "--now", NOW, "--allow-past", "--format", "json"
    )
    assert [a["action"] for a in json.loads(allowed.stdout)["actions"]] == ["create"] * 4


def test_apply_reports_expired_in_every_report_and_sends_nothing_for_it(
    cli: Cli,
    emulator: RunningEmulator,
) -> None:
    result = acdload(cli, emulator, "apply", MANIFEST, "--now", NOW, "--yes", *reports())
    assert result.exit_code == 0, result.output  # expired is no failure
    assert "apply: 3 created, 1 expired" in result.stderr
    assert sorted(r["UserData"] for r in server_records(emulator)) == ["CB-2", "CB-3", "CB-4"]

    report = json.loads(Path("report.json").read_text(encoding="utf-8"))
    assert report["summary"]["expired"] == 1 and report["summary"]["created"] == 3
    first: dict[str, Any] = report["results"][0]
    assert (first["outcome"], first["event_id"], first["attempts"]) == ("expired", None, 0)
    assert first["error"].startswith(PAST) and "--allow-past sends it" in first["error"]

    rows = list(csv.DictReader(io.StringIO(Path("report.csv").read_text(encoding="utf-8"))))
    assert [row["outcome"] for row in rows] == ["expired", "created", "created", "created"]
    assert list(csv.reader(io.StringIO(Path("failed.csv").read_text(encoding="utf-8"))))[1:] == []

    suite = ElementTree.parse("junit.xml").getroot()
    assert (suite.get("failures"), suite.get("skipped")) == ("0", "1")
    skipped = suite.findall("testcase/skipped")
    assert len(skipped) == 1 and (skipped[0].get("message") or "").startswith(PAST)

    page = Path("report.html").read_text(encoding="utf-8")
    assert 'data-outcome="expired"' in page and "expired</button>" in page

    # The report file with the new outcome reads back (``acdload report``).
    again = acdload(cli, None, "report", "report.json", "-o", "again.html")
    assert again.exit_code == 0, again.output


def test_allow_past_sends_it(cli: Cli, emulator: RunningEmulator) -> None:
    result = acdload(cli, emulator, "apply", MANIFEST, "--now", NOW, "--yes", "--allow-past")
    assert result.exit_code == 0, result.output
    assert "apply: 4 created" in result.stderr
    assert len(server_records(emulator)) == 4


@pytest.mark.parametrize("parallel", [1, 3])
def test_an_appointment_that_passes_during_the_run_is_not_sent(
    emulator: RunningEmulator, tmp_path: Path, parallel: int
) -> None:
    """Planned at 08:00, sent at 09:30: the create is asked again just before its send,
    in its turn in the window with ``--parallel`` too."""
    prepared = prepare([MANIFEST], CheckOptions(now=datetime.fromisoformat("2027-03-01T08:00")))
    planned = build_plan(
        prepared, [], "t", expiry=Expiry(datetime.fromisoformat("2027-03-01T08:00"))
    )
    assert [a.action for a in planned.actions] == ["create"] * 4
    later = ExpiryAtSend(prepared.load.events, Expiry(datetime.fromisoformat(NOW)))
    client = JtelClient(emulator.base_url, emulator.token, timeout=5)
    with Journal(tmp_path / "journal.jsonl", "t", state_dir=tmp_path) as journal:
        key_fields = tuple(planned.key_fields)
        applier = Applier(
            client,
            journal,
            ApplyOptions(parallel=parallel),
            key_fields,
            expired=later,
            client_factory=client.twin,
        )
        run = applier.run(planned.actions)
    assert [r.outcome for r in run.results] == ["expired", "created", "created", "created"]
    assert (run.results[0].error or "").startswith(PAST)
    assert len(server_records(emulator)) == 3


def test_a_saved_plan_whose_create_has_expired_since_sends_less_never_more(
    cli: Cli,
    emulator: RunningEmulator,
) -> None:
    made = acdload(
        cli, emulator, "plan", MANIFEST, "--now", "2027-03-01T08:00:00", "--out", "plan.json"
    )
    assert made.exit_code == 0, made.output
    applied = acdload(cli, emulator, "apply", "plan.json", "--now", NOW, "--yes")
    assert applied.exit_code == 0, applied.output
    assert "apply: 3 created, 1 expired" in applied.stderr
    assert len(server_records(emulator)) == 3


def test_a_plan_that_expired_an_event_is_not_applied_with_allow_past(
    cli: Cli,
    emulator: RunningEmulator,
) -> None:
    made = acdload(cli, emulator, "plan", MANIFEST, "--now", NOW, "--out", "plan.json")
    assert made.exit_code == 0, made.output
    applied = acdload(cli, emulator, "apply", "plan.json", "--now", NOW, "--yes", "--allow-past")
    assert applied.exit_code == 1, applied.output
    assert "action is expired in the plan, create now" in applied.stderr
    assert server_records(emulator) == []


@pytest.mark.parametrize(
    ("day", "at", "now", "expired"),
    [
        ("2027-03-01", "09:00", "2027-03-01T09:30:00", True),
        ("2027-03-01", "10:00", "2027-03-01T09:30:00", False),
        ("2027-03-01", "09:00", "2027-03-01T08:30:00+00:00", True),  # 09:30 in Berlin
        ("2027-03-01", "09:00", "2027-03-01T07:30:00+00:00", False),  # 08:30 in Berlin
        ("20270301", "0900", "2027-03-01T09:30:00", True),  # the compact forms
        ("2027-03-01", None, "2027-03-01T23:59:00", False),  # its day is not over
        ("2027-03-01", None, "2027-03-02T00:00:00", True),
        (None, "00:01", "2030-01-01T00:00:00", False),  # a time alone never passes
        ("2027-02-30", "09:00", "2030-01-01T00:00:00", False),  # no date: validate says so
        ("2027-03-01", "25:00", "2030-01-01T00:00:00", False),
    ],
)
def test_when_an_appointment_counts_as_passed(
    day: str | None, at: str | None, now: str, expired: bool
) -> None:
    payload = {"dtAppointmentDate": day, "dtAppointmentTime": at}
    berlin = ZoneInfo("Europe/Berlin")
    found = Expiry(datetime.fromisoformat(now)).expired(payload, berlin)
    assert (found is not None) == expired, found
