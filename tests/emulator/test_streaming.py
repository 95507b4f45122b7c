"""The list streamed at any size, and large accounts seeded straight into a database.

``GET /acd/events`` is sent as it is read from SQLite (chunked), so serving a million
events costs the memory of one batch; its bytes are the document it always was.
``python -m acdload.emulator seed`` writes realistic events into a file for benchmarks.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from acdload.emulator.records import NEW_STATUS
from acdload.emulator.seeding import CLOSED_STATUS, SEEDED_UNTIL, seed_events
from tests.emulator.helpers import CALLBACK, check_shape, create, get, records
from tests.emulator_support import REPO_ROOT, EmulatorHandle, EmulatorProcess, RunningEmulator

Factory = Callable[..., RunningEmulator]
WAIT_S = 10.0


def seeded(tmp_path: Path, count: int, *, seed: int = 1, name: str = "seeded.sqlite3") -> Path:
    db = tmp_path / name
    assert seed_events(db, count, seed=seed) == count
    return db


def document_from_file(db: Path, client_id: int = 1000) -> bytes:
    """The list answer as the emulator built it whole before it streamed: from the file."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT record FROM events WHERE client_id = ? ORDER BY id", (client_id,)
        ).fetchall()
    return (
        '{"filter": "", "limitStart": 0, "limitPageSize": -1, '
        f'"records": [{", ".join(row[0] for row in rows)}], "count": {len(rows)}, '
        '"orderBy": "dtCreated", "ascending": true, "status": 200}'
    ).encode()


def raw_get(handle: EmulatorHandle, path: str, version: str = "HTTP/1.1") -> bytes:
    """Everything the server sends for one GET on a connection that asks to close."""
    url = urlsplit(handle.base_url)
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=WAIT_S) as connection:
        connection.sendall(
            f"GET {url.path}{path} {version}\r\nHost: x\r\nConnection: close\r\n"
            f"Authorization: Bearer {handle.token}\r\n\r\n".encode()
        )
        data = bytearray()
        while piece := connection.recv(1 << 16):
            data += piece
    return bytes(data)


def dechunk(body: bytes) -> list[bytes]:
    """The chunks of a chunked body; fails unless it ends with the last (empty) chunk."""
    chunks: list[bytes] = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert body == b"\r\n", "nothing may follow the last chunk"
            return chunks
        chunks.append(body[:size])
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]


# -- the streamed list -------------------------------------------------------------------


