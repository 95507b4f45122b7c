"""A redirect in answer to a create is never followed; ``--rate`` spaces the creates."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.applying.support import (
    assert_created_exactly_once,
    load_report,
    run_apply,
    write_csv,
)
from tests.emulator_support import EmulatorProcess

PREFIX = "/rest/v1.0/1000"
TYPES = [{"ID": n, "ShortText": f"AcdEventTypes.T{n}"} for n in range(1, 7)]


class RedirectingServer(ThreadingHTTPServer):
    daemon_threads = True
    status = 307
    seen: list[str]


class Handler(BaseHTTPRequestHandler):
    """Answers the reads like jtel, and a create with a redirect to the event list."""

    protocol_version = "HTTP/1.1"
    server: RedirectingServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", "application/json")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.seen.append(f"GET {self.path}")
        if self.path == PREFIX + "/acd/events":
            self._send(200, json.dumps({"records": [], "count": 0, "status": 200}).encode())
        elif self.path == PREFIX + "/acd/events/types":
            self._send(200, json.dumps({"records": TYPES, "count": 6, "status": 200}).encode())
        else:
            self._send(404)

    def do_POST(self) -> None:
        self.server.seen.append(f"POST {self.path}")
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._send(self.server.status, location=PREFIX + "/acd/events")


@pytest.fixture
def redirecting() -> Iterator[RedirectingServer]:
    server = RedirectingServer(("127.0.0.1", 0), Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirected_create_is_an_error_and_not_followed(
    tmp_path: Path, redirecting: RedirectingServer, status: int
) -> None:
    redirecting.status = status
    write_csv(tmp_path / "load.csv", 3)
    base_url = f"http://127.0.0.1:{redirecting.server_address[1]}{PREFIX}"

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--base-url", base_url, "--report", "r.json", token="t"
    )

    assert done.returncode == 3, done.stderr
    assert "redirected POST /acd/events/create" in done.stderr
    assert "acdload never follows redirects" in done.stderr
    # The list and the types were read; the one create was sent and its redirect ignored.
    assert redirecting.seen == [
        f"GET {PREFIX}/acd/events",
        f"GET {PREFIX}/acd/events/types",
        f"POST {PREFIX}/acd/events/create",
    ]
    outcomes = [r["outcome"] for r in load_report(tmp_path / "r.json")["results"]]
    assert outcomes == ["failed", "not_attempted", "not_attempted"]


def test_rate_spaces_the_creates(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process(in_memory=True)
    write_csv(tmp_path / "load.csv", 20)

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--rate", "20", "--report", "r.json", handle=emulator
    )

    assert done.returncode == 0, done.stderr
    report = load_report(tmp_path / "r.json")
    assert_created_exactly_once(emulator, report, 20)
    elapsed = datetime.fromisoformat(report["finished"]) - datetime.fromisoformat(report["started"])
    assert elapsed.total_seconds() >= 0.8  # 20 creates at 20/s: 19 gaps of 50 ms
