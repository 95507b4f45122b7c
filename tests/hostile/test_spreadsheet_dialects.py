"""CSV reports in every dialect run no formula in the Excel they are written for (issue #14).

A manifest's author (a pull request) and a server both put text into ``--report-csv`` and
``--failed-csv``. The formula guard protects the start of each cell; these cases hide the
formula behind a list separator (``x;=cmd...``), where a spreadsheet would start a new
cell if the writer did not quote it. The test reads each file as the Excel of its dialect
does, splitting at its separator, and finds no cell a spreadsheet would run.
"""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path

import pytest

from acdload.manifest.formula_guard import FORMULA_TRIGGERS
from tests.applying.support import environment, write_csv
from tests.cli.support import run_acdload
from tests.hostile.server import EVENT_TYPES, HostileServer, Request, list_answer, send_json

PAYLOAD = "=cmd|' /C calc'!A0"
SUBJECTS = [f"Rückruf;{PAYLOAD}", f"Rückruf,{PAYLOAD}", f"a\tb;c,{PAYLOAD}"]
SEPARATOR = {"plain": ",", "excel": ",", "excel-semicolon": ";"}


def refuse_with_the_subject(request: Request, conn: socket.socket) -> None:
    """No events on the server; every create refused with an error that echoes its Subject."""
    if request.path.startswith("/acd/events/types"):
        send_json(conn, 200, EVENT_TYPES)
    elif request.path == "/acd/events/create":
        send_json(conn, 400, {"error": f"bad;{request.json()['Subject']}", "status": 400})
    else:
        send_json(conn, 200, list_answer([]))


def cells_as_excel_reads(path: Path, separator: str) -> list[str]:
    text = path.read_bytes().decode("utf-8-sig")
    return [
        cell
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        for cell in row
    ]


@pytest.mark.parametrize("dialect", sorted(SEPARATOR))
def test_a_formula_behind_a_separator_stays_text(tmp_path: Path, dialect: str) -> None:
    rows = [
        {"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": f"+49 170 100000{n}",
         "Subject": subject, "UserData": f"U-{n}"}
        for n, subject in enumerate(SUBJECTS)
    ]  # fmt: skip
    write_csv(tmp_path / "load.csv", 0, rows=rows)
    with HostileServer(refuse_with_the_subject) as server:
        done = run_acdload(
            "apply", "load.csv", "--yes", "--base-url", server.base_url, "--csv-dialect", dialect,
            "--report-csv", "report.csv", "--failed-csv", "failed.csv",
            cwd=tmp_path, env=environment(token="t"),
        )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert "apply: 3 failed" in done.stderr
    for name in ("report.csv", "failed.csv"):
        cells = cells_as_excel_reads(tmp_path / name, SEPARATOR[dialect])
        assert [c for c in cells if c[:1] in FORMULA_TRIGGERS] == [], name
        assert sum(PAYLOAD in c for c in cells) == (6 if name == "report.csv" else 3)
    # Read as acdload reads a load, the failed events come back exactly.
    rendered = run_acdload("render", "failed.csv", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert [
        line.split('"Subject":')[1].split('","')[0] for line in rendered.stdout.splitlines()
    ] == [
        "\"Rückruf;=cmd|' /C calc'!A0",
        "\"Rückruf,=cmd|' /C calc'!A0",
        "\"a\\tb;c,=cmd|' /C calc'!A0",
    ]
