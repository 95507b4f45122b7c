"""Create answers that are not what the API documents: the same event ID for two creates,
no answer at all, a ``Retry-After`` of a day. None of them may cost exactly-once, and none
may hold a run beyond its limits."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from acdload.applying.applier import Applier, ApplyOptions
from acdload.applying.journal import Journal
from acdload.planning.matching import Action
from acdload.target.client import JtelClient
from tests.applying.support import load_report, normalised, run_apply, write_csv
from tests.hostile.server import (
    EVENT_TYPES,
    HostileServer,
    Request,
    drop,
    list_answer,
    send,
    send_json,
)


class ReplayingServer:
    """Answers every create with the record of the first one, as a caching proxy would;
    ``store``: the server behind it stores every create (else only the first)."""

    def __init__(self, store: bool) -> None:
        self.store = store
        self.records: list[dict[str, Any]] = []
        self.creates = 0

    def __call__(self, request: Request, conn: socket.socket) -> None:
        if request.path == "/acd/events/types":
            send_json(conn, 200, EVENT_TYPES)
        elif request.path == "/acd/events":
            send_json(conn, 200, list_answer(self.records))
        elif request.method == "GET":  # GET .../event/ID: apply's probes; not answered here
            send_json(conn, 404, {"error": "not found", "status": 404})
        else:
            self.creates += 1
            if self.store or not self.records:
                self.records.append({**request.json(), "ID": len(self.records) + 1})
            send_json(conn, 200, {"records": [self.records[0]], "count": 1, "status": 200})


def _apply(cwd: Path, server: HostileServer, *args: str) -> Any:
    return run_apply(
        cwd, "load.csv", "--yes", "--report", "r.json", *args, "--base-url", server.base_url,
        token="secret", timeout=60,
    )  # fmt: skip


def test_an_event_id_answered_twice_is_settled_by_key(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 3)
    replaying = ReplayingServer(store=True)
    with HostileServer(replaying) as server:
        done = _apply(tmp_path, server)

    assert done.returncode == 0, done.stderr
    results = load_report(tmp_path / "r.json")["results"]
    assert [(r["outcome"], r["event_id"]) for r in results] == [
        ("created", 1),
        ("created", 2),
        ("created", 3),
    ]
    assert replaying.creates == 3  # found by key: nothing sent twice


def test_an_event_id_answered_twice_and_not_found_is_failed_clearly(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 2)
    with HostileServer(ReplayingServer(store=False)) as server:
        done = _apply(tmp_path, server)

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    first, second = load_report(tmp_path / "r.json")["results"]
    assert (first["outcome"], first["event_id"]) == ("created", 1)
    assert (second["outcome"], second["event_id"]) == ("failed", None)
    assert (
        "the server answered event 1, which is already the event of load.csv:2" in (second["error"])
    )
    assert "key is not on the server" in second["error"]
    assert "failed: load.csv:3" in done.stderr


def test_a_create_without_an_answer_says_so(tmp_path: Path) -> None:
    def respond(request: Request, conn: socket.socket) -> None:
        if request.path == "/acd/events/types":
            send_json(conn, 200, EVENT_TYPES)
        elif request.path == "/acd/events":
            send_json(conn, 200, list_answer([]))
        else:
            drop(conn)

    write_csv(tmp_path / "load.csv", 1)
    with HostileServer(respond) as server:
        done = _apply(tmp_path, server, "--timeout", "0.2")

    assert done.returncode == 1, done.stderr
    [result] = load_report(tmp_path / "r.json")["results"]
    assert result["outcome"] == "failed"
    assert result["error"].startswith("gave up after 6 attempts: no clear answer: ")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("retry_after", ["99999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_retry_after_never_waits_beyond_the_retry_budget(tmp_path: Path, retry_after: str) -> None:
    """Through the library: the retry budget is not a command-line option, and the default
    one (120 s) is longer than the cap (60 s) this bounds as well. (``inf`` and other
    values that are no delay fall back to backoff: tests/hostile/test_time_bounds.py.)"""

    def respond(request: Request, conn: socket.socket) -> None:
        if request.path == "/acd/events":
            send_json(conn, 200, list_answer([]))
        else:
            send(conn, 429, '{"status": 429}', {"Retry-After": retry_after})

    payload = {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": normalised(1),
        "Subject": "Callback",
        "UserData": "U-1",
    }
    key = {name: payload[name] for name in ("AcdEventTypesID", "Sender", "UserData")}
    action = Action(0, "load.csv", 2, key, "create", None, {}, payload)
    with (
        HostileServer(respond) as server,
        JtelClient(server.base_url, "secret", timeout=2) as client,
        Journal(tmp_path / "journal.jsonl", server.base_url) as journal,
    ):
        started = time.monotonic()
        run = Applier(client, journal, ApplyOptions(timeout=2, retry_seconds=1), tuple(key)).run(
            [action]
        )

    assert time.monotonic() - started < 10
    [result] = run.results
    assert (result.outcome, result.http_status) == ("failed", 429)
    assert result.attempts == 2  # one wait, cut to what was left of the budget
