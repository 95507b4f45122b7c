"""Every output is scrubbed and escaped, whatever a server or a manifest says (issue #10).

The token reaches acdload as a user gives it (``ACDLOAD_TOKEN``); the hostile server echoes
the ``Authorization`` header back into its error answers, or answers with control
characters, ``]]>`` and lone surrogates. Each test runs the real command and reads what a
user reads: the terminal, every report, the journal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.applying.support import environment, load_report, run_apply, write_csv
from tests.emulator_support import RunningEmulator
from tests.hostile.server import (
    EVENT_TYPES,
    HostileServer,
    Request,
    Responder,
    list_answer,
    send,
    send_json,
)
from tests.reports.test_problem_files import sarif_of

TOKEN = "tok-H0stile-Echo-4711-never-shown"
REPORTS = (
    "--report",
    "r.json",
    "--report-csv",
    "r.csv",
    "--failed-csv",
    "f.csv",
    "--junit",
    "j.xml",
)
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What must never reach a terminal raw: controls (ESC among them), bidi overrides, and
lone surrogates (undecodable bytes read back with surrogateescape)."""
HOSTILE = "\x1b[2J\x1b[31mred\x07 ]]> </failure> &amp; \u202eevil\x85 \x00end"
"""A server's error text that clears a terminal, closes XML elements and reverses text."""