def test_streamed_list_is_the_document_it_always_was(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    db = seeded(tmp_path, 300)
    handle = emulator_factory(db=db)
    created = [create(handle, {**CALLBACK, "Subject": f"new {n}"}).json() for n in range(3)]

    answer = get(handle, "/acd/events")

    assert answer.status_code == 200
    assert answer.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in answer.headers
    assert answer.content == document_from_file(db)  # byte for byte
    document = answer.json()
    assert document == json.loads(document_from_file(db))
    check_shape("list", document)
    assert document["count"] == 303
    assert document["records"][-3:] == [one["records"][0] for one in created]
    for event_id in (1, 150, 300, 301):
        one = get(handle, f"/acd/events/event/{event_id}").json()["records"][0]
        assert document["records"][event_id - 1] == one


def test_empty_list_is_unchanged(emulator: RunningEmulator) -> None:
    answer = get(emulator, "/acd/events")
    assert answer.content == (
        b'{"filter": "", "limitStart": 0, "limitPageSize": -1, "records": [], "count": 0, '
        b'"orderBy": "dtCreated", "ascending": true, "status": 200}'
    )


def test_list_goes_out_in_bounded_chunks(emulator_factory: Factory, tmp_path: Path) -> None:
    """Structural: a 2.4 MB list is many chunks of a few hundred KB, not one body."""
    db = seeded(tmp_path, 2000)
    handle = emulator_factory(db=db)

    head, _, body = raw_get(handle, "/acd/events").partition(b"\r\n\r\n")

    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Content-Length" not in head
    chunks = dechunk(body)
    assert len(chunks) >= 8
    assert max(map(len, chunks)) < 512 << 10
    assert b"".join(chunks) == document_from_file(db)


def test_http_1_0_client_gets_the_list_ended_by_close(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """HTTP/1.0 knows no chunks: the body is the rest of the stream."""
    db = seeded(tmp_path, 500)
    handle = emulator_factory(db=db)

    head, _, body = raw_get(handle, "/acd/events", "HTTP/1.0").partition(b"\r\n\r\n")

    assert b"Transfer-Encoding" not in head and b"Connection: close" in head
    assert body == document_from_file(db)


def _memory_kb(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines()
    fields = dict(line.split(":", 1) for line in status)
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_serving_50k_events_does_not_grow_the_emulator(
    emulator_process: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    """A 56 MB list: built whole it cost the emulator about 3x that; streamed, one batch."""
    db = seeded(tmp_path, 50_000)
    handle = emulator_process(db=db, token="t")
    assert get(handle, "/acd/events/event/1").status_code == 200  # warm: code paths loaded
    before = _memory_kb(handle.process.pid)

    with requests.get(
        handle.url("/acd/events"), headers=handle.headers, stream=True, timeout=60
    ) as answer:
        received = sum(len(piece) for piece in answer.iter_content(1 << 16))

    after = _memory_kb(handle.process.pid)
    assert received > 50 << 20
    growth_mb = (after["VmHWM"] - before["VmRSS"]) / 1024
    assert growth_mb < 30, f"serving the list grew the emulator by {growth_mb:.0f} MB"
    assert handle.stop() == 0
    assert "Traceback" not in handle.stderr()


# -- seeding -----------------------------------------------------------------------------


def test_seeded_events_are_valid_varied_records(emulator_factory: Factory, tmp_path: Path) -> None:
    db = seeded(tmp_path, 600)
    handle = emulator_factory(db=db)

    document = get(handle, "/acd/events").json()

    check_shape("list", document)
    events = document["records"]
    assert [event["ID"] for event in events] == list(range(1, 601))
    statuses = Counter(event["AcdEventStatusID"] for event in events)
    assert set(statuses) == {NEW_STATUS, CLOSED_STATUS} and statuses[CLOSED_STATUS] > 300
    assert {event["AcdEventTypesID"] for event in events} == {1, 2, 3, 4, 5, 6}
    assert len({event["AcdGroupsID"] for event in events}) >= 4
    senders = Counter(event["Sender"] for event in events)
    assert 100 < len(senders) < 600  # customers who came back
    sizes = [len(json.dumps(event)) for event in events]
    assert 900 < sum(sizes) / len(sizes) < 1400  # about 1.1 KB, like real records
    created = [event["dtCreated"] for event in events]
    assert created == sorted(created) and created[-1] < SEEDED_UNTIL.isoformat()
    closed = [e for e in events if e["AcdEventStatusID"] == CLOSED_STATUS]
    assert all(e["dtModified"] > e["dtCreated"] for e in closed)


def test_an_event_created_after_seeding_comes_last(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    handle = emulator_factory(db=seeded(tmp_path, 50))
    new = create(handle, CALLBACK).json()["records"][0]
    listed = records(handle)
    assert new["ID"] == 51 and listed[-1] == new
    assert [r["dtCreated"] for r in listed] == sorted(r["dtCreated"] for r in listed)


def test_seeding_is_reproducible(tmp_path: Path) -> None:
    def stored(db: Path) -> list[tuple[str, str]]:
        with sqlite3.connect(db) as connection:
            return connection.execute("SELECT request, record FROM events ORDER BY id").fetchall()

    first = stored(seeded(tmp_path, 200, name="a.sqlite3"))
    assert stored(seeded(tmp_path, 200, name="b.sqlite3")) == first
    assert stored(seeded(tmp_path, 200, seed=2, name="c.sqlite3")) != first


def _seed_command(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "acdload.emulator", "seed", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def test_seed_command_writes_a_database_the_emulator_serves(
    emulator_process: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    db = tmp_path / "big.sqlite3"
    done = _seed_command("--db", str(db), "--count", "250", "--seed", "7", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"250 events written to {db} in ")

    again = _seed_command("--db", str(db), "--count", "10", cwd=tmp_path)
    assert again.returncode == 2
    assert "'--db'" in again.stderr and "already holds 250 events; seed a new file" in again.stderr

    handle = emulator_process(db=db, token="t")
    assert len(records(handle)) == 250  # the refused second run added nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "0"], "'--count': 0 is not in the range"),
        (["--db", "{dir}/no/such/dir/x.sqlite3", "--count", "5"], "cannot open"),
        (["--db", "{dir}/notes.txt", "--count", "5"], "file is not a database"),
    ],
    ids=["count-0", "missing-directory", "not-sqlite"],
)
def test_seed_command_refuses_what_it_cannot_use(
    tmp_path: Path, args: list[str], message: str
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, and it stays as it is\n", encoding="utf-8")
    args = [arg.replace("{dir}", str(tmp_path)) for arg in args]
    if "--db" not in args:
        args += ["--db", str(tmp_path / "x.sqlite3")]

    done = _seed_command(*args, cwd=tmp_path)

    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert notes.read_text(encoding="utf-8") == "not a database, and it stays as it is\n"
