"""The emulator survives what a public server would: hostile requests, stalled clients.

Each file in ``emulator_requests/`` is one hostile request, sent byte for byte on a raw
socket (no HTTP library tidies it up first), with the answer it must get. Keys:

- ``method`` (default ``POST``) and ``path`` under the base URL (default
  ``/acd/events/create``), or ``request_line`` for the whole first line;
- ``headers``: added to, or replacing, ``Authorization`` with the right token,
  ``Content-Type: application/json`` and the body's ``Content-Length``;
- ``body``: text sent as UTF-8, or ``!!binary`` base64 for bytes that are not UTF-8;
- ``expect``: ``status``, and ``error`` (a part of the documented error body's reason) or
  ``allow`` (the ``Allow`` header of a 405, whose body is empty).

``{c*N}`` anywhere in ``path``, ``headers`` or ``body`` stands for the character ``c``
repeated ``N`` times. Whatever the request, the emulator must answer it (never a 500),
store nothing, print no traceback, and go on serving.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from acdload.emulator import EmulatorConfig, EmulatorConfigError
from tests.cli_runner import Cli
from tests.emulator.helpers import CALLBACK, create, records
from tests.emulator_support import EmulatorHandle, EmulatorProcess, RunningEmulator

CASES = Path(__file__).parent / "emulator_requests"
_REPEAT = re.compile(r"\{(.)\*([0-9]+)\}")
# Generous: the limit proven is the 1 s read timeout, or the emulator's own 2 s stop.
WAIT_S = 10.0


def _expand(text: str) -> str:
    return _REPEAT.sub(lambda match: match[1] * int(match[2]), text)


def _connect(handle: EmulatorHandle) -> socket.socket:
    address = urlsplit(handle.base_url)
    assert address.hostname is not None and address.port is not None
    connection = socket.create_connection((address.hostname, address.port), timeout=WAIT_S)
    return connection


def _request_bytes(handle: EmulatorHandle, case: dict[str, Any]) -> tuple[str, bytes]:
    method = case.get("method", "POST")
    base_path = urlsplit(handle.base_url).path
    line = case.get("request_line") or (
        f"{method} {base_path}{_expand(case.get('path', '/acd/events/create'))} HTTP/1.1"
    )
    raw_body = case.get("body", b"")
    body = raw_body if isinstance(raw_body, bytes) else _expand(raw_body).encode("utf-8")
    headers = {
        "Host": "127.0.0.1",
        "Authorization": f"Bearer {handle.token}",
        **({"Content-Type": "application/json"} if method == "POST" else {}),
        **({"Content-Length": str(len(body))} if body else {}),
        **{name: _expand(str(value)) for name, value in case.get("headers", {}).items()},
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return method, f"{line}\r\n{head}\r\n".encode("latin-1") + body


def _exchange(
    handle: EmulatorHandle, method: str, data: bytes
) -> tuple[int, dict[str, str], bytes]:
    with _connect(handle) as connection:
        connection.sendall(data)
        answer = http.client.HTTPResponse(connection, method=method)
        answer.begin()
        return answer.status, dict(answer.getheaders()), answer.read()


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda path: path.stem)
def test_hostile_request_is_refused_cleanly(
    path: Path, emulator: RunningEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    expect = case["expect"]
    method, data = _request_bytes(emulator, case)

    status, headers, body = _exchange(emulator, method, data)

    assert status == expect["status"], body[:300]
    if "error" in expect:
        assert headers["Content-Type"] == "application/json"
        answer = json.loads(body)
        assert set(answer) == {"status", "error"} and answer["status"] == status
        assert expect["error"] in answer["error"]
        assert len(answer["error"]) < 300, "the answer must not mirror the whole input"
    else:
        assert (headers["Allow"], body) == (expect["allow"], b"")
    assert records(emulator) == [], "a refused request stored something"
    assert "Traceback" not in capfd.readouterr().err


def _stall_mid_body(handle: EmulatorHandle) -> socket.socket:
    """A create whose headers promise 100 bytes of body, of which 10 ever come."""
    path = urlsplit(handle.base_url).path
    connection = _connect(handle)
    connection.sendall(
        f"POST {path}/acd/events/create HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {handle.token}\r\nContent-Type: application/json\r\n"
        'Content-Length: 100\r\n\r\n{"Sender":'.encode()
    )
    return connection


def _stall_mid_headers(handle: EmulatorHandle) -> socket.socket:
    connection = _connect(handle)
    connection.sendall(f"GET {urlsplit(handle.base_url).path}/acd/events HTTP/1.1\r\nHo".encode())
    return connection


def _read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes; a socket timeout fails the test."""
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


