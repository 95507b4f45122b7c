"""Ctrl-C reports what is true: events the server already had stay ``exists`` (or
``drift``) in every report; only the creates that were not sent are ``not_attempted``."""

from __future__ import annotations

import csv
import io
import signal
from collections.abc import Callable
from pathlib import Path

from tests.applying.support import (
    create_on_server,
    journal_sends,
    load_report,
    normalised,
    start_apply,
    text_of,
    wait_for,
    write_csv,
)
from tests.emulator_support import EmulatorProcess

CREATES = 8


def test_after_ctrl_c_existing_events_stay_exists_and_drift(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process("--latency-ms", "200", in_memory=True)
    # Events CREATES and CREATES+1 are on the server already, the second with another Subject.
    for number, subject in ((CREATES, f"Callback {CREATES}"), (CREATES + 1, "An older text")):
        create_on_server(
            emulator,
            {
                "AcdEventTypesID": 3,
                "AcdGroupsID": 235,
                "Sender": normalised(number),
                "Subject": subject,
                "UserData": f"U-{number}",
            },
        )
    write_csv(tmp_path / "load.csv", CREATES + 2)
    journal = tmp_path / ".acdload" / "journal.jsonl"
    stderr = tmp_path / "apply.stderr"
    process = start_apply(
        tmp_path, "load.csv", "--yes", "--report", "r.json", "--failed-csv", "failed.csv",
        "--junit", "junit.xml", handle=emulator, stderr=stderr,
    )  # fmt: skip
    try:
        assert wait_for(lambda: journal_sends(journal) >= 2, process), text_of(stderr)
        process.send_signal(signal.SIGINT)
        code = process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert code == 130, text_of(stderr)
    outcomes = [r["outcome"] for r in load_report(tmp_path / "r.json")["results"]]
    created = outcomes.count("created")
    assert 2 <= created < CREATES
    assert outcomes == [
        *["created"] * created,
        *["not_attempted"] * (CREATES - created),
        "exists",
        "drift",
    ]
    failed_rows = list(csv.DictReader(io.StringIO(text_of(tmp_path / "failed.csv"))))
    assert [r["UserData"] for r in failed_rows] == [f"U-{n}" for n in range(created, CREATES)]
    junit = text_of(tmp_path / "junit.xml")
    assert junit.count("<failure") == CREATES - created
