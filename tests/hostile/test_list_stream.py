"""The streamed event list: what a parser that reads as the body arrives must still refuse.

The list is no longer parsed whole (``json.loads``) but event by event as it arrives
(``acdload.target.event_list``), keeping only some fields of some records. Every answer
of ``answers/`` is refused with the same message as before (``test_server_answers.py``);
the cases of ``list_answers/`` are the ones a streamed read makes new: a second
``records``, an object whose member is named ``item``, text after the answer, numbers and
nesting that must be refused without a crash or a recursion, bytes split across reads.
Each file is one answer (``expect:`` in the message, optional ``pieces: N`` to send the
body N bytes at a time); adding an attack is adding a file.

The answers a streamed read must take as ``json.loads`` took them, and a list cut off by
the deadline (which a streamed parser could take for truncated JSON), are tested below.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.applying.support import write_csv
from tests.hostile.jtel_script import LIST, JtelScript, Run, run_acdload
from tests.hostile.server import Request, list_answer

CASES = Path(__file__).parent / "list_answers"
TOKEN = "hostile-token-Lq9Ws3"


@dataclass(frozen=True)
class ListCase:
    name: str
    expect: str
    pieces: int | None
    body: bytes

    @classmethod
    def read(cls, path: Path) -> ListCase:
        head, _, body = path.read_bytes().partition(b"\n---\n")
        fields = dict(
            line.split(": ", 1)
            for line in head.decode("utf-8").splitlines()
            if line and not line.startswith("#")
        )
        pieces = int(fields["pieces"]) if "pieces" in fields else None
        return cls(path.stem, fields["expect"], pieces, body.removesuffix(b"\n"))

    def answer(self, request: Request, conn: socket.socket) -> None:
        send_in_pieces(conn, self.body, self.pieces or len(self.body) or 1)


def send_in_pieces(conn: socket.socket, body: bytes, size: int, pause: float = 0.005) -> None:
    """A 200 answer whose body goes out ``size`` bytes at a time, so reads split it there."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    )
    for start in range(0, len(body), size):
        if start:
            time.sleep(pause)
        conn.sendall(body[start : start + size])


ALL_CASES = [ListCase.read(path) for path in sorted(CASES.glob("*.answer"))]


@pytest.fixture(autouse=True)
def _load(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 2)


def plan(tmp_path: Path, server: JtelScript, *extra: str) -> Run:
    return run_acdload(
        tmp_path, "plan", "load.csv", "--base-url", server.base_url, "--format", "json", *extra,
        token=TOKEN,
    )  # fmt: skip


def assert_clean(run: Run) -> None:
    assert "Traceback" not in run.output, run.stderr
    assert "\x1b" not in run.output
    assert TOKEN not in run.output


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_a_streamed_list_not_as_documented_is_exit_3_naming_the_fault(
    tmp_path: Path, case: ListCase
) -> None:
    with JtelScript().then(LIST, case.answer) as server:
        run = plan(tmp_path, server)

    assert run.returncode == 3, run.output
    assert "error: GET /acd/events: the answer is not what the jtel API documents" in run.stderr
    assert case.expect in run.stderr
    assert "hint: " in run.stderr
    assert run.stdout == ""
    assert_clean(run)
    assert len(server.sent(LIST)) == 1


def record(n: int, **fields: Any) -> dict[str, Any]:
    """The server's record of event U-``n`` of the load (``write_csv``)."""
    return {
        "ID": 100 + n,
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": f"49170{1000000 + n}",
        "Subject": f"Callback {n}",
        "UserData": f"U-{n}",
        **fields,
    }


def answering(body: bytes, pieces: int = 7) -> Any:
    return lambda request, conn: send_in_pieces(conn, body, pieces, pause=0.0)


def test_a_byte_order_mark_is_read_as_json_loads_read_it(tmp_path: Path) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(list_answer([record(0), record(1)])).encode()
    with JtelScript().then(LIST, answering(body)) as server:
        run = plan(tmp_path, server)

    assert run.returncode == 0, run.output
    assert json.loads(run.stdout)["summary"] == {
        "create": 0,
        "exists": 2,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }


def test_nested_values_plan_does_not_keep_are_skipped(tmp_path: Path) -> None:
    """Objects and arrays in fields plan does not read (comments, history) cost nothing."""
    history = {"history": [{"agent": 7, "notes": [["a", {"b": None}], []]}], "empty": {}}
    records = [record(0, Comments=history, Tags=[[1, 2], {"x": [True]}]), record(1, Meta={})]
    body = json.dumps(list_answer(records)).encode()
    with JtelScript().then(LIST, answering(body)) as server:
        run = plan(tmp_path, server)

    assert run.returncode == 0, run.output
    assert json.loads(run.stdout)["summary"] == {
        "create": 0,
        "exists": 2,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }


@pytest.mark.parametrize("value", [{"number": "49170"}, ["4917", "01000000"]])
def test_a_key_field_holding_an_object_or_a_list_matches_nothing(
    tmp_path: Path, value: Any
) -> None:
    """No payload has such a key: the event is not there; never an unhashable-key crash."""
    body = json.dumps(list_answer([record(0, Sender=value), record(1)])).encode()
    with JtelScript().then(LIST, answering(body)) as server:
        run = plan(tmp_path, server, "--out", "plan.json")

    assert run.returncode == 0, run.output
    assert_clean(run)
    actions = json.loads(run.stdout)["actions"]
    assert [a["action"] for a in actions] == ["create", "exists"]
    assert json.loads((tmp_path / "plan.json").read_text("utf-8"))["records"]["count"] == 2


def test_a_list_cut_off_by_the_deadline_is_a_timeout_not_bad_json(tmp_path: Path) -> None:
    """No Content-Length, the end marked by closing: when the deadline shuts the socket,
    what was read ends like a (truncated) answer. It is a timeout, and read again."""
    body = json.dumps(list_answer([record(n) for n in range(40)])).encode()

    def endless(request: Request, conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        )
        for byte in body:
            conn.sendall(bytes([byte]))
            time.sleep(0.05)

    with JtelScript().then(LIST, *[endless] * 4) as server:
        started = time.monotonic()
        run = plan(tmp_path, server, "--timeout", "0.25")
        seconds = time.monotonic() - started

    assert run.returncode == 3, run.output
    assert "error: GET /acd/events got no complete answer within 1 s (4 attempts)" in run.stderr
    assert "not JSON" not in run.stderr
    assert len(server.sent(LIST)) == 4
    assert seconds < 30
