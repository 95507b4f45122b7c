"""Storage: events survive restarts, IDs increase and never repeat, nothing half-written."""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from acdload.emulator import Emulator, EmulatorConfig, EmulatorConfigError
from tests.emulator.helpers import CALLBACK, check_shape, create, records
from tests.emulator_support import RunningEmulator


def test_events_survive_a_restart_on_the_same_file(tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite3"
    with Emulator(EmulatorConfig(db=db, token="t")) as first:
        handle = RunningEmulator(first.base_url, first.token, first.client_id, db, first)
        before = [create(handle, CALLBACK).json()["records"][0] for _ in range(3)]
    with Emulator(EmulatorConfig(db=db, token="t")) as second:
        handle = RunningEmulator(second.base_url, second.token, second.client_id, db, second)
        assert records(handle) == before
        new = create(handle, CALLBACK).json()["records"][0]
        assert new["ID"] > before[-1]["ID"]
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_accounts_are_separate_in_one_file(tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite3"
    with Emulator(EmulatorConfig(db=db, client_id=1000)) as first:
        create(RunningEmulator(first.base_url, first.token, 1000, db, first), CALLBACK)
    with Emulator(EmulatorConfig(db=db, client_id=2000)) as other:
        assert records(RunningEmulator(other.base_url, other.token, 2000, db, other)) == []


def test_the_create_body_is_kept_for_inspection(emulator: RunningEmulator) -> None:
    body = {**CALLBACK, "nPriority": 10, "dtAppointmentDate": "20300101"}
    create(emulator, body)
    assert emulator.db is not None
    with closing(sqlite3.connect(emulator.db)) as db:
        (request,) = db.execute("SELECT request FROM events").fetchone()
    assert json.loads(request) == body


@pytest.mark.parametrize("content", [b"this is not a database, just text" * 100])
def test_unusable_db_file_is_a_config_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not.sqlite3"
    path.write_bytes(content)
    with pytest.raises(EmulatorConfigError) as caught:
        Emulator(EmulatorConfig(db=path)).start()
    assert caught.value.option == "--db"
    with pytest.raises(EmulatorConfigError, match="cannot"):
        Emulator(EmulatorConfig(db=tmp_path / "no" / "such" / "dir.sqlite3")).start()


@pytest.mark.parametrize("file_db", [False, True], ids=["memory", "file"])
def test_concurrent_clients_get_unique_increasing_ids(
    emulator_factory: Callable[..., RunningEmulator], tmp_path: Path, file_db: bool
) -> None:
    handle = emulator_factory(db=tmp_path / "events.sqlite3" if file_db else None)
    url = urlsplit(handle.base_url)
    writers, per_writer = 8, 25
    ids: dict[int, list[int]] = {}
    problems: list[str] = []
    done = threading.Event()

    def write(number: int) -> None:
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=20)
        headers = {**handle.headers, "Content-Type": "application/json"}
        mine = ids.setdefault(number, [])
        try:
            for i in range(per_writer):
                body = json.dumps({**CALLBACK, "Subject": f"writer {number} event {i}"})
                connection.request("POST", f"{url.path}/acd/events/create", body, headers)
                answer = connection.getresponse()
                document = json.loads(answer.read())
                if answer.status != 200:
                    problems.append(f"writer {number}: {answer.status} {document}")
                    return
                mine.append(document["records"][0]["ID"])
        finally:
            connection.close()

    def read() -> None:
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=20)
        try:
            while not done.is_set():
                connection.request("GET", f"{url.path}/acd/events", headers=handle.headers)
                document = json.loads(connection.getresponse().read())
                try:
                    check_shape("list", document)  # every record complete, never half-written
                except AssertionError as err:
                    problems.append(str(err))
                    return
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in [*threads, *readers]:
        thread.start()
    for thread in threads:
        thread.join(60)
    done.set()
    for thread in readers:
        thread.join(60)

    assert problems == []
    every_id = [event_id for mine in ids.values() for event_id in mine]
    assert len(every_id) == len(set(every_id)) == writers * per_writer
    for mine in ids.values():
        assert mine == sorted(mine)  # each client sees its IDs increase
    stored = records(handle)
    assert [r["ID"] for r in stored] == sorted(every_id)
    assert [r["dtCreated"] for r in stored] == sorted(r["dtCreated"] for r in stored)
