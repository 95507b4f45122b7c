"""SIGKILL at every phase of a create and at random moments, then the same command again.

Each time: exactly one server event per key, and the final report shows every event as
``created`` with the ID the server holds for its key, including the events that the
killed runs created (the journal tells them apart from events that were there before).
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.applying.failpoint import FAILPOINT_ENV
from tests.applying.support import (
    assert_created_exactly_once,
    ids_by_key,
    journal_sends,
    load_report,
    run_apply,
    server_records,
    start_apply,
    text_of,
    wait_for,
    write_csv,
)
from tests.emulator_support import EmulatorProcess

KILLED = -signal.SIGKILL
ARGS = ("load.csv", "--yes", "--timeout", "0.5", "--report", "report.json")


@pytest.mark.parametrize(
    ("phase", "latency_ms", "on_server"),
    [
        ("before-send", "0", 3),  # killed before its 4th request: 3 events made
        ("in-flight", "300", 4),  # the 4th request reached the server, its answer did not
        ("after-answer", "0", 4),  # answered, killed before the journal recorded it
    ],
)
def test_killed_at_a_phase_then_run_again(
    tmp_path: Path,
    emulator_process: Callable[..., EmulatorProcess],
    phase: str,
    latency_ms: str,
    on_server: int,
) -> None:
    emulator = emulator_process("--latency-ms", latency_ms, in_memory=True)
    write_csv(tmp_path / "load.csv", 8)

    killed = run_apply(tmp_path, *ARGS, handle=emulator, **{FAILPOINT_ENV: f"{phase}:4"})
    assert killed.returncode == KILLED, killed.stderr
    assert not (tmp_path / "report.json").exists()
    if phase == "in-flight":  # the server answers 300 ms after storing: wait for that
        assert wait_for(lambda: len(server_records(emulator)) == on_server, timeout=5)
    assert len(server_records(emulator)) == on_server

    again = run_apply(tmp_path, *ARGS, handle=emulator)

    assert again.returncode == 0, again.stderr
    report = load_report(tmp_path / "report.json")
    assert_created_exactly_once(emulator, report, 8)
    assert [r["action"] for r in report["results"]] == ["exists"] * on_server + ["create"] * (
        8 - on_server
    )
    # A third run finds a finished load: nothing to do, everything exists.
    third = run_apply(tmp_path, *ARGS, handle=emulator)
    assert third.returncode == 0, third.stderr
    assert load_report(tmp_path / "report.json")["summary"]["exists"] == 8


def test_killed_again_while_resuming(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    """A resumed run killed too: the next one still knows what both killed runs made."""
    emulator = emulator_process(in_memory=True)
    write_csv(tmp_path / "load.csv", 9)
    for point in ("after-answer:3", "before-send:2", "after-answer:1"):
        killed = run_apply(tmp_path, *ARGS, handle=emulator, **{FAILPOINT_ENV: point})
        assert killed.returncode == KILLED, killed.stderr
    assert len(server_records(emulator)) == 5

    final = run_apply(tmp_path, *ARGS, handle=emulator)

    assert final.returncode == 0, final.stderr
    assert_created_exactly_once(emulator, load_report(tmp_path / "report.json"), 9)


@pytest.mark.slow
def test_killed_at_random_moments(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process("--latency-ms", "10", in_memory=True)
    write_csv(tmp_path / "load.csv", 800)
    rng = random.Random(20240605)
    kills = progressed = created = 0
    for attempt in range(30):
        stderr = tmp_path / f"run-{attempt}.stderr"
        process = start_apply(tmp_path, *ARGS, handle=emulator, stderr=stderr)
        try:
            # Kill while it sends: after the plan is shown, 0.05 to 0.4 s into the run.
            started = wait_for(lambda: "plan:" in text_of(stderr), process)  # noqa: B023
            assert started, text_of(stderr)
            try:
                process.wait(rng.uniform(0.05, 0.4))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
        finally:
            code = process.wait(30)
        if code != KILLED:
            assert code == 0, text_of(stderr)
            break  # the load completed before the kill came
        kills += 1
        on_server = ids_by_key(server_records(emulator))
        duplicated = {k: v for k, v in on_server.items() if len(v) > 1}
        assert not duplicated, f"after kill {kills}: {duplicated}"
        progressed += len(on_server) > created
        created = len(on_server)
        if kills == 22:
            break
    assert kills >= 20
    assert progressed >= 10  # most runs were killed while creating, and each resumed
    assert created < 800  # the kills cut the load short

    final = run_apply(tmp_path, *ARGS, handle=emulator)

    assert final.returncode == 0, final.stderr
    assert_created_exactly_once(emulator, load_report(tmp_path / "report.json"), 800)


def test_killed_while_the_server_still_holds_the_create(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    """The killed run's request commits after the next run has planned: it is waited for.

    The server holds the create 1.5 s before storing it; the next run starts at once, so
    its plan does not see the event yet. The journal says the create was sent without an
    answer, so the new run waits (timeout plus settle wait after that send) and looks the
    key up before sending it again.
    """
    emulator = emulator_process("--late-commit-rate", "1", "--late-commit-ms", "1500")
    write_csv(tmp_path / "load.csv", 1)
    args = ("load.csv", "--yes", "--timeout", "1", "--report", "report.json")

    killed = run_apply(tmp_path, *args, handle=emulator, **{FAILPOINT_ENV: "in-flight:1"})
    assert killed.returncode == KILLED, killed.stderr

    again = run_apply(tmp_path, *args, handle=emulator)

    assert again.returncode == 0, again.stderr
    report = load_report(tmp_path / "report.json")
    assert report["results"][0]["action"] == "create"  # planned before the commit landed
    assert report["results"][0]["attempts"] == 0  # found by key: not sent again
    assert_created_exactly_once(emulator, report, 1)


def test_waiting_for_an_unanswered_create_does_not_restart_its_clock(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    """A run killed while it waits for a killed run's unanswered create sends nothing, and
    the journal keeps the time of the last real send: the next run does not wait anew."""
    emulator = emulator_process(in_memory=True)
    write_csv(tmp_path / "load.csv", 2)
    args = ("load.csv", "--yes", "--timeout", "1", "--report", "report.json")
    journal = tmp_path / ".acdload" / "journal.jsonl"

    killed = run_apply(tmp_path, *args, handle=emulator, **{FAILPOINT_ENV: "before-send:1"})
    assert killed.returncode == KILLED
    assert journal_sends(journal) == 1

    # The next run waits up to 2.5 s after that send before it looks the key up: kill it
    # while it waits.
    stderr = tmp_path / "waiting.stderr"
    waiting = start_apply(tmp_path, *args, handle=emulator, stderr=stderr)
    try:
        assert wait_for(lambda: "plan:" in text_of(stderr), waiting), text_of(stderr)
        time.sleep(0.2)
        assert waiting.poll() is None, text_of(stderr)
        waiting.send_signal(signal.SIGKILL)
    finally:
        assert waiting.wait(30) == KILLED
    assert journal_sends(journal) == 1  # nothing was sent, so no new "sent" line
    assert server_records(emulator) == []

    final = run_apply(tmp_path, *args, handle=emulator)

    assert final.returncode == 0, final.stderr
    report = load_report(tmp_path / "report.json")
    assert [r["attempts"] for r in report["results"]] == [1, 1]
    assert_created_exactly_once(emulator, report, 2)
