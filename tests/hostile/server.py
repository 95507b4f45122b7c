"""A small hostile HTTP server on 127.0.0.1: it answers whatever a test scripts, byte by byte.

A real jtel server, or a proxy in front of one, can send HTML with status 200, truncated
JSON, a body that trickles in, headers that echo the token, or close the connection in
the middle of an answer. The emulator is too well-behaved for that, so attacks on the
client run against this server instead. A test gives a ``respond(request, conn)``
function; helpers below write the common answers.

    with HostileServer(lambda req, conn: send(conn, 200, b"<html>")) as server:
        run_cli("plan", ..., "--base-url", server.base_url)
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CLIENT_ID = 1000


@dataclass
class Request:
    """One request as the server read it."""

    method: str
    path: str  # without the base path: "/acd/events", "/acd/events/create", ...
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Request, socket.socket], None]


def send(
    conn: socket.socket,
    status: int,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    *,
    content_type: str = "application/json",
) -> None:
    """A complete answer with a correct Content-Length."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    lines = [
        f"HTTP/1.1 {status} X",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(data)}",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines.append("Connection: close")
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)


def send_json(
    conn: socket.socket, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    send(conn, status, json.dumps(body), headers)


def trickle(conn: socket.socket, status: int, body: bytes, every: float) -> None:
    """Headers at once, then one byte of the body every ``every`` seconds."""
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    conn.sendall(head.encode("latin-1"))
    for byte in body:
        time.sleep(every)
        conn.sendall(bytes([byte]))


def drop(conn: socket.socket) -> None:
    """Close the connection without a byte of answer."""
    conn.shutdown(socket.SHUT_RDWR)


def list_answer(records: list[Any]) -> dict[str, Any]:
    """The seed's list wrapper around ``records``."""
    return {
        "filter": None,
        "limitStart": 0,
        "limitPageSize": -1,
        "records": records,
        "count": len(records),
        "orderBy": "dtCreated",
        "ascending": True,
        "status": 200,
    }


EVENT_TYPES = {
    "records": [{"ID": n, "ShortText": f"AcdEventTypes.T{n}"} for n in range(1, 7)],
    "count": 6,
    "status": 200,
}


@dataclass
class HostileServer:
    """Serves ``respond`` on an ephemeral port of 127.0.0.1, one thread per connection."""

    respond: Responder
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/rest/v1.0/{CLIENT_ID}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                request = _read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                self.respond(request, conn)
            except OSError:
                return


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    prefix = f"/rest/v1.0/{CLIENT_ID}"
    path = target[len(prefix) :] if target.startswith(prefix) else target
    return Request(method, path, headers, body)
