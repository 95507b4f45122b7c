"""Answers that are not what the jtel API documents never crash acdload, never count as
success, and never carry the token or raw terminal escapes into any output.

Each ``answers/*.answer`` file is one malformed answer (a header of ``expect:``, optional
``content-type:`` and ``repeat:`` lines, ``---``, then the raw body); adding an attack is
adding a file. Every case runs twice: as the answer to the event list (``plan`` stops
with exit 3 and a message naming the endpoint) and as the answer to a create (``apply``
treats it as ambiguous, looks the key up, and sends nothing twice).
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.applying.support import write_csv
from tests.cli_runner import Cli
from tests.hostile.jtel_script import (
    CREATE,
    LIST,
    TYPES,
    Answer,
    JtelScript,
    Run,
    invoke_acdload,
    run_acdload,
)
from tests.hostile.server import Request, send, send_json

CASES = Path(__file__).parent / "answers"
TOKEN = "hostile-token-7Hq2Zx"
REPORT_FLAGS = (
    "--report",
    "r.json",
    "--report-csv",
    "r.csv",
    "--failed-csv",
    "failed.csv",
    "--junit",
    "junit.xml",
)


@dataclass(frozen=True)
class Case:
    name: str
    expect: str
    content_type: str
    body: bytes

    @classmethod
    def read(cls, path: Path) -> Case:
        head, _, body = path.read_bytes().partition(b"\n---\n")
        fields = dict(
            line.split(": ", 1)
            for line in head.decode("utf-8").splitlines()
            if line and not line.startswith("#")
        )
        body = body.removesuffix(b"\n") * int(fields.get("repeat", "1"))
        return cls(
            path.stem, fields["expect"], fields.get("content-type", "application/json"), body
        )

    def answer(self, request: Request, conn: socket.socket) -> None:
        send(conn, 200, self.body, content_type=self.content_type)


ALL_CASES = [Case.read(path) for path in sorted(CASES.glob("*.answer"))]


@pytest.fixture(autouse=True)
def _load(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 1)


def assert_clean(run: Run) -> None:
    """No traceback, no raw escape character, no token: whatever the server said."""
    assert "Traceback" not in run.output, run.stderr
    assert "\x1b" not in run.output
    assert TOKEN not in run.output


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_a_list_answer_not_as_documented_is_exit_3_naming_endpoint_and_fault(
    cli: Cli, tmp_path: Path, case: Case
) -> None:
    with JtelScript().then(LIST, case.answer) as server:
        run = invoke_acdload(
            cli, tmp_path, "plan", "load.csv", "--base-url", server.base_url, token=TOKEN
        )

    assert run.returncode == 3, run.output
    assert "error: GET /acd/events: the answer is not what the jtel API documents" in run.stderr
    assert case.expect in run.stderr
    assert "hint: " in run.stderr
    assert run.stdout == ""
    assert_clean(run)
    assert len(server.sent(LIST)) == 1  # not retried: the same request gets the same answer


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_an_unreadable_create_answer_is_settled_by_look_up_and_sent_once(
    cli: Cli, tmp_path: Path, case: Case
) -> None:
    """The server stored the event and then answered badly: the look-up finds it."""
    with JtelScript(stores=True).then(CREATE, case.answer) as server:
        run = invoke_acdload(
            cli,
            tmp_path, "apply", "load.csv", "--yes", "--timeout", "0.4", "--report", "r.json",
            "--base-url", server.base_url, token=TOKEN,
        )  # fmt: skip

    assert run.returncode == 0, run.output
    assert_clean(run)
    assert len(server.sent(CREATE)) == 1
    [result] = json.loads((tmp_path / "r.json").read_text("utf-8"))["results"]
    assert (result["outcome"], result["event_id"]) == ("created", 100)


def test_an_unreadable_create_answer_of_an_event_not_stored_is_sent_once_more(
    cli: Cli,
    tmp_path: Path,
) -> None:
    """The look-up decides: the event is not there, so the create is sent again, once."""
    html = next(case for case in ALL_CASES if case.name == "html-with-200")
    with JtelScript(stores=False).then(CREATE, html.answer) as server:
        run = invoke_acdload(
            cli,
            tmp_path, "apply", "load.csv", "--yes", "--timeout", "0.4", "--report", "r.json",
            "--base-url", server.base_url, token=TOKEN,
        )  # fmt: skip

    assert run.returncode == 0, run.output
    assert len(server.sent(CREATE)) == 2
    # The plan; the look-up at once; after the settle wait, the look-up before sending again
    # (nothing was seen to probe from: the account is empty).
    assert len(server.sent(LIST)) == 3
    [result] = json.loads((tmp_path / "r.json").read_text("utf-8"))["results"]
    assert (result["outcome"], result["event_id"], result["attempts"]) == ("created", 100, 2)


def test_event_types_not_as_documented_stop_apply_before_anything_is_sent(
    cli: Cli,
    tmp_path: Path,
) -> None:
    bad = next(case for case in ALL_CASES if case.name == "id-true")
    with JtelScript().then(TYPES, bad.answer) as server:
        run = invoke_acdload(
            cli, tmp_path, "apply", "load.csv", "--yes", "--base-url", server.base_url, token=TOKEN
        )

    assert run.returncode == 3, run.output
    assert "GET /acd/events/types: the answer is not what the jtel API documents" in run.stderr
    assert bad.expect in run.stderr
    assert_clean(run)
    assert server.sent(CREATE) == []


# -- the token, echoed back ----------------------------------------------------------------


def _token_of(request: Request) -> str:
    return request.headers["authorization"].split()[-1]


def echo_header_as_text(request: Request, conn: socket.socket) -> None:
    """A proxy's 400 page that shows the request it refused, headers and all."""
    text = f"400 Bad Request\r\nAuthorization: {request.headers['authorization']}\r\n"
    send(conn, 400, text, content_type="text/plain")