def test_a_client_stalled_mid_body_gets_408_and_others_are_served(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    handle = emulator_factory(read_timeout=1)
    with contextlib.ExitStack() as stack:
        stalled = [stack.enter_context(_stall_mid_body(handle)) for _ in range(3)]
        assert create(handle, CALLBACK).status_code == 200  # not blocked behind them

        started = time.monotonic()
        for connection in stalled:
            answer = _read_all(connection)
            assert answer.startswith(b"HTTP/1.1 408 ")
            assert b"Connection: close" in answer
            error = json.loads(answer.partition(b"\r\n\r\n")[2])
            assert error == {
                "status": 408,
                "error": "request body: nothing received for 1 s; send the whole body at once",
            }
        assert time.monotonic() - started < WAIT_S
    assert len(records(handle)) == 1


def test_a_client_stalled_mid_headers_is_dropped(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    handle = emulator_factory(read_timeout=1)
    with _stall_mid_headers(handle) as connection:
        assert _read_all(connection) == b""  # closed after the timeout, not held forever
    assert records(handle) == []


def test_read_timeout_defaults_to_30_s_and_must_be_positive(cli: Cli) -> None:
    assert EmulatorConfig().read_timeout == 30.0
    with pytest.raises(EmulatorConfigError) as raised:
        EmulatorConfig(read_timeout=float("nan"))
    assert raised.value.option == "--read-timeout"
    result = cli("emulator", "--read-timeout", "0")
    assert result.exit_code == 2
    assert "--read-timeout" in result.output and "Traceback" not in result.output


def test_read_timeout_option_reaches_the_server(
    emulator_process: Callable[..., EmulatorProcess],
) -> None:
    handle = emulator_process("--read-timeout", "1", in_memory=True)
    with _stall_mid_body(handle) as connection:
        assert _read_all(connection).startswith(b"HTTP/1.1 408 ")
    assert handle.stop() == 0


def test_sigterm_exits_within_2_s_whatever_the_clients_do(
    emulator_process: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    db = tmp_path / "events.sqlite3"
    handle = emulator_process(db=db, token="t")  # the default read timeout: 30 s
    path = urlsplit(handle.base_url).path
    body = json.dumps(CALLBACK).encode()
    with contextlib.ExitStack() as stack:
        idle = stack.enter_context(_connect(handle))  # keep-alive, idle after one create
        idle.sendall(
            f"POST {path}/acd/events/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert idle.recv(65536).startswith(b"HTTP/1.1 200 ")
        stack.enter_context(_connect(handle))  # connected, never sends a byte
        stack.enter_context(_stall_mid_headers(handle))
        stack.enter_context(_stall_mid_body(handle))
        time.sleep(0.2)  # every connection has been accepted and is being read

        started = time.monotonic()
        handle.process.send_signal(signal.SIGTERM)
        try:
            code = handle.process.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"SIGTERM with stalled clients: still running after {WAIT_S} s")
        assert time.monotonic() - started < 2.0
    assert code == 0
    assert "Traceback" not in handle.stderr()
    assert len(records(emulator_process(db=db, token="t"))) == 1  # what it accepted is kept


def test_stop_does_not_wait_for_a_client_that_does_not_read(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    handle = emulator_factory()  # the default read timeout: 30 s
    for number in range(100):  # a list answer of about 6.5 MB, more than socket buffers hold
        event = {**CALLBACK, "Subject": f"event {number}", "Body": "x" * 65_000}
        assert create(handle, event).status_code == 200
    path = urlsplit(handle.base_url).path
    with _connect(handle) as reader:
        reader.sendall(
            f"GET {path}/acd/events HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {handle.token}\r\n\r\n".encode()
        )
        reader.recv(1)  # the answer has started; the rest is never read
        time.sleep(0.2)
        started = time.monotonic()
        handle.emulator.stop()
        assert time.monotonic() - started < 5.0  # not the 30 s of the read timeout
