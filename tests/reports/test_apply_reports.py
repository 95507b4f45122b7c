"""The report files: their exact shape, spreadsheet safety, JUnit, file modes, no token."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

from acdload.applying.applier import OUTCOMES
from tests.applying.support import RESULT_KEYS, load_report, run_apply, write_csv
from tests.emulator_support import EmulatorProcess

TOKEN = "tok-Zq8vN3-do-not-print"
ROWS = [
    {"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": "+49 170 2000001",
     "Subject": "=1+2 is a formula", "UserData": "R-1"},
    {"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": "+49 170 2000002",
     "Subject": "@SUM(A1)", "UserData": "-R-2"},
    {"AcdEventTypesID": 3, "AcdGroupsID": 999, "Sender": "+49 170 2000003",
     "Subject": "Unknown group", "UserData": "R-3"},
    {"AcdEventTypesID": 6, "AcdGroupsID": 235, "Sender": "info@example.com",
     "Subject": "Ticket", "UserData": "R-4"},
]  # fmt: skip
FILES = ("r.json", "r.csv", "j.xml", "f.csv")


def test_reports(tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]) -> None:
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups:\n  - id: 235\n", encoding="utf-8")
    emulator = emulator_process("--groups", str(groups), token=TOKEN, in_memory=True)
    write_csv(tmp_path / "load.csv", 0, rows=ROWS)

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--report", "r.json", "--report-csv", "r.csv",
        "--junit", "j.xml", "--failed-csv", "f.csv", handle=emulator,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr

    # JSON: the contract's fields, in its order; results in submission order.
    report = load_report(tmp_path / "r.json")
    assert list(report) == ["target", "started", "finished", "summary", "results"]
    assert report["target"] == emulator.base_url
    started = datetime.fromisoformat(report["started"])
    finished = datetime.fromisoformat(report["finished"])
    assert started.tzinfo is not None and started <= finished
    assert report["summary"] == dict.fromkeys(OUTCOMES, 0) | {"created": 3, "failed": 1}
    results = report["results"]
    assert [list(r) for r in results] == [[*RESULT_KEYS, "subject", "appointment"]] * 4
    assert [r["subject"] for r in results] == [row["Subject"] for row in ROWS]
    assert {r["appointment"] for r in results} == {None}  # these rows have none
    assert [(r["index"], r["file"], r["line"]) for r in results] == [
        (n, "load.csv", n + 2) for n in range(4)
    ]
    assert results[0]["key"] == {
        "AcdEventTypesID": 3, "Sender": "491702000001", "UserData": "R-1",
    }  # fmt: skip
    ok, failed = results[0], results[2]
    assert (ok["action"], ok["outcome"], ok["http_status"], ok["error"]) == (
        "create", "created", 200, None,
    )  # fmt: skip
    assert isinstance(ok["event_id"], int) and ok["result"] is None and ok["attempts"] == 1
    assert (failed["outcome"], failed["event_id"], failed["http_status"]) == ("failed", None, 400)
    assert "AcdGroupsID" in failed["error"]

    # CSV: the result columns, then the payload's fields; formulas guarded.
    with (tmp_path / "r.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    header, rows = table[0], table[1:]
    assert header == [*RESULT_KEYS, "AcdEventTypesID", "AcdGroupsID", "Sender", "Subject",
                      "UserData"]  # fmt: skip
    assert len(rows) == 4
    cells = [dict(zip(header, r, strict=True)) for r in rows]
    assert cells[0]["Subject"] == "'=1+2 is a formula"
    assert cells[1]["Subject"] == "'@SUM(A1)"
    assert cells[1]["UserData"] == "'-R-2"
    assert json.loads(cells[0]["key"])["UserData"] == "R-1"
    assert [c["outcome"] for c in cells] == ["created", "created", "failed", "created"]
    assert cells[2]["http_status"] == "400" and cells[3]["event_id"] == str(results[3]["event_id"])

    # Failed CSV: a manifest of the failed event alone.
    failed_rows = list(csv.DictReader(io.StringIO((tmp_path / "f.csv").read_text("utf-8"))))
    assert failed_rows == [
        {"AcdEventTypesID": "3", "AcdGroupsID": "999", "Sender": "491702000003",
         "Subject": "Unknown group", "UserData": "R-3"},
    ]  # fmt: skip

    # JUnit: one test case per event, the failed one a failure.
    suite = ElementTree.parse(tmp_path / "j.xml").getroot()
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures")) == ("4", "1")
    cases = suite.findall("testcase")
    assert len(cases) == 4
    assert [case.find("failure") is not None for case in cases] == [False, False, True, False]
    assert "load.csv:4" in (cases[2].get("name") or "")

    # Owner-only files, and the token nowhere.
    journal = tmp_path / ".acdload" / "journal.jsonl"
    for path in [*(tmp_path / name for name in FILES), journal]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert TOKEN not in path.read_text(encoding="utf-8"), path
    assert TOKEN not in done.stdout + done.stderr


def test_reports_are_written_when_the_run_stops_early(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    """A run stopped by ``--fail-fast`` writes every report; the events it never sent are
    in the failed CSV and are JUnit failures."""
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups:\n  - id: 235\n", encoding="utf-8")
    emulator = emulator_process("--groups", str(groups), in_memory=True)
    write_csv(tmp_path / "load.csv", 3, group=999)

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--fail-fast", "--report", "r.json", "--report-csv",
        "r.csv", "--junit", "j.xml", "--failed-csv", "f.csv", handle=emulator,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    summary = load_report(tmp_path / "r.json")["summary"]
    assert (summary["failed"], summary["not_attempted"]) == (1, 2)
    assert len((tmp_path / "f.csv").read_text("utf-8").splitlines()) == 4  # header + 3
    suite = ElementTree.parse(tmp_path / "j.xml").getroot()
    assert suite.get("failures") == "3"