def echo_header_as_json(request: Request, conn: socket.socket) -> None:
    send_json(conn, 400, {"error": f"invalid header {request.headers['authorization']}"})


def echo_bare_token_as_json(request: Request, conn: socket.socket) -> None:
    send_json(conn, 422, {"error": f"token {_token_of(request)} may not create type 3"})


def redirect_with_token(request: Request, conn: socket.socket) -> None:
    location = f"https://sso.example/login?next=/acd&auth={_token_of(request)}\x1b[31m"
    send(conn, 302, b"", {"Location": location})


ECHOES = [echo_header_as_text, echo_header_as_json, echo_bare_token_as_json]


def files_text(directory: Path) -> str:
    return "".join(
        path.read_text("utf-8", errors="replace") for path in directory.rglob("*") if path.is_file()
    )


@pytest.mark.parametrize("echo", ECHOES, ids=lambda echo: echo.__name__)
def test_a_create_error_that_echoes_the_token_leaves_it_out_of_every_output(
    tmp_path: Path, echo: Answer
) -> None:
    with JtelScript(stores=False).then(CREATE, echo) as server:
        run = run_acdload(
            tmp_path, "apply", "load.csv", "--yes", *REPORT_FLAGS, "--base-url", server.base_url,
            token=TOKEN,
        )  # fmt: skip

    assert run.returncode == 1, run.output
    assert len(server.sent(CREATE)) == 1
    [result] = json.loads((tmp_path / "r.json").read_text("utf-8"))["results"]
    assert result["outcome"] == "failed"
    assert "***" in result["error"]  # the server's message is kept, the token masked
    assert_clean(run)
    assert TOKEN not in files_text(tmp_path)


@pytest.mark.parametrize(
    "answer", [*ECHOES, redirect_with_token], ids=lambda answer: answer.__name__
)
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_list_error_that_echoes_the_token_leaves_it_out_of_every_output(
    tmp_path: Path, command: str, answer: Answer
) -> None:
    flags = ("--yes", *REPORT_FLAGS) if command == "apply" else ("--junit", "junit.xml")
    with JtelScript().then(LIST, answer) as server:
        run = run_acdload(
            tmp_path, command, "load.csv", *flags, "--base-url", server.base_url, token=TOKEN
        )

    assert run.returncode == 3, run.output
    assert "GET /acd/events" in run.stderr
    assert "***" in run.stderr
    assert_clean(run)
    assert TOKEN not in files_text(tmp_path)
    assert server.sent(CREATE) == []


def test_a_token_too_short_to_mask_everywhere_leaves_messages_readable(tmp_path: Path) -> None:
    """Masking a token ``t`` wherever it occurs would turn every "t" into ``***``; the
    header it came in is masked all the same."""

    def refuse(request: Request, conn: socket.socket) -> None:
        auth = request.headers["authorization"]
        send_json(conn, 400, {"error": f"not accepted: {auth}"})

    with JtelScript().then(LIST, refuse) as server:
        run = run_acdload(tmp_path, "plan", "load.csv", "--base-url", server.base_url, token="t")

    assert run.returncode == 3, run.output
    assert "error: unexpected HTTP 400 for GET /acd/events: not accepted: Bearer ***" in run.stderr
