"""The HTML report is safe with hostile input: a report file anyone may have edited, values
that are markup or terminal escapes, a server that echoes the token, paths that are not
files.

``acdload report`` reads a JSON file that travelled (a CI artifact, a mail): each case of
``BROKEN`` damages a valid report and checks what a user sees (exit code, the message
naming the file and the place, no traceback, no page written). Adding an attack is adding
a case. The page's own defences (escaping, the JSON block, the content policy) are checked
here on the markup; ``tests/reports/test_html_browser.py`` checks them in chromium.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from acdload.reports.appointment_chart import MAX_DAYS
from tests.cli.support import run_acdload
from tests.cli_runner import Cli
from tests.hostile.server import EVENT_TYPES, HostileServer, Request, list_answer, send_json
from tests.reports.support import page_data, write_rows

Document = dict[str, Any]
HINT = "hint: give the JSON file that `acdload apply --report FILE` wrote, unedited"
TOKEN = "tok-Zq8vN3-html-do-not-print"


def valid_report() -> Document:
    return {
        "target": "https://jtel.example.com/rest/v1.0/1000",
        "started": "2030-03-01T09:00:00+01:00",
        "finished": "2030-03-01T09:00:02+01:00",
        "summary": {
            "created": 1, "updated": 0, "exists": 0, "drift": 0, "failed": 1, "not_attempted": 0
        },
        "results": [
            {
                "index": 0, "file": "load.csv", "line": 2,
                "key": {"AcdEventTypesID": 3, "Sender": "491701234567", "UserData": "K-1"},
                "action": "create", "outcome": "created", "event_id": 7, "http_status": 200,
                "result": None, "error": None, "attempts": 1,
                "subject": "Call back", "appointment": "2030-03-04T09:00",
            },
            {
                "index": 1, "file": "load.csv", "line": 3,
                "key": {"AcdEventTypesID": 3, "Sender": "491701234568", "UserData": "K-2"},
                "action": "create", "outcome": "failed", "event_id": None, "http_status": 400,
                "result": None, "error": "AcdGroupsID 999 does not exist", "attempts": 1,
                "subject": "Call back", "appointment": None,
            },
        ],
    }  # fmt: skip


def as_bytes(document: Any) -> bytes:
    return json.dumps(document).encode()


def edited(edit: Callable[[Document], None]) -> bytes:
    document = valid_report()
    edit(document)
    return as_bytes(document)


def nested(depth: int) -> bytes:
    return b'{"results": ' + b"[" * depth + b"]" * depth + b"}"


BROKEN: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "report.json:1:1: not valid JSON: Expecting value"),
    "truncated": (as_bytes(valid_report())[:200], "report.json:1:201: not valid JSON"),
    "not UTF-8": (b'{"target": "caf\xe9"}', "report.json: not UTF-8 (byte 15)"),
    "5,000-digit number": (
        b'{"results": [], "summary": {"created": ' + b"9" * 5000 + b"}}",
        "report.json: not a report: Exceeds the limit (4300 digits)",
    ),
    "NaN": (b'{"results": [], "summary": {"created": NaN}}', "NaN is not a JSON number"),
    "nested 100,000 deep": (nested(100_000), "report.json: not a report: nested too deeply"),
    "a list": (b"[]", "report.json: the document: must be a JSON object, got list"),
    "no results": (b'{"summary": {}}', "report.json: no 'results'; not a report of acdload"),
    "results not a list": (
        edited(lambda d: d.update(results={"0": {}})),
        "report.json: results: must be a list, got dict",
    ),
    "result not an object": (
        edited(lambda d: d["results"].__setitem__(0, "created")),
        "report.json: results[0]: must be an object, got '\"created\"'",
    ),
    "line as text": (
        edited(lambda d: d["results"][1].update(line="3")),
        "report.json: results[1].line: must be a whole number, got '\"3\"'",
    ),
    "line negative": (
        edited(lambda d: d["results"][1].update(line=-3)),
        "report.json: results[1].line: must be a whole number, got '-3'",
    ),
    "event ID true": (
        edited(lambda d: d["results"][0].update(event_id=True)),
        "report.json: results[0].event_id: must be a whole number or null, got 'true'",
    ),
    "outcome unknown": (
        edited(lambda d: d["results"][0].update(outcome="pwned")),
        "report.json: results[0].outcome: must be one of created, updated, exists, drift, "
        "failed, not_attempted, expired, got '\"pwned\"'",
    ),
    "key not flat": (
        edited(lambda d: d["results"][0]["key"].update(Sender={"$gt": ""})),
        "report.json: results[0].key.Sender: must be a single value, got dict",
    ),
    "subject not text": (
        edited(lambda d: d["results"][0].update(subject=["<b>"])),
        "report.json: results[0].subject: must be text or null, got list",
    ),
    "appointment not a time": (
        edited(lambda d: d["results"][0].update(appointment="2030-02-30T25:00")),
        "report.json: results[0].appointment: must be YYYY-MM-DDTHH:MM or YYYY-MM-DD, "
        "got '\"2030-02-30T25:00\"'",
    ),
    "time not ISO": (
        edited(lambda d: d.update(started="yesterday")),
        "report.json: started: must be an ISO 8601 time or null, got '\"yesterday\"'",
    ),
    "summary disagrees": (
        edited(lambda d: d["summary"].update(created=5)),
        "report.json: summary says 5 created but the results hold 1; the report was edited",
    ),
    "summary of an unknown outcome": (
        edited(lambda d: d["summary"].update(hacked=0)),
        "report.json: summary: unknown outcome 'hacked'",
    ),
    "escape sequence in a value": (
        edited(lambda d: d["results"][0].update(outcome="\x1b[2J\x1b]0;owned\x07")),
        "got '\"\\u001b[2J\\u001b]0;owned\\u0007\"'",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_report_is_a_clear_error(
    cli: Cli, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, message = BROKEN[name]
    (tmp_path / "report.json").write_bytes(data)
    monkeypatch.chdir(tmp_path)

    result = cli("report", "report.json", "-o", "page.html")

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: report.json")
    assert message in result.stderr
    assert result.stderr.endswith(HINT + "\n")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert not (tmp_path / "page.html").exists()


def _run_report(folder: Path, *args: str) -> Any:
    return run_acdload("report", *args, cwd=folder, timeout=60)


def test_a_fifo_or_a_device_is_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "report.json")  # nobody ever writes to it
    started = time.monotonic()
    fifo = _run_report(tmp_path, "report.json", "-o", "page.html")
    assert time.monotonic() - started < 30
    assert fifo.returncode == 2, fifo.stderr
    assert fifo.stderr == ("error: report.json: not a regular file; a report is a JSON file\n")
    device = _run_report(tmp_path, "/dev/zero", "-o", "page.html")
    assert device.returncode == 2
    assert "error: /dev/zero: not a regular file" in device.stderr
    assert not (tmp_path / "page.html").exists()


def test_output_paths_that_would_lose_data_are_refused(tmp_path: Path) -> None:
    original = as_bytes(valid_report())
    (tmp_path / "report.json").write_bytes(original)
    os.mkfifo(tmp_path / "pipe")
    mode = stat.S_IMODE((tmp_path / "pipe").stat().st_mode)

    itself = _run_report(tmp_path, "report.json", "-o", "./report.json")
    assert itself.returncode == 2
    assert "error: REPORT.json and -o name the same file report.json" in itself.stderr
    assert (tmp_path / "report.json").read_bytes() == original

    nowhere = _run_report(tmp_path, "report.json", "-o", "missing/page.html")
    assert nowhere.returncode == 2
    assert (
        "error: cannot write -o missing/page.html: the directory missing does not exist"
        in nowhere.stderr
    )

    pipe = _run_report(tmp_path, "report.json", "-o", "pipe")
    assert pipe.returncode == 2
    assert "error: -o pipe: exists and is not a regular file" in pipe.stderr
    assert stat.S_IMODE((tmp_path / "pipe").stat().st_mode) == mode  # never chmodded
    assert "Traceback" not in itself.stderr + nowhere.stderr + pipe.stderr


HOSTILE = {
    "subject": "</script><script>alert(1)</script>\u2028<!--",
    "file": 'x"><img src=x onerror=alert(1)>.csv',
    "error": "\x1b[31mdenied\x1b[0m for Authorization: Bearer sekrit-123 \u202eexe.txt",
    "target": "javascript:alert(1)//</title><script>alert(1)</script>",
}


def test_hostile_values_stay_text_in_the_page(tmp_path: Path) -> None:
    document = valid_report()
    document["target"] = HOSTILE["target"]
    document["results"][1].update(
        subject=HOSTILE["subject"], file=HOSTILE["file"], error=HOSTILE["error"]
    )
    (tmp_path / "report.json").write_bytes(as_bytes(document))

    done = _run_report(tmp_path, "report.json", "-o", "page.html")

    assert done.returncode == 0, done.stderr
    text = (tmp_path / "page.html").read_text("utf-8")
    assert len(re.findall(r"</script", text, re.IGNORECASE)) == 2  # the page's own two
    assert len(re.findall(r"<script", text, re.IGNORECASE)) == 2
    assert "<img" not in text and "<!--" not in text
    assert "sekrit-123" not in text and "Authorization: ***" in text
    for raw in ("\x1b", "\u202e", "\u2028"):
        assert raw not in text
    row = page_data(text)["rows"][1]
    assert row["subject"] == "</script><script>alert(1)</script>\\u2028<!--"
    assert row["where"] == HOSTILE["file"] + ":3"
    assert row["error"] == "\\x1b[31mdenied\\x1b[0m for Authorization: ***"
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_token_a_server_echoes_is_not_in_the_page(tmp_path: Path) -> None:
    def respond(request: Request, conn: socket.socket) -> None:
        if request.path.startswith("/acd/events/create"):
            echoed = request.headers.get("authorization", "")
            send_json(conn, 400, {"error": f"refused: Authorization: {echoed}", "status": 400})
        elif request.path.startswith("/acd/events/types"):
            send_json(conn, 200, EVENT_TYPES)
        else:
            send_json(conn, 200, list_answer([]))

    write_rows(
        tmp_path / "load.csv",
        [
            {
                "AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": "+49 170 1234567",
                "Subject": "Call back", "UserData": "K-1",
                "dtAppointmentDate": "2030-03-04", "dtAppointmentTime": "09:00",
            }
        ],
    )  # fmt: skip
    with HostileServer(respond) as server:
        done = run_acdload(
            "apply", "load.csv", "--yes", "--report-html", "page.html", "--base-url",
            server.base_url, cwd=tmp_path, env={"ACDLOAD_TOKEN": TOKEN},
        )  # fmt: skip
    assert any(r.path.startswith("/acd/events/create") for r in server.requests)
    assert done.returncode == 1, done.stderr
    text = (tmp_path / "page.html").read_text("utf-8")
    assert "refused: Authorization: ***" in text
    assert TOKEN not in text


def test_a_report_spread_over_years_draws_a_bounded_chart(tmp_path: Path) -> None:
    document = valid_report()
    row = document["results"][0]
    days = 1000
    first = date(2030, 1, 1)
    document["results"] = [
        dict(
            row, line=n + 2, appointment=f"{first + timedelta(days=n)}T09:00", subject="x" * 99_999
        )
        for n in range(days)
    ]
    document["summary"] = dict.fromkeys(document["summary"], 0) | {"created": days}
    (tmp_path / "report.json").write_bytes(as_bytes(document))

    done = _run_report(tmp_path, "report.json", "-o", "page.html")

    assert done.returncode == 0, done.stderr
    text = (tmp_path / "page.html").read_text("utf-8")
    drawn = set(re.findall(r'data-day="([0-9-]+)"', text))
    assert len(drawn) == MAX_DAYS
    assert "The first 400 of" in text
    assert page_data(text)["rows"][0]["subject"] == "x" * 1000 + "…"  # cut, like any value
    assert len(text) < 3_000_000
