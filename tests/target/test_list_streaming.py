"""The event list is read as it streams in: memory follows the load, not the account.

Plan and apply read ``GET /acd/events`` (every event the account has, no paging) with
ijson, keep of each record only what matching needs, and only for the keys of the load.
These tests run the real client and CLI against the emulator serving seeded accounts, and
against a scripted server for what the emulator does not do (a body cut half-way, a slow
list); a slow read shows progress, on a terminal and in a CI log.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from acdload.cli import list_progress
from acdload.emulator.seeding import seed_events
from acdload.planning.records import RECORD_FIELDS, RecordIndex
from acdload.target.client import JtelClient
from tests.applying.support import environment, write_csv
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator
from tests.hostile.jtel_script import LIST, JtelScript, invoke_acdload, run_acdload
from tests.hostile.server import Request, list_answer
from tests.planning.fakes import prepared

Factory = Callable[..., RunningEmulator]
KEY = ("AcdEventTypesID", "Sender", "UserData")
FIELDS = (
    "AcdEventTypesID",
    "AcdGroupsID",
    "Sender",
    "Receiver",
    "Subject",
    "Body",
    "CrmURL",
    "UserData",
    "UsersID",
)


def seeded_account(tmp_path: Path, factory: Factory, count: int) -> tuple[RunningEmulator, Path]:
    db = tmp_path / "account.sqlite3"
    assert seed_events(db, count, seed=3) == count
    return factory(db=db), db


def held_payloads(db: Path, every: int) -> list[dict[str, Any]]:
    """The create bodies of every ``every``-th seeded event: events the account holds."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT request FROM events WHERE id % ? = 0 ORDER BY id", (every,)
        ).fetchall()
    return [json.loads(request) for (request,) in rows]


def write_load(path: Path, payloads: list[dict[str, Any]]) -> Path:
    """A standalone CSV manifest of ``payloads``."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(payloads)
    return path


def test_only_the_records_of_the_loads_keys_are_kept(
    tmp_path: Path, emulator_factory: Factory
) -> None:
    emulator, db = seeded_account(tmp_path, emulator_factory, 3000)
    held = held_payloads(db, 100)  # 30 events the account holds
    new = [{**held[0], "UserData": "NEW-1"}]
    load = prepared(held + new, key=KEY)

    with JtelClient(emulator.base_url, emulator.token) as client:
        index = client.list_events(lambda: RecordIndex.of_load(load))

    assert index.count == 3000
    kept = list(index.by_key.values())
    assert len(kept) == len({(p["AcdEventTypesID"], p["Sender"], p["UserData"]) for p in held})
    allowed = {"ID", "EventData", "AcdEventStatusID", *RECORD_FIELDS}  # the status: already-open
    assert all(set(record) <= allowed for record in kept)
    assert all("dtCreated" not in record for record in kept)
    assert index.match(new[0]) is None


LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
child.returncode = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as peak:
    peak.write(str(usage.ru_maxrss))
sys.exit(child.returncode)
"""