def acdload(cwd: Path, *args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
    """``python -m acdload ARGS`` to completion, its output decoded as a terminal would get it."""
    return subprocess.run(
        [sys.executable, "-m", "acdload", *args],
        cwd=cwd,
        env=environment(token=token),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=120,
        check=False,
    )


def rejecting(reject: Callable[[Request, socket.socket], None]) -> Responder:
    """A server with no events that answers every create with ``reject``."""

    def respond(request: Request, conn: socket.socket) -> None:
        if request.path.startswith("/acd/events/types"):
            send_json(conn, 200, EVENT_TYPES)
        elif request.path == "/acd/events/create":
            reject(request, conn)
        else:
            send_json(conn, 200, list_answer([]))

    return respond


def echo_authorization(request: Request, conn: socket.socket) -> None:
    """A proxy that shows the request's headers: as a text page, or inside an error JSON."""
    header = request.headers["authorization"]
    if request.json()["UserData"] == "U-0":
        page = f"400 Bad Request\r\nyour headers:\r\nAuthorization: {header}\r\n"
        send(conn, 400, page, content_type="text/plain")
    else:
        error = f"invalid request, headers {{'Authorization': '{header}'}}"
        send_json(conn, 400, {"error": error, "status": 400})


def outputs(tmp_path: Path, done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Everything apply showed or wrote: terminal, reports, journal."""
    files = ["r.json", "r.csv", "f.csv", "j.xml", ".acdload/journal.jsonl"]
    shown = {"stdout": done.stdout, "stderr": done.stderr}
    return shown | {name: (tmp_path / name).read_text(encoding="utf-8") for name in files}


def test_a_token_the_server_echoes_appears_in_no_output(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 2)
    with HostileServer(rejecting(echo_authorization)) as server:
        done = acdload(
            tmp_path, "apply", "load.csv", "--yes", *REPORTS, "--base-url", server.base_url
        )

    assert done.returncode == 1, done.stderr
    for name, text in outputs(tmp_path, done).items():
        assert TOKEN[:12] not in text, name
    assert "Authorization: ***" in done.stderr  # what failed still shows, masked
    assert load_report(tmp_path / "r.json")["summary"]["failed"] == 2


def test_an_error_message_quoting_the_server_shows_no_token(tmp_path: Path) -> None:
    """A run-stopping error (printed by the command group) quotes the server scrubbed."""
    write_csv(tmp_path / "load.csv", 1)

    def refuse_list(request: Request, conn: socket.socket) -> None:
        text = f"{HOSTILE} Authorization: {request.headers['authorization']}"
        send(conn, 400, text, content_type="text/plain")

    with HostileServer(refuse_list) as server:
        done = acdload(tmp_path, "plan", "load.csv", "--base-url", server.base_url)

    assert done.returncode == 3, done.stderr
    assert "error:" in done.stderr and "HTTP 400" in done.stderr
    assert TOKEN[:12] not in done.stderr + done.stdout
    assert not UNSAFE.search(done.stderr), repr(done.stderr)


def hostile_errors(request: Request, conn: socket.socket) -> None:
    """Errors with control characters, XML syntax, a lone surrogate and bytes not UTF-8."""
    if request.json()["UserData"] == "U-0":
        send(conn, 400, json.dumps({"error": HOSTILE + " \ud800"}))
    else:
        send(conn, 400, HOSTILE.encode() + b" \xff\xfe", content_type="text/plain")


def test_server_text_is_escaped_on_the_terminal_and_in_every_report(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 2)
    with HostileServer(rejecting(hostile_errors)) as server:
        done = acdload(
            tmp_path, "apply", "load.csv", "--yes", *REPORTS, "--base-url", server.base_url
        )

    assert done.returncode == 1, done.stderr
    assert not UNSAFE.search(done.stderr + done.stdout), repr(done.stderr)
    assert done.stderr.count("red") >= 4  # a failed line and a result line per event

    suite = ElementTree.parse(tmp_path / "j.xml").getroot()  # well-formed whatever was said
    failures = [case.find("failure") for case in suite.findall("testcase")]
    assert all(f is not None and "red" in (f.get("message") or "") for f in failures)

    results = load_report(tmp_path / "r.json")["results"]
    assert [r["outcome"] for r in results] == ["failed", "failed"]
    assert all("red" in r["error"] for r in results)

    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert all("red" in row["error"] and not UNSAFE.search(row["error"]) for row in rows)
    failed = list(csv.DictReader(io.StringIO((tmp_path / "f.csv").read_text(encoding="utf-8"))))
    assert [row["UserData"] for row in failed] == ["U-0", "U-1"]


HOSTILE_NAME = b"evil\x1b[31m]]>\xff.csv"
"""A manifest named with an escape sequence, XML syntax and a byte that is not UTF-8."""
HOSTILE_CSV = (
    b"AcdEventTypesID,AcdGroupsID,Sender,Subject,UserData\n"
    b"\x1b[2Jx,235,+49 170 1234567,Call \xe2\x80\xae back,U-1\n"
)


@pytest.mark.parametrize("output_format", ["text", "json", "github"])
def test_a_hostile_manifest_leaves_every_output_valid(tmp_path: Path, output_format: str) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), HOSTILE_NAME), "wb") as out:
        out.write(HOSTILE_CSV)

    done = acdload(
        tmp_path, "validate", "manifests", "--format", output_format,
        "--junit", "j.xml", "--sarif", "s.sarif",
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert not UNSAFE.search(done.stdout + done.stderr), repr(done.stdout + done.stderr)
    assert "AcdEventTypesID" in done.stdout
    if output_format == "json":
        assert json.loads(done.stdout)["problems"][0]["file"].startswith("manifests/evil\x1b")
    suite = ElementTree.parse(tmp_path / "j.xml").getroot()
    assert suite.get("failures") == "1"
    result = sarif_of(str(tmp_path / "s.sarif"))["runs"][0]["results"][0]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "manifests/evil%1B%5B31m%5D%5D%3E%FF.csv"  # the file's own bytes


def test_traceback_keeps_the_exit_code_and_the_hint(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 1)
    done = acdload(
        tmp_path, "--traceback", "apply", "load.csv", "--base-url", "http://127.0.0.1:9/rest/v1.0/1"
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback (most recent call last)" in done.stderr
    assert "error: apply needs --yes" in done.stderr
    assert "hint: review the plan" in done.stderr


def test_failed_csv_has_its_header_when_nothing_failed(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    write_csv(tmp_path / "load.csv", 2)
    done = run_apply(tmp_path, "load.csv", "--yes", "--failed-csv", "f.csv", handle=emulator)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "f.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["AcdEventTypesID,AcdGroupsID,Sender,Subject,UserData"]
    again = acdload(tmp_path, "validate", "f.csv")  # fed back, it is a manifest of nothing
    assert again.returncode == 0, again.stdout + again.stderr


def read_terminal(
    master: int, until: Callable[[bytes], bool], seen: bytearray, limit: float
) -> None:
    """Read what the child writes on its terminal into ``seen`` until ``until(seen)``, the
    child closes it, or ``limit`` seconds pass."""
    deadline = time.monotonic() + limit
    while not until(bytes(seen)) and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            seen += chunk


BAR = re.compile(
    r"(\r\x1b\[K\[[#-]{30}\] \d+ created, \d+ failed, \d+ remaining, [0-9:]+ elapsed, "
    r"ETA ([0-9:]+|--) \([0-9.]+ creates/s\))+"
)


def test_after_ctrl_c_the_summary_starts_on_its_own_line(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """On a terminal the bar has no line end until the run is over; an interrupted run
    must not write its results and summary after the bar, on the same line."""
    write_csv(tmp_path / "load.csv", 20)
    master, child_terminal = pty.openpty()
    command = [sys.executable, "-m", "acdload", "apply", "load.csv", "--yes", "--rate", "4"]
    process = subprocess.Popen(
        [*command, "--base-url", emulator.base_url],
        cwd=tmp_path,
        env=environment(emulator),
        stdin=subprocess.DEVNULL,
        stdout=child_terminal,
        stderr=child_terminal,
    )
    os.close(child_terminal)
    seen = bytearray()
    try:
        read_terminal(master, lambda out: b"2 created" in out, seen, 60)
        process.send_signal(signal.SIGINT)
        read_terminal(master, lambda out: False, seen, 60)
        code = process.wait(30)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()

    text = seen.decode("utf-8", errors="replace").replace("\r\n", "\n")
    assert code == 130, text
    assert "apply:" in text and "not_attempted" in text, text
    for line in text.split("\n"):
        if "ETA" in line:
            assert BAR.fullmatch(line), repr(line)  # the bar, and nothing after it


def test_apply_redact_masks_the_validation_messages(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "version: 1\nevents:\n  - AcdEventTypesID: 3\n    AcdGroupsID: 235\n"
        '    Sender: "0170 1234567"\n    Subject: Call back\n',
        encoding="utf-8",
    )
    done = acdload(
        tmp_path,
        "apply",
        "m.yaml",
        "--yes",
        "--redact",
        "--base-url",
        "http://127.0.0.1:9/rest/v1.0/1",
    )
    assert done.returncode == 1, done.stderr
    assert "national format" in done.stderr
    assert "1234567" not in done.stderr
