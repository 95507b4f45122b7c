"""Outcomes other than a plain create, how failures stop (or do not stop) a run, and the
exit codes a pipeline branches on."""

from __future__ import annotations

import csv
import io
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.applying.support import (
    create_on_server,
    ids_by_key,
    journal_sends,
    load_report,
    normalised,
    run_apply,
    sender,
    server_records,
    start_apply,
    text_of,
    wait_for,
    write_csv,
)
from tests.emulator_support import EmulatorProcess

ONLY_235 = "groups:\n  - id: 235\n"


def groups_file(tmp_path: Path, text: str = ONLY_235) -> str:
    path = tmp_path / "groups.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def row(number: int, group: int = 235, subject: str | None = None) -> dict[str, Any]:
    return {
        "AcdEventTypesID": 3,
        "AcdGroupsID": group,
        "Sender": sender(number),
        "Subject": subject or f"Callback {number}",
        "UserData": f"U-{number}",
    }


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    write_csv(path, 0, rows=rows)


def test_group_without_duplicates_merges_into_the_existing_event(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process(
        "--groups", groups_file(tmp_path, "groups:\n  - id: 235\n    no_duplicates: true\n")
    )
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
    # The manifest's event has no UserData: its key matches nothing, so the plan creates it.
    (tmp_path / "load.csv").write_text(
        f"AcdEventTypesID,AcdGroupsID,Sender,Subject\n3,235,{sender(1)},Please call back\n",
        encoding="utf-8",
    )

    done = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)

    assert done.returncode == 0, done.stderr
    assert "plan: 1 to create" in done.stderr
    [result] = load_report(tmp_path / "r.json")["results"]
    assert result["action"] == "create"
    assert result["outcome"] == "updated"
    assert result["result"] == "UPDATED"
    assert result["event_id"] == existing["ID"]
    assert [r["ID"] for r in server_records(emulator)] == [existing["ID"]]


def test_failed_csv_fixed_loads_again(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process("--groups", groups_file(tmp_path))
    rows = [row(0), row(1, 999, "=HYPERLINK(1)"), row(2), row(3, 999), row(4)]
    write_rows(tmp_path / "load.csv", rows)

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--report", "r.json", "--failed-csv", "failed.csv",
        handle=emulator,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    report = load_report(tmp_path / "r.json")
    assert [r["outcome"] for r in report["results"]] == [
        "created", "failed", "created", "failed", "created",
    ]  # fmt: skip
    for failed in (report["results"][1], report["results"][3]):
        assert failed["http_status"] == 400
        assert failed["error"].startswith("AcdGroupsID")
        assert failed["attempts"] == 1  # a 400 is not retried
    assert "failed: load.csv:3" in done.stderr

    text = (tmp_path / "failed.csv").read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["UserData"] for r in table] == ["U-1", "U-3"]
    assert table[0]["Subject"] == "'=HYPERLINK(1)"  # guarded for spreadsheets
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, list(table[0]))
        writer.writeheader()
        writer.writerows(
            {**r, "AcdGroupsID": r["AcdGroupsID"].replace("999", "235")} for r in table
        )

    again = run_apply(tmp_path, "fixed.csv", "--yes", "--report", "fixed.json", handle=emulator)

    assert again.returncode == 0, again.stderr
    assert load_report(tmp_path / "fixed.json")["summary"]["created"] == 2
    on_server = server_records(emulator)
    assert len(on_server) == 5
    assert len(ids_by_key(on_server)) == 5
    subjects = {r["UserData"]: r["Subject"] for r in on_server}
    assert subjects["U-1"] == "=HYPERLINK(1)"  # the guard was undone on reading


@pytest.mark.parametrize(
    ("options", "outcomes"),
    [
        ((), ["created", "failed", "created", "failed", "created", "failed", "created"]),
        (
            ("--max-failures", "2"),
            ["created", "failed", "created", "failed"] + ["not_attempted"] * 3,
        ),
        (("--fail-fast",), ["created", "failed"] + ["not_attempted"] * 5),
    ],
)
def test_failures_continue_or_stop_the_run(
    tmp_path: Path,
    emulator_process: Callable[..., EmulatorProcess],
    options: tuple[str, ...],
    outcomes: list[str],
) -> None:
    emulator = emulator_process("--groups", groups_file(tmp_path), in_memory=True)
    write_rows(tmp_path / "load.csv", [row(n, 999 if n % 2 else 235) for n in range(7)])

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--report", "r.json", "--failed-csv", "f.csv", *options,
        handle=emulator,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    report = load_report(tmp_path / "r.json")
    assert [r["outcome"] for r in report["results"]] == outcomes
    assert len(server_records(emulator)) == outcomes.count("created")
    failed_rows = list(csv.DictReader(io.StringIO(text_of(tmp_path / "f.csv"))))
    assert len(failed_rows) == len(outcomes) - outcomes.count("created")