def peak_mb_of(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, float, str]:
    """Run ``command``: its exit code, peak resident memory in MB (Linux), and stdout.

    Started by a small launcher: a child's ``ru_maxrss`` counts what it shared with its
    parent before ``exec``, and this test process is large by the end of a suite.
    """
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(cwd / "peak.txt"), *command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, int((cwd / "peak.txt").read_text()) / 1024, done.stdout


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KB is Linux's")
def test_plan_of_a_large_account_does_not_hold_the_list(
    tmp_path: Path, emulator_factory: Factory
) -> None:
    """40,000 server events, a 44 MB list: parsed whole, plan peaked at 200 MB."""
    emulator, db = seeded_account(tmp_path, emulator_factory, 40_000)
    held = held_payloads(db, 400)
    write_load(tmp_path / "load.csv", [*held, {**held[0], "UserData": "NEW-1"}])

    code, peak_mb, out = peak_mb_of(
        [sys.executable, "-m", "acdload", "plan", "load.csv", "--base-url", emulator.base_url,
         "--format", "json", "--out", "plan.json"],
        tmp_path, environment(emulator),
    )  # fmt: skip

    assert code == 0
    assert json.loads(out)["summary"] == {
        "create": 1,
        "exists": len(held),
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    saved = json.loads((tmp_path / "plan.json").read_text("utf-8"))
    assert saved["records"]["count"] == 40_000
    assert peak_mb < 110, f"plan peaked at {peak_mb:.0f} MB reading a 44 MB list"


def test_drift_still_shows_the_servers_values(tmp_path: Path, emulator_factory: Factory) -> None:
    emulator, db = seeded_account(tmp_path, emulator_factory, 2000)
    held = held_payloads(db, 500)
    server_subject = held[1]["Subject"]
    held[1] = {**held[1], "Subject": "Changed in the manifest"}
    write_load(tmp_path / "load.csv", held)

    run = run_acdload(
        tmp_path, "plan", "load.csv", "--base-url", emulator.base_url, "--format", "json",
        token=emulator.token,
    )  # fmt: skip

    assert run.returncode == 0, run.output
    actions = json.loads(run.stdout)["actions"]
    assert [a["action"] for a in actions] == ["exists", "drift", "exists", "exists"]
    assert actions[1]["changes"] == {"Subject": [server_subject, "Changed in the manifest"]}
    assert actions[1]["event_id"] == 1000


def callbacks(count: int) -> list[dict[str, Any]]:
    """The records the scripted server holds (about 500 bytes each); the first of them are
    U-0, U-1... of the load."""
    return [
        {
            "ID": 100 + n,
            "AcdEventTypesID": 3,
            "AcdGroupsID": 235,
            "Sender": f"49170{1000000 + n}",
            "Subject": f"Callback {n}",
            "UserData": f"U-{n}",
            "EventData": "<eventData><body html='true'></body></eventData>",
            "Notes": "x" * 360,
        }
        for n in range(count)
    ]


def head(length: int) -> bytes:
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def test_a_list_cut_half_way_is_read_again_from_nothing(tmp_path: Path) -> None:
    """The first answer breaks off after half its body; the retry counts every event once."""
    write_csv(tmp_path / "load.csv", 3)
    script = JtelScript()
    script.events.extend(callbacks(400))
    body = json.dumps(list_answer(script.events)).encode()

    def cut(request: Request, conn: Any) -> None:
        conn.sendall(head(len(body)) + body[: len(body) // 2])

    with script.then(LIST, cut) as server:
        run = run_acdload(
            tmp_path, "plan", "load.csv", "--base-url", server.base_url, "--out", "plan.json",
            "--format", "json",
        )  # fmt: skip

    assert run.returncode == 0, run.output
    assert len(server.sent(LIST)) == 2
    assert json.loads(run.stdout)["summary"] == {
        "create": 0,
        "exists": 3,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    saved = json.loads((tmp_path / "plan.json").read_text("utf-8"))
    assert saved["records"]["count"] == 400


def slow_list(records: list[dict[str, Any]], seconds: float) -> Callable[[Request, Any], None]:
    """An answer whose body arrives in 20 pieces over ``seconds`` (the client reads the
    list 64 KB at a time: a piece should be about that)."""
    body = json.dumps(list_answer(records)).encode()

    def answer(request: Request, conn: Any) -> None:
        conn.sendall(head(len(body)))
        step = len(body) // 20 + 1
        for start in range(0, len(body), step):
            time.sleep(seconds / 20)
            conn.sendall(body[start : start + step])

    return answer


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_slow_list_read_shows_progress_lines_off_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli, command: str
) -> None:
    monkeypatch.setattr(list_progress, "PROGRESS_EVERY", 0.3)
    write_csv(tmp_path / "load.csv", 3)
    script = JtelScript()
    script.events.extend(callbacks(2600))

    with script.then(LIST, slow_list(script.events, 1.5)) as server:
        run = invoke_acdload(
            cli, tmp_path, command, "load.csv", "--base-url", server.base_url,
            *(["--yes"] if command == "apply" else []),
        )  # fmt: skip

    assert run.returncode == 0, run.output
    lines = run.stderr.splitlines()
    reading = [line for line in lines if line.startswith("progress: reading the server's events: ")]
    assert len(reading) >= 2, run.stderr
    assert reading[-1].endswith("s") and " MB in " in reading[-1]
    last = [line for line in lines if line.startswith("progress: read the server's events: ")]
    assert len(last) == 1 and last[0].startswith("progress: read the server's events: 2,600 events")
    assert "\r" not in run.stderr and "\x1b" not in run.stderr  # plain lines in a log


def test_a_quick_list_read_shows_no_progress(tmp_path: Path, emulator: RunningEmulator) -> None:
    write_csv(tmp_path / "load.csv", 3)
    run = run_acdload(
        tmp_path, "plan", "load.csv", "--base-url", emulator.base_url, token=emulator.token
    )
    assert run.returncode == 0, run.output
    assert "progress" not in run.stderr


def test_on_a_terminal_the_progress_line_is_redrawn_then_ended(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 3)
    script = JtelScript()
    script.events.extend(callbacks(2600))
    leader, follower = pty.openpty()

    with script.then(LIST, slow_list(script.events, 2.5)) as server:
        done = subprocess.run(
            [sys.executable, "-m", "acdload", "plan", "load.csv", "--base-url", server.base_url],
            cwd=tmp_path, env=environment(token="tok"), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=follower, timeout=60, check=False,
        )  # fmt: skip
    os.close(follower)
    shown = b""
    while True:
        try:
            piece = os.read(leader, 65536)
        except OSError:  # the terminal is closed and read out
            break
        if not piece:
            break
        shown += piece
    os.close(leader)

    assert done.returncode == 0
    text = shown.decode("utf-8")
    redraws = text.count("\r\x1b[Kprogress: reading the server's events: ")
    assert redraws >= 3, text
    assert "\r\x1b[Kprogress: read the server's events: 2,600 events" in text
    assert text.endswith("s\r\n")  # the line is ended: what follows starts on its own
