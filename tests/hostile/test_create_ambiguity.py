"""A create whose connection breaks: before the request left it is sent again at once; after
it left (the server stored it, then reset the connection) it is looked up at once, found,
and never sent twice, whatever ``--timeout`` says."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from acdload.target.client import JtelClient, NotSent, TransportFailure
from tests.applying.support import load_report, run_apply, write_csv
from tests.hostile.server import (
    EVENT_TYPES,
    HostileServer,
    Request,
    drop,
    list_answer,
    send,
    send_json,
)


class StoresThenDrops:
    """Stores every create; the first one's connection is reset instead of answered."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def __call__(self, request: Request, conn: socket.socket) -> None:
        if request.path == "/acd/events/types":
            send_json(conn, 200, EVENT_TYPES)
        elif request.path == "/acd/events":
            send_json(conn, 200, list_answer(self.records))
        elif request.path.startswith("/acd/events/event/"):
            wanted = int(request.path.rsplit("/", 1)[1])
            found = [r for r in self.records if r["ID"] == wanted]
            if found:
                send_json(conn, 200, list_answer(found))
            else:
                send_json(conn, 404, {"error": "no such event", "status": 404})
        else:
            record = {**request.json(), "ID": len(self.records) + 1}
            self.records.append(record)
            if len(self.records) == 1:
                drop(conn)
            else:
                send_json(conn, 200, list_answer([record]))


def test_a_create_reset_after_it_was_sent_is_found_at_once_not_sent_again(
    tmp_path: Path,
) -> None:
    write_csv(tmp_path / "load.csv", 2)
    with HostileServer(StoresThenDrops()) as server:
        # The default --timeout (30 s) would mean a 45 s settle wait before the old look-up.
        done = run_apply(
            tmp_path, "load.csv", "--yes", "--report", "r.json", "--base-url", server.base_url,
            token="secret", timeout=20,
        )  # fmt: skip
        creates = [r for r in server.requests if r.method == "POST"]

    assert done.returncode == 0, done.stderr
    results = load_report(tmp_path / "r.json")["results"]
    assert [(r["outcome"], r["event_id"], r["attempts"]) for r in results] == [
        ("created", 1, 1),
        ("created", 2, 1),
    ]
    assert len(creates) == 2  # nothing sent twice
    assert "Traceback" not in done.stderr


def test_a_refused_connection_is_not_sent_and_a_reset_one_is_ambiguous() -> None:
    """The client tells the two apart: only the reset one can have reached the server."""
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/rest/v1.0/1000"
    with JtelClient(url, "secret", timeout=2) as client, pytest.raises(NotSent, match="connect"):
        client.create({"Subject": "x"})

    with (
        HostileServer(lambda request, conn: drop(conn)) as server,
        JtelClient(server.base_url, "secret", timeout=2) as client,
        pytest.raises(TransportFailure) as raised,
    ):
        client.create({"Subject": "x"})
    assert not isinstance(raised.value, NotSent)


def test_a_create_answered_500_after_storing_is_found_at_once(tmp_path: Path) -> None:
    """An answer of 500 for an event the server did store: found by key, not sent again."""
    records: list[dict[str, Any]] = []

    def respond(request: Request, conn: socket.socket) -> None:
        if request.path == "/acd/events/types":
            send_json(conn, 200, EVENT_TYPES)
        elif request.path == "/acd/events":
            send_json(conn, 200, list_answer(records))
        elif request.path.startswith("/acd/events/event/"):
            send_json(conn, 404, {"error": "no such event", "status": 404})
        else:
            records.append({**request.json(), "ID": len(records) + 1})
            send(conn, 500, b'{"error": "internal"}')

    write_csv(tmp_path / "load.csv", 1)
    with HostileServer(respond) as server:
        done = run_apply(
            tmp_path, "load.csv", "--yes", "--report", "r.json", "--base-url", server.base_url,
            token="secret", timeout=20,
        )  # fmt: skip

    assert done.returncode == 0, done.stderr
    [result] = load_report(tmp_path / "r.json")["results"]
    assert (result["outcome"], result["event_id"], result["attempts"]) == ("created", 1, 1)
    assert len(records) == 1
