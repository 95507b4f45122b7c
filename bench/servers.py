"""The servers the benchmarks talk to, each in a process of its own so it has its own core.

Every answer goes out in one write: a keep-alive ``http.server`` that writes headers and
body separately stalls on Nagle's algorithm and delayed ACKs (about 25 requests a second).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
