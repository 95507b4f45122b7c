"""`updated` is idempotent: a create the server merged into an existing event (a group that
forbids duplicates answers ``Result_: UPDATED``) is never sent again, and an UPDATED answer
that names some other event is not taken for success."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

from tests.applying.support import (
    create_on_server,
    load_report,
    normalised,
    run_apply,
    sender,
    server_records,
)
from tests.emulator_support import EmulatorProcess
from tests.hostile.server import EVENT_TYPES, HostileServer, Request, list_answer, send_json

NO_DUPLICATES = "groups:\n  - id: 235\n    no_duplicates: true\n"
OLD_JOURNAL = Path(__file__).parent / "journals" / "before-issue-10.jsonl"
"""Written by acdload before this change: a finished run that merged the first event of
the load below into event 1 and created the second as event 2."""


def _merging_emulator(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> tuple[EmulatorProcess, int]:
    """An emulator whose group 235 forbids duplicates, holding one open callback from
    sender 1; a manifest event from that sender without UserData matches no key, so the
    plan creates it and the server merges it into the open event."""
    groups = tmp_path / "groups.yaml"
    groups.write_text(NO_DUPLICATES, encoding="utf-8")
    emulator = emulator_process("--groups", str(groups))
    existing = create_on_server(
        emulator,
        {
            "AcdEventTypesID": 3,
            "AcdGroupsID": 235,
            "Sender": normalised(1),
            "Subject": "Callback from last week",
            "UserData": "OLD-1",
        },
    )
    (tmp_path / "load.csv").write_text(
        f"AcdEventTypesID,AcdGroupsID,Sender,Subject\n3,235,{sender(1)},Please call back\n",
        encoding="utf-8",
    )
    return emulator, existing["ID"]


def test_a_merged_create_is_never_sent_again(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator, existing = _merging_emulator(tmp_path, emulator_process)
    first = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)
    assert first.returncode == 0, first.stderr
    assert load_report(tmp_path / "r.json")["results"][0]["outcome"] == "updated"

    # The first run finished: what it merged must be remembered all the same, run after run.
    for _ in range(2):
        again = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)

        assert again.returncode == 0, again.stderr
        [result] = load_report(tmp_path / "r.json")["results"]
        assert result["outcome"] == "exists", result
        assert result["event_id"] == existing
        assert result["attempts"] == 0
        assert f"merged into event {existing}" in result["error"]
        assert f"merged into event {existing}" in again.stderr
    [record] = server_records(emulator)
    assert record["ID"] == existing
    assert record["EventData"].count("<comment ") == 1  # one merge, no comment per run


def test_a_merge_recorded_by_the_previous_version_is_never_sent_again(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator, existing = _merging_emulator(tmp_path, emulator_process)
    second = {"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": normalised(2)}
    created = create_on_server(emulator, {**second, "Subject": "Second", "UserData": "U-2"})
    assert (existing, created["ID"]) == (1, 2)  # the IDs the old journal names
    (tmp_path / "load.csv").write_text(
        "AcdEventTypesID,AcdGroupsID,Sender,Subject,UserData\n"
        f"3,235,{sender(1)},Please call back,\n3,235,{sender(2)},Second,U-2\n",
        encoding="utf-8",
    )
    journal = tmp_path / ".acdload" / "journal.jsonl"
    journal.parent.mkdir()
    journal.write_text(
        OLD_JOURNAL.read_text(encoding="utf-8").replace("$TARGET", json.dumps(emulator.base_url)),
        encoding="utf-8",
    )

    done = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)

    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    results = load_report(tmp_path / "r.json")["results"]
    assert [(r["outcome"], r["event_id"], r["attempts"]) for r in results] == [
        ("exists", 1, 0),
        ("exists", 2, 0),
    ]
    assert "merged into event 1" in results[0]["error"]
    assert [r["ID"] for r in server_records(emulator)] == [1, 2]


def _record(body: dict[str, object], **changes: object) -> dict[str, object]:
    return {**body, "ID": 4711, "Result_": "UPDATED", **changes}


def test_an_updated_answer_for_another_event_is_failed(tmp_path: Path) -> None:
    """A server (or a proxy) that answers UPDATED with an event of another type, group or
    sender has not stored this event: reporting it as done would lose it."""

    def respond(request: Request, conn: socket.socket) -> None:
        if request.path == "/acd/events/types":
            send_json(conn, 200, EVENT_TYPES)
        elif request.path == "/acd/events":
            send_json(conn, 200, list_answer([]))
        else:
            body = request.json()
            other = {"Sender": "4930999999"} if body["Subject"] == "first" else {"AcdGroupsID": 7}
            send_json(conn, 200, {"records": [_record(body, **other)], "count": 1, "status": 200})

    (tmp_path / "load.csv").write_text(
        "AcdEventTypesID,AcdGroupsID,Sender,Subject,UserData\n"
        f"3,235,{sender(1)},first,U-1\n3,235,{sender(2)},second,U-2\n",
        encoding="utf-8",
    )
    with HostileServer(respond) as server:
        done = run_apply(
            tmp_path, "load.csv", "--yes", "--report", "r.json", "--base-url", server.base_url,
            token="secret",
        )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    results = load_report(tmp_path / "r.json")["results"]
    assert [r["outcome"] for r in results] == ["failed", "failed"]
    for result, field in zip(results, ("Sender", "AcdGroupsID"), strict=True):
        assert result["event_id"] is None
        assert result["result"] == "UPDATED"
        assert "event 4711" in result["error"]
        assert field in result["error"]
    assert "failed: load.csv:2" in done.stderr
