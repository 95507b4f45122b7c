"""One HTTP connection of the emulator: routing, authentication, body checks, faults.

Whatever a client sends is answered with a status a public server would give and the
documented error body, never a 500: malformed request lines, unknown methods, headers
over http.server's limits, numbers beyond Python's digit limit, lone surrogates, bodies
that stop coming. Every answer goes out in one write with TCP_NODELAY set: a keep-alive
server that sends headers and body separately stalls on Nagle's algorithm and delayed
ACKs at about 25 requests a second. The one exception is the list, which can be a
gigabyte: it is sent as it is read (chunked), in writes of at least 64 KiB.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import http
import json
import re
import socket
import sys
import traceback
import urllib.parse
from collections.abc import Callable, Generator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from acdload.emulator.faults import Fault
from acdload.emulator.service import error_body
from acdload.emulator.validation import ValidationError, shown

if TYPE_CHECKING:
    from acdload.emulator.server import EmulatorHTTPServer

__all__ = ["MAX_BODY_BYTES", "Handler"]

MAX_BODY_BYTES = 1 << 20
# An oversized body is read and thrown away up to this size, so the client reads the 400
# instead of a connection reset; beyond it the connection is simply closed.
_DRAIN_LIMIT = 16 << 20
# More digits than any Content-Length up to the drain limit: no need to convert them.
_LENGTH_DIGITS = len(str(_DRAIN_LIMIT))

_ROUTE = re.compile(r"/rest/v1\.0/([^/]+)/acd/events(?:/(types|create|event/([^/]+)))?")
# An ID that could name an event: digits, no more than MAX_ID has (2147483647).
_EVENT_ID = re.compile(r"[0-9]{1,10}")
# A streamed answer is gathered into writes of at least this size (a short list: one write).
_WRITE_BYTES = 64 << 10


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False
    # A body made while it is sent (the list), instead of ``body``.
    stream: Generator[bytes, None, None] | None = None


def _error(status: int, message: str, *, close: bool = False) -> _Answer:
    return _Answer(status, error_body(status, message), close=close)


class _BodyRefused(ValueError):
    """A JSON body that parses but is refused before validation, with the reason."""


class Handler(BaseHTTPRequestHandler):
    """One connection, in its own thread: requests until the client or the server closes it."""

    protocol_version = "HTTP/1.1"
    server_version = "acdload-emulator"
    sys_version = ""
    server: EmulatorHTTPServer
    _body_read = False

    def setup(self) -> None:
        super().setup()
        # A client that stops sending (mid-request, or idle between requests) is dropped
        # after this; it also bounds a write to a client that does not read.
        self.connection.settimeout(self.server.read_timeout_s)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a load test would otherwise print a line per request."""

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            # Clients that gave up (timeouts, late commits) leave closed sockets behind;
            # one that does not read its answer is dropped when the write times out.
            self.close_connection = True

    def __getattr__(self, name: str) -> Callable[[], None]:
        """Serve every method, so that HEAD, OPTIONS or FOO get 405 or 404 as usual.

        http.server looks up ``do_<METHOD>`` and answers 501 with an HTML page when there
        is none; a server error is not what a client that sent an odd method deserves.
        """
        if name.startswith("do_"):
            return functools.partial(self._serve, name.removeprefix("do_"))
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a garbled request line, headers over its limits)
        in the documented JSON error body instead of its HTML page."""
        reason = shown(message or http.HTTPStatus(code).phrase, 200)
        self._write(_error(code, f"request: {reason}", close=True))

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
            except TimeoutError:
                answer = _error(
                    408,
                    f"request body: nothing received for {self.server.read_timeout_s:g} s; "
                    "send the whole body at once",
                    close=True,
                )
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
            if answer.stream is None:
                self._write(answer)
            else:
                self._write_stream(answer.status, answer.stream)
        finally:
            self.server.end_request()

    def _unread_body(self) -> bool:
        return not self._body_read and (
            self.headers.get("Content-Length", "0").strip() not in ("", "0")
            or "Transfer-Encoding" in self.headers
        )

    def _head(self, status: int, fields: list[str]) -> bytes:
        if not self.close_connection and self._unread_body():
            self.close_connection = True  # the rest of the stream is no request
        lines = [
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            *fields,
        ]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _write(self, answer: _Answer) -> None:
        if answer.close:
            self.close_connection = True
        fields = [f"Content-Length: {len(answer.body)}"]
        if answer.body:
            fields.append("Content-Type: application/json")
        fields.extend(f"{name}: {value}" for name, value in answer.headers)
        self.wfile.write(self._head(answer.status, fields) + answer.body)

    def _write_stream(self, status: int, stream: Generator[bytes, None, None]) -> None:
        """Send a body while it is made: chunked, or for HTTP/1.0 ended by closing.

        Once the head is out no other status can be given: a failure midway closes the
        connection without the final chunk, so the client sees a body that did not end,
        never a short list that looks whole. A client that hangs up (or stops reading
        for ``--read-timeout``) ends the request at the next write.
        """
        chunked = self.request_version == "HTTP/1.1"
        fields = ["Content-Type: application/json"]
        if chunked:
            fields.append("Transfer-Encoding: chunked")
        else:
            self.close_connection = True  # HTTP/1.0 knows no chunks: the close ends the body
        pending = [self._head(status, fields)]
        size = len(pending[0])
        with contextlib.closing(stream):
            try:
                for piece in stream:
                    if not piece:
                        continue  # a chunk of size 0 would end the body
                    framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
                    pending.append(framed)
                    size += len(framed)
                    if size >= _WRITE_BYTES:
                        self.wfile.write(b"".join(pending))
                        pending.clear()
                        size = 0
            except (ConnectionError, TimeoutError):
                raise
            except Exception:  # the store failed midway (or closed while stopping)
                if not self.server.stopping.is_set():
                    traceback.print_exc(file=sys.stderr)
                self.close_connection = True
                return
        if chunked:
            pending.append(b"0\r\n\r\n")
        self.wfile.write(b"".join(pending))

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
            return _Answer(200, stream=service.list_chunks())
        if endpoint == "types":
            return _Answer(200, service.types_body())
        if endpoint == "create":
            return self._create()
        event_id = urllib.parse.unquote(event_id)  # a path parameter, as JAX-RS decodes it
        body = service.event_body(int(event_id)) if _EVENT_ID.fullmatch(event_id) else None
        if body is None:
            return _error(404, f"AcdEvent {shown(event_id)} not found")
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
                reason = f"the token does not give access to client account {shown(client)}"
            else:
                return None
        return _Answer(
            401, error_body(401, reason), headers=(("WWW-Authenticate", 'Bearer realm="jtel"'),)
        )

    def _create(self) -> _Answer | None:
        content_type = self.headers.get("Content-Type", "")
        if content_type.partition(";")[0].strip().lower() != "application/json":
            return _error(
                400, f"Content-Type: must be application/json, got {shown(repr(content_type))}"
            )
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
            return _error(
                400, f"Content-Length: required, got {shown(repr(length_text))}", close=True
            )
        length = int(length_text) if len(length_text) <= _LENGTH_DIGITS else _DRAIN_LIMIT + 1
        if length > MAX_BODY_BYTES:
            if length <= _DRAIN_LIMIT:
                while length > 0 and (chunk := self.rfile.read(min(length, 1 << 16))):
                    length -= len(chunk)
            return _error(
                400,
                f"request body: {shown(length_text)} bytes is over the limit of 1 MiB",
                close=True,
            )
        raw = self.rfile.read(length)
        self._body_read = True
        if len(raw) < length:
            return _error(400, "request body: shorter than its Content-Length", close=True)
        if not raw.strip():
            return _error(400, "request body: empty; send the event as a JSON object")
        try:
            return json.loads(
                raw.decode("utf-8"), parse_constant=_reject_constant, parse_int=_integer
            )
        except UnicodeDecodeError:
            return _error(400, "request body: not UTF-8")
        except RecursionError:
            return _error(400, "request body: nested too deeply")
        except _BodyRefused as err:
            return _error(400, f"request body: {err}")
        except ValueError as err:
            return _error(400, f"request body: malformed JSON: {err}")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _integer(text: str) -> int:
    """A JSON integer; past Python's digit limit a refusal that says so in the API's terms."""
    try:
        return int(text)
    except ValueError:
        raise _BodyRefused(
            f"the number {shown(text)} has too many digits; IDs are at most 2147483647"
        ) from None
