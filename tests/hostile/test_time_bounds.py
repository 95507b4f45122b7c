"""``--timeout`` bounds a whole request, and ``Retry-After`` never stalls or crashes a run.

requests' own timeout bounds each socket read, so a server that sends one byte every half
second kept a request alive for as long as it liked. The times asserted here are generous
upper bounds that only a working limit meets; the runs end at the subprocess timeout if
the limit is missing.
"""

from __future__ import annotations

import email.utils
import json
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from acdload.target.client import retry_after_seconds
from tests.applying.support import write_csv
from tests.hostile.jtel_script import CREATE, LIST, Answer, JtelScript, run_acdload
from tests.hostile.server import Request, list_answer, send, send_json, trickle

# A list answer of a few hundred bytes: sent a byte every 0.5 s, it takes minutes.
SLOW_LIST = json.dumps(list_answer([{"ID": n, "Subject": "x" * 40} for n in range(1, 6)])).encode()
SLOW_CREATE = json.dumps({"records": [{"ID": 100, "Subject": "y" * 200}], "count": 1}).encode()


@pytest.fixture(autouse=True)
def _load(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 1)


def trickled(body: bytes) -> Answer:
    def answer(request: Request, conn: socket.socket) -> None:
        trickle(conn, 200, body, every=0.5)

    return answer


def test_a_list_that_trickles_fails_after_its_deadline_on_every_attempt(tmp_path: Path) -> None:
    """Four attempts of 4 x 0.3 s each, plus backoff: well under 30 s. Without a
    whole-body deadline one attempt alone takes minutes."""
    script = JtelScript().then(LIST, *[trickled(SLOW_LIST)] * 4)
    with script as server:
        run = run_acdload(
            tmp_path, "plan", "load.csv", "--timeout", "0.3", "--base-url", server.base_url
        )

    assert run.returncode == 3, run.output
    assert "error: GET /acd/events got no complete answer within 1.2 s (4 attempts)" in run.stderr
    assert "--timeout" in run.stderr.split("hint: ", 1)[1]
    assert "Traceback" not in run.stderr
    assert run.seconds < 30
    assert len(server.sent(LIST)) == 4


def test_a_create_that_trickles_is_ambiguous_and_settled_by_look_up(tmp_path: Path) -> None:
    """The server stored the event but sends its answer a byte at a time: after --timeout
    the create counts as unanswered, the look-up finds the event, nothing is sent twice."""
    script = JtelScript(stores=True).then(CREATE, trickled(SLOW_CREATE))
    with script as server:
        run = run_acdload(
            tmp_path, "apply", "load.csv", "--yes", "--timeout", "1", "--report", "r.json",
            "--base-url", server.base_url,
        )  # fmt: skip

    assert run.returncode == 0, run.output
    assert run.seconds < 30
    assert len(server.sent(CREATE)) == 1
    [result] = json.loads((tmp_path / "r.json").read_text("utf-8"))["results"]
    assert (result["outcome"], result["event_id"]) == ("created", 100)


def test_a_stalled_answer_is_abandoned_with_its_connection(tmp_path: Path) -> None:
    """Half an answer, then silence on a keep-alive connection: the retry must not read
    the rest of it as its own answer, so it goes out on a new connection."""
    release = threading.Event()

    def stall(request: Request, conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
            b'\r\n{"records": ['
        )
        release.wait(30)

    try:
        with JtelScript().then(LIST, stall) as server:
            run = run_acdload(
                tmp_path, "plan", "load.csv", "--timeout", "0.3", "--format", "json",
                "--base-url", server.base_url,
            )  # fmt: skip
    finally:
        release.set()

    assert run.returncode == 0, run.output
    assert run.seconds < 20
    assert json.loads(run.stdout)["summary"] == {
        "create": 1,
        "exists": 0,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    assert len(server.sent(LIST)) == 2


@pytest.mark.parametrize(
    "value", ["inf", "NaN", "-5", "1e999", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 99"]
)
def test_a_retry_after_that_is_no_delay_falls_back_to_backoff(tmp_path: Path, value: str) -> None:
    """Today ``inf`` raised OverflowError; garbage and past dates mean normal backoff."""

    def busy(request: Request, conn: socket.socket) -> None:
        send(conn, 503, b"busy", {"Retry-After": value}, content_type="text/plain")

    with JtelScript().then(LIST, busy) as server:
        run = run_acdload(tmp_path, "plan", "load.csv", "--base-url", server.base_url)

    assert run.returncode == 0, run.output
    assert "Traceback" not in run.stderr
    assert run.seconds < 20
    assert len(server.sent(LIST)) == 2


def test_a_retry_after_date_is_honoured(tmp_path: Path) -> None:
    """An HTTP-date three seconds ahead: the read waits for it, not for the 0.5 s backoff."""
    seen: list[float] = []

    def busy(request: Request, conn: socket.socket) -> None:
        seen.append(time.monotonic())
        later = email.utils.formatdate(time.time() + 3, usegmt=True)
        send(conn, 503, b"", {"Retry-After": later})

    def answered(request: Request, conn: socket.socket) -> None:
        seen.append(time.monotonic())
        send_json(conn, 200, list_answer([]))

    with JtelScript().then(LIST, busy, answered) as server:
        run = run_acdload(tmp_path, "plan", "load.csv", "--base-url", server.base_url)

    assert run.returncode == 0, run.output
    assert seen[1] - seen[0] > 1.5


def test_a_create_answered_429_with_retry_after_inf_is_sent_again(tmp_path: Path) -> None:
    def too_many(request: Request, conn: socket.socket) -> None:
        send_json(conn, 429, {"error": "slow down"}, {"Retry-After": "inf"})

    with JtelScript(stores=False).then(CREATE, too_many) as server:
        run = run_acdload(
            tmp_path, "apply", "load.csv", "--yes", "--report", "r.json",
            "--base-url", server.base_url,
        )  # fmt: skip

    assert run.returncode == 0, run.output
    assert len(server.sent(CREATE)) == 2
    [result] = json.loads((tmp_path / "r.json").read_text("utf-8"))["results"]
    assert (result["outcome"], result["event_id"]) == ("created", 100)


# -- the parser itself ---------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("2.5", 2.5),
        ("99999", 99999.0),  # finite: the caller caps it at RETRY_AFTER_CAP
        ("Tue, 01 Dec 2026 08:00:30 GMT", 30.0),
        ("Tuesday, 01-Dec-26 08:01:00 GMT", 60.0),  # RFC 850, still an HTTP-date
        ("Tue Dec  1 08:00:05 2026", 5.0),  # asctime
        (None, None),
        ("", None),
        ("inf", None),
        ("-inf", None),
        ("NaN", None),
        ("-1", None),
        ("1e3", None),
        ("9" * 400, None),  # a float of 400 digits is inf
        ("0x10", None),
        ("soon", None),
        ("Tue, 01 Dec 2026 07:59:00 GMT", None),  # already past
        ("Tue, 01 Dec 99999 08:00:00 GMT", None),
        ("Tue, 32 Dec 2026 08:00:00 GMT", None),
    ],
)
def test_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds
