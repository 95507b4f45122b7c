"""The servers the benchmarks talk to, each in a process of its own so it has its own core.

Every answer goes out in one write: a keep-alive ``http.server`` that writes headers and
body separately stalls on Nagle's algorithm and delayed ACKs (about 25 requests a second).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


class _OneAnswer(BaseHTTPRequestHandler):
    """Reads the request, answers the same prepared response."""

    protocol_version = "HTTP/1.1"
    answer = b""

    def do_GET(self) -> None:
        self.wfile.write(self.answer)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.wfile.write(self.answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_answer(body: bytes) -> None:
    """Answer every GET and POST with the JSON ``body``; print the base URL; run until SIGTERM."""
    _OneAnswer.answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OneAnswer)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"http://127.0.0.1:{server.server_port}/rest/v1.0/1000", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


@contextmanager
def server_process(command: list[str]) -> Iterator[str]:
    """Start a server process, yield the base URL it prints first, stop it with SIGTERM."""
    with started_server(command) as (url, _):
        yield url


@contextmanager
def started_server(command: list[str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """As :func:`server_process`, also yielding the process (to read its memory)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"{command} did not print its URL")
        yield url, process
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        if process.stdout is not None:
            process.stdout.close()
        if code != 0:
            raise RuntimeError(f"{command} exited {code} on SIGTERM")


_REQUEST_LINE = re.compile(rb"(GET|POST) (\S+) HTTP/1\.[01]\r\n")


def _pump(source: socket.socket, sink: socket.socket, requests: Counter[str] | None) -> None:
    """Copy ``source`` to ``sink`` until either closes; count request lines if asked."""
    pending = b""
    try:
        while chunk := source.recv(65536):
            if requests is not None:
                pending += chunk
                last = 0
                for match in _REQUEST_LINE.finditer(pending):
                    requests[f"{match[1].decode()} {match[2].decode()}"] += 1
                    last = match.end()
                pending = pending[last:][-512:]
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@contextmanager
def counting_relay(base_url: str) -> Iterator[tuple[str, Counter[str]]]:
    """A TCP relay in front of ``base_url`` counting requests by ``"METHOD path"``.

    For counting what a client sends (list reads, probes, creates) when the client does
    not tell; it adds a copy of every byte, so runs that are timed do not go through it.
    """
    parts = urlsplit(base_url)
    upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
    requests: Counter[str] = Counter()
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(upstream)
            for args in ((client, server, requests), (server, client, None)):
                threading.Thread(target=_pump, args=args, daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    port = listener.getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}{parts.path}", requests
    finally:
        listener.close()
