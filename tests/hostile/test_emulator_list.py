"""Clients that misuse the streamed list: hang up midway, stop reading, or both at shutdown.

The list of a large account takes seconds to send. A client that leaves, or stops
reading, must cost the emulator that one connection for at most ``--read-timeout``:
never a stuck thread, a held lock (creates go on), a traceback, or a slow shutdown.
"""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from acdload.emulator.seeding import seed_events
from tests.emulator.helpers import CALLBACK, create, records
from tests.emulator_support import EmulatorHandle, EmulatorProcess, RunningEmulator

Factory = Callable[..., RunningEmulator]
EVENTS = 20_000  # a 23 MB list: far more than the socket buffers of both ends hold
# Generous: the limits proven are a hang-up noticed at once (not after the 60 s read
# timeout these emulators have), a 1 s read timeout, and the emulator's own 2 s stop.
WAIT_S = 10.0


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("big") / "events.sqlite3"
    seed_events(db, EVENTS)
    return db


def _copy(db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "events.sqlite3"
    copy.write_bytes(db.read_bytes())
    return copy


@contextmanager
def _list_started(handle: EmulatorHandle) -> Iterator[socket.socket]:
    """A list request whose answer has begun to arrive; the caller reads no further."""
    url = urlsplit(handle.base_url)
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=WAIT_S) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        connection.sendall(
            f"GET {url.path}/acd/events HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {handle.token}\r\n\r\n".encode()
        )
        assert connection.recv(1 << 16).startswith(b"HTTP/1.1 200 OK")
        time.sleep(0.5)  # the server fills both socket buffers (a few MB) and is stuck
        yield connection


def _connection_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "acdload-emulator-connection"}


def _wait_until_gone(threads: set[threading.Thread]) -> float:
    started = time.monotonic()
    for thread in threads:
        thread.join(max(0.0, WAIT_S - (time.monotonic() - started)))
    assert not any(thread.is_alive() for thread in threads), "the connection is still served"
    return time.monotonic() - started


def test_client_that_hangs_up_mid_list_frees_the_server_at_once(
    emulator_factory: Factory, big_db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    handle = emulator_factory(db=_copy(big_db, tmp_path), read_timeout=60)
    before = _connection_threads()
    with _list_started(handle) as connection:
        serving = _connection_threads() - before
        assert len(serving) == 1
        # Close with a reset, as a killed client does: no orderly goodbye.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    _wait_until_gone(serving)  # not the 60 s read timeout
    assert create(handle, CALLBACK).status_code == 200
    assert len(records(handle)) == EVENTS + 1
    assert "Traceback" not in capfd.readouterr().err


def test_client_that_stops_reading_holds_no_create_up(
    emulator_factory: Factory, big_db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    handle = emulator_factory(db=_copy(big_db, tmp_path), read_timeout=60)
    with _list_started(handle) as connection:
        # The list is stuck on a full socket for up to 60 s; the store must not be.
        created = create(handle, CALLBACK, timeout=WAIT_S)
        assert created.status_code == 200
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    listed = records(handle)
    # The stalled list was asked for first: the new event is in the next list.
    assert len(listed) == EVENTS + 1 and listed[-1] == created.json()["records"][0]
    assert "Traceback" not in capfd.readouterr().err


def test_client_that_stops_reading_is_dropped_after_the_read_timeout(
    emulator_factory: Factory, big_db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    handle = emulator_factory(db=_copy(big_db, tmp_path), read_timeout=1)
    before = _connection_threads()
    with _list_started(handle) as connection:
        serving = _connection_threads() - before
        _wait_until_gone(serving)  # dropped after the 1 s read timeout
        connection.settimeout(WAIT_S)
        rest = bytearray()
        while piece := connection.recv(1 << 20):
            rest += piece
        # Closed without the last chunk: the client cannot take it for a whole list.
        assert not rest.endswith(b"\r\n0\r\n\r\n")
    assert create(handle, CALLBACK).status_code == 200
    assert "Traceback" not in capfd.readouterr().err


def test_sigterm_mid_list_exits_within_2_s(
    emulator_process: Callable[..., EmulatorProcess], big_db: Path, tmp_path: Path
) -> None:
    handle = emulator_process(db=_copy(big_db, tmp_path), token="t")  # read timeout 30 s
    with _list_started(handle):
        started = time.monotonic()
        handle.process.send_signal(signal.SIGTERM)
        try:
            code = handle.process.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"SIGTERM during a list: still running after {WAIT_S} s")
        assert time.monotonic() - started < 2.0
    assert code == 0
    assert "Traceback" not in handle.stderr()
