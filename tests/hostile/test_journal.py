"""A damaged, tampered or unwritable journal, and the lock two applies share.

Each file of ``journal_lines/`` is one attack: its first line (``# reason``) is what the
warning must say, the rest is a damaged line put into the journal of an unfinished run
(``$TARGET``, ``$RUN`` and ``$KEY0``, the key of the load's first event, are filled in).
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from acdload.applying.journal import key_text
from tests.applying.support import (
    assert_created_exactly_once,
    command,
    environment,
    journal_sends,
    load_report,
    normalised,
    run_apply,
    server_records,
    start_apply,
    text_of,
    wait_for,
    write_csv,
)
from tests.emulator_support import EmulatorHandle, EmulatorProcess, RunningEmulator

CASES = sorted((Path(__file__).parent / "journal_lines").glob("*.jsonl"))
JOURNAL = Path(".acdload") / "journal.jsonl"
RUN = "0123456789abcdef0123456789abcdef"
LOAD = 3


def _key0() -> str:
    return key_text({"AcdEventTypesID": 3, "Sender": normalised(0), "UserData": "U-0"})


def _unfinished_run(target: str) -> bytes:
    start = {"kind": "start", "at": 0, "pid": 1, "run": RUN, "target": target}
    return (json.dumps(start) + "\n").encode()


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_a_damaged_line_is_skipped_with_a_warning(
    tmp_path: Path, emulator: RunningEmulator, case: Path
) -> None:
    reason, _, line = case.read_bytes().partition(b"\n")
    for name, value in (
        (b"$TARGET", emulator.base_url),
        (b"$RUN", RUN),
        (b"$KEY0", _key0()),
    ):
        line = line.replace(name, json.dumps(value).encode())
    journal = tmp_path / JOURNAL
    journal.parent.mkdir()
    journal.write_bytes(_unfinished_run(emulator.base_url) + line)
    write_csv(tmp_path / "load.csv", LOAD)

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--timeout", "1", "--report", "r.json", handle=emulator,
        timeout=60,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    expected = reason.decode().removeprefix("# ")
    assert f"warning: {JOURNAL}:2: {expected}" in done.stderr
    assert_created_exactly_once(emulator, load_report(tmp_path / "r.json"), LOAD)


def test_a_send_time_in_the_future_waits_no_longer_than_an_unanswered_create(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """A journal saying the first event was sent (no answer) in the year 33658 must not make
    apply wait for that request until then."""
    sent = {"kind": "sent", "index": 0, "key": _key0(), "at": 1e12, "run": RUN}
    journal = tmp_path / JOURNAL
    journal.parent.mkdir()
    journal.write_bytes(
        _unfinished_run(emulator.base_url)
        + (json.dumps({**sent, "target": emulator.base_url}) + "\n").encode()
    )
    write_csv(tmp_path / "load.csv", LOAD)

    started = time.monotonic()
    done = run_apply(
        tmp_path, "load.csv", "--yes", "--timeout", "0.5", "--report", "r.json", handle=emulator,
        timeout=60,
    )  # fmt: skip

    assert time.monotonic() - started < 20
    assert done.returncode == 0, done.stderr
    assert_created_exactly_once(emulator, load_report(tmp_path / "r.json"), LOAD)


def test_a_journal_that_cannot_be_created_stops_before_anything_is_sent(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    (tmp_path / "cache").write_text("a file where a directory should be\n", encoding="utf-8")
    write_csv(tmp_path / "load.csv", LOAD)

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--journal", "cache/journal.jsonl", handle=emulator
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error: cannot write the journal cache/journal.jsonl" in done.stderr
    assert "hint: " in done.stderr
    assert server_records(emulator) == []


def _apply_with_file_size_limit(
    cwd: Path, limit: int, handle: EmulatorHandle
) -> subprocess.CompletedProcess[str]:
    """``acdload apply`` whose files may not grow beyond ``limit`` bytes: a disk that fills
    up while the run goes on (Python ignores SIGXFSZ, so a write fails with EFBIG)."""

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        command("load.csv", "--yes", "--timeout", "0.5", "--base-url", handle.base_url),
        cwd=cwd,
        env=environment(handle),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=limit_file_size,
    )


def _complete_sent_keys(journal: Path) -> set[str]:
    keys = set()
    for line in journal.read_bytes().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("kind") == "sent":
            keys.add(entry["key"])
    return keys


# A line is about 220 bytes, the run's first about 140: the disk fills up on the first
# event's `done` (450), or on the `sent` of the second, third and fourth (700, 1100, 1500).
@pytest.mark.parametrize("limit", [450, 700, 1100, 1500])
def test_a_full_disk_stops_the_run_and_never_sends_what_the_journal_lacks(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess], limit: int
) -> None:
    emulator = emulator_process(in_memory=True)
    count = 8
    write_csv(tmp_path / "load.csv", count)

    full = _apply_with_file_size_limit(tmp_path, limit, emulator)

    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr
    assert f"error: cannot write the journal {JOURNAL}: File too large" in full.stderr
    on_server = server_records(emulator)
    assert 0 < len(on_server) < count
    recorded = _complete_sent_keys(tmp_path / JOURNAL)
    for record in on_server:
        key = {"AcdEventTypesID": 3, "Sender": record["Sender"], "UserData": record["UserData"]}
        assert key_text(key) in recorded, f"sent without a journal line: {record}"

    again = run_apply(
        tmp_path, "load.csv", "--yes", "--timeout", "0.5", "--report", "r.json", handle=emulator
    )
    assert again.returncode == 0, again.stderr
    assert_created_exactly_once(emulator, load_report(tmp_path / "r.json"), count)


def test_two_applies_to_one_target_never_run_at_once_whatever_the_journal(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process("--latency-ms", "200", in_memory=True)
    other = emulator_process(in_memory=True)
    write_csv(tmp_path / "load.csv", 20)
    stderr = tmp_path / "first.stderr"
    first = start_apply(
        tmp_path, "load.csv", "--yes", "--journal", "first.jsonl", handle=emulator, stderr=stderr
    )
    try:
        assert wait_for(lambda: journal_sends(tmp_path / "first.jsonl") >= 1, first), text_of(
            stderr
        )

        second = run_apply(
            tmp_path, "load.csv", "--yes", "--journal", "second.jsonl", "--report", "r2.json",
            handle=emulator,
        )  # fmt: skip
        elsewhere = run_apply(
            tmp_path, "load.csv", "--yes", "--journal", "second.jsonl", "--report", "r3.json",
            handle=other,
        )  # fmt: skip

        assert second.returncode == 1, second.stderr
        assert f"another apply is running on this state: pid {first.pid} on " in second.stderr
        assert f"{Path('.acdload') / 'apply-'}" in second.stderr
        assert not (tmp_path / "r2.json").exists()
        # Another target from the same directory is not held up by the lock.
        assert elsewhere.returncode == 0, elsewhere.stderr
        assert load_report(tmp_path / "r3.json")["summary"]["created"] == 20
    finally:
        first.send_signal(signal.SIGINT)
        assert first.wait(30) == 130, text_of(stderr)
    # The refused run wrote nothing for its target, and sent nothing.
    assert emulator.base_url not in text_of(tmp_path / "second.jsonl")
    assert len(server_records(emulator)) == text_of(tmp_path / "first.jsonl").count('"done"')