def test_drift_is_reported_and_fails_only_with_fail_on_drift(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process(in_memory=True)
    drifted = create_on_server(
        emulator,
        {**row(1), "Sender": normalised(1), "Subject": "An older text"},
    )
    write_rows(tmp_path / "load.csv", [row(0), row(1)])

    done = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)
    assert done.returncode == 0, done.stderr
    results = load_report(tmp_path / "r.json")["results"]
    assert [r["outcome"] for r in results] == ["created", "drift"]
    assert results[1]["event_id"] == drifted["ID"]
    assert results[1]["attempts"] == 0

    strict = run_apply(
        tmp_path, "load.csv", "--yes", "--fail-on-drift", "--report", "r.json", handle=emulator
    )
    assert strict.returncode == 1, strict.stderr
    assert [r["outcome"] for r in load_report(tmp_path / "r.json")["results"]] == [
        "exists",
        "drift",
    ]
    assert len(server_records(emulator)) == 2


def test_without_yes_off_a_terminal_nothing_is_sent(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process(in_memory=True)
    write_csv(tmp_path / "load.csv", 2)

    done = run_apply(tmp_path, "load.csv", handle=emulator)

    assert done.returncode == 2, done.stderr
    assert "needs --yes" in done.stderr
    assert server_records(emulator) == []


def test_ctrl_c_finishes_the_request_in_flight_and_writes_the_report(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process("--latency-ms", "200", in_memory=True)
    write_csv(tmp_path / "load.csv", 12)
    journal = tmp_path / ".acdload" / "journal.jsonl"
    stderr = tmp_path / "apply.stderr"
    process = start_apply(
        tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator, stderr=stderr
    )
    try:
        # Interrupt while the third create is on its way (each takes 200 ms to answer).
        assert wait_for(lambda: journal_sends(journal) >= 3, process), text_of(stderr)
        process.send_signal(signal.SIGINT)
        code = process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert code == 130, text_of(stderr)
    assert "interrupted" in text_of(stderr)
    report = load_report(tmp_path / "r.json")
    outcomes = [r["outcome"] for r in report["results"]]
    created = outcomes.count("created")
    assert created >= 3  # the one in flight was finished and recorded
    assert outcomes == ["created"] * created + ["not_attempted"] * (12 - created)
    on_server = ids_by_key(server_records(emulator))
    assert sorted(i for ids in on_server.values() for i in ids) == sorted(
        r["event_id"] for r in report["results"] if r["outcome"] == "created"
    )

    resumed = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)
    assert resumed.returncode == 0, resumed.stderr
    assert load_report(tmp_path / "r.json")["summary"]["created"] == 12


def test_a_second_apply_on_the_same_state_is_refused(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process("--latency-ms", "200", in_memory=True)
    write_csv(tmp_path / "load.csv", 20)
    journal = tmp_path / ".acdload" / "journal.jsonl"
    stderr = tmp_path / "first.stderr"
    first = start_apply(
        tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator, stderr=stderr
    )
    try:
        assert wait_for(lambda: journal_sends(journal) >= 1, first), text_of(stderr)

        second = run_apply(tmp_path, "load.csv", "--yes", "--report", "r2.json", handle=emulator)

        assert second.returncode == 1, second.stderr
        assert f"another apply is running on this state: pid {first.pid} on " in second.stderr
        assert ".acdload/apply-" in second.stderr  # the target's lock in the state directory
        assert not (tmp_path / "r2.json").exists()
    finally:
        first.send_signal(signal.SIGINT)
        assert first.wait(30) == 130, text_of(stderr)
    report = load_report(tmp_path / "r.json")
    created = report["summary"]["created"]
    assert len(server_records(emulator)) == created  # nothing from the refused run
