"""The HTTP side of the emulator: routing, authentication, body checks, faults.

Built on ``http.server`` with HTTP/1.1 keep-alive. Every answer goes out in one write
with TCP_NODELAY set: a keep-alive server that sends headers and body separately stalls
on Nagle's algorithm and delayed ACKs at about 25 requests a second.
"""

from __future__ import annotations

import contextlib
import hmac
import http
import json
import re
import socket
import socketserver
import sys
import threading
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from acdload.emulator.faults import Fault, FaultPlan
from acdload.emulator.service import EventService, error_body
from acdload.emulator.validation import ValidationError

__all__ = ["MAX_BODY_BYTES", "EmulatorHTTPServer"]

MAX_BODY_BYTES = 1 << 20
# An oversized body is read and thrown away up to this size, so the client reads the 400
# instead of a connection reset; beyond it the connection is simply closed.
_DRAIN_LIMIT = 16 << 20

_ROUTE = re.compile(r"/rest/v1\.0/([^/]+)/acd/events(?:/(types|create|event/([^/]+)))?")


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


def _error(status: int, message: str, *, close: bool = False) -> _Answer:
    return _Answer(status, error_body(status, message), close=close)


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can stop without losing an accepted create.

    It counts requests in progress and tracks open connections, so that :meth:`close`
    can let every request finish (cutting injected waits short), then hang up idle
    keep-alive connections and join their threads.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        service: EventService,
        faults: FaultPlan,
        token: str,
        client_id: int,
        latency_s: float,
        late_commit_s: float,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.service = service
        self.faults = faults
        self.token = token.encode()
        self.client_id = str(client_id)
        self.latency_s = latency_s
        self.late_commit_s = late_commit_s
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_progress = 0
        self._connections: dict[Any, threading.Thread] = {}
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can wait on DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="acdload-emulator-connection",
            daemon=True,
        )
        with self._lock:
            self._connections[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def begin_request(self) -> bool:
        """Count a request in; ``False`` once stopping (the connection is then closed)."""
        with self._lock:
            if self.stopping.is_set():
                return False
            self._in_progress += 1
            return True

    def end_request(self) -> None:
        with self._lock:
            self._in_progress -= 1
            self._idle.notify_all()

    def close(self, *, serving: bool, timeout: float = 30.0) -> None:
        """Stop accepting, finish requests in progress, hang up the rest, close."""
        with self._lock:
            self.stopping.set()  # wakes late commits and latency waits at once
        if serving:
            self.shutdown()
        with self._lock:
            self._idle.wait_for(lambda: self._in_progress == 0, timeout)
            connections = list(self._connections.items())
        for connection, _ in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        for _, thread in connections:
            thread.join(timeout)
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "acdload-emulator"
    sys_version = ""
    server: EmulatorHTTPServer
    _body_read = False

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a load test would otherwise print a line per request."""

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except ConnectionError:
            # Clients that gave up (timeouts, late commits) leave closed sockets behind.
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        if not self.server.begin_request():
            self.close_connection = True
            return
        self._body_read = False
        try:
            try:
                answer = self._answer(method)
            except ConnectionError:
                raise
            except Exception:  # a bug must cost one 500, not the connection or the server
                traceback.print_exc(file=sys.stderr)
                answer = _error(500, "internal error in the emulator; see its stderr", close=True)
            if answer is None:  # --drop-rate: stored, and no answer at all
                self.close_connection = True
                with contextlib.suppress(OSError):  # the client hung up first
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.server.latency_s:
                self.server.stopping.wait(self.server.latency_s)
            self._write(answer)
        finally:
            self.server.end_request()

    def _write(self, answer: _Answer) -> None:
        unread_body = not self._body_read and (
            self.headers.get("Content-Length", "0").strip() not in ("", "0")
            or "Transfer-Encoding" in self.headers
        )
        if answer.close or unread_body:
            self.close_connection = True  # the rest of the stream is no request
        lines = [
            f"HTTP/1.1 {answer.status} {http.HTTPStatus(answer.status).phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Length: {len(answer.body)}",
        ]
        if answer.body:
            lines.append("Content-Type: application/json")
        lines.extend(f"{name}: {value}" for name, value in answer.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + answer.body)

    def _answer(self, method: str) -> _Answer | None:
        match = _ROUTE.fullmatch(self.path.partition("?")[0])
        if match is None:
            return _Answer(404)  # no such endpoint: empty body, as jtel does
        client, endpoint, event_id = match.groups()
        allowed = "POST" if endpoint == "create" else "GET"
        if method != allowed:
            return _Answer(405, headers=(("Allow", allowed),))
        refusal = self._authenticate(client)
        if refusal is not None:
            return refusal
        service = self.server.service
        if endpoint is None:
            return _Answer(200, service.list_body())
        if endpoint == "types":
            return _Answer(200, service.types_body())
        if endpoint == "create":
            return self._create()
        body = (
            service.event_body(int(event_id)) if event_id.isascii() and event_id.isdigit() else None
        )
        if body is None:
            return _error(404, f"AcdEvent {event_id} not found")
        return _Answer(200, body)

    def _authenticate(self, client: str) -> _Answer | None:
        header = self.headers.get("Authorization")
        if header is None:
            reason = "no bearer token: send the header 'Authorization: Bearer TOKEN'"
        else:
            scheme, _, token = header.strip().partition(" ")
            valid = scheme.lower() == "bearer" and hmac.compare_digest(
                token.strip().encode("latin-1"), self.server.token
            )
            if not valid:
                reason = "invalid bearer token"
            elif client != self.server.client_id:
                reason = f"the token does not give access to client account {client}"
            else:
                return None
        return _Answer(
            401, error_body(401, reason), headers=(("WWW-Authenticate", 'Bearer realm="jtel"'),)
        )

    def _create(self) -> _Answer | None:
        content_type = self.headers.get("Content-Type", "")
        if content_type.partition(";")[0].strip().lower() != "application/json":
            return _error(400, f"Content-Type: must be application/json, got {content_type!r}")
        payload_or_error = self._read_json()
        if isinstance(payload_or_error, _Answer):
            return payload_or_error
        server = self.server
        try:
            create = server.service.resolve(payload_or_error)
        except ValidationError as err:
            return _error(400, str(err))
        fault = server.faults.draw()
        if fault is Fault.FAIL:
            return _error(500, "injected fault (--fail-rate): the event was not stored")
        if fault is Fault.DROP:
            server.service.create(create)
            return None
        if fault is Fault.LATE_COMMIT:
            server.stopping.wait(server.late_commit_s)
        return _Answer(200, server.service.create(create))

    def _read_json(self) -> object:
        """The decoded body, or the 400 answer that says why there is none."""
        if "Transfer-Encoding" in self.headers:
            return _error(400, "Transfer-Encoding: not supported; send Content-Length", close=True)
        length_text = self.headers.get("Content-Length", "").strip()
        if not (length_text.isascii() and length_text.isdigit()):
            return _error(400, f"Content-Length: required, got {length_text!r}", close=True)
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            if length <= _DRAIN_LIMIT:
                while length > 0 and (chunk := self.rfile.read(min(length, 1 << 16))):
                    length -= len(chunk)
            return _error(
                400, f"request body: {length_text} bytes is over the limit of 1 MiB", close=True
            )
        raw = self.rfile.read(length)
        self._body_read = True
        if len(raw) < length:
            return _error(400, "request body: shorter than its Content-Length", close=True)
        if not raw.strip():
            return _error(400, "request body: empty; send the event as a JSON object")
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            return _error(400, "request body: not UTF-8")
        except RecursionError:
            return _error(400, "request body: nested too deeply")
        except ValueError as err:
            return _error(400, f"request body: malformed JSON: {err}")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
