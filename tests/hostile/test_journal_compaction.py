"""Compaction of the journal, attacked: SIGKILL at every step of the rewrite, files planted
where it writes, a journal behind a link or that is no file at all, a tampered journal.
Whatever happens, the next run sends nothing twice and never merges a key again."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from acdload.applying.journal import key_text
from acdload.applying.journal_compaction import compact
from tests.applying.support import (
    create_on_server,
    environment,
    load_report,
    normalised,
    run_apply,
    sender,
    server_records,
    write_csv,
)
from tests.emulator_support import RunningEmulator

JOURNAL = Path(".acdload") / "journal.jsonl"
TEMPORARY = ".journal.jsonl.compacting"
NO_DUPLICATES = "groups:\n  - id: 235\n    no_duplicates: true\n"


def _merging_load(tmp_path: Path, factory: Callable[..., RunningEmulator]) -> RunningEmulator:
    """An emulator whose group 235 forbids duplicates, holding an open callback from sender
    1, and a load of four events: the first (sender 1, no UserData) is merged into that
    callback (``updated``: only the journal remembers it), the other three are created."""
    groups = tmp_path / "groups.yaml"
    groups.write_text(NO_DUPLICATES, encoding="utf-8")
    emulator = factory(groups=groups)
    create_on_server(
        emulator, {"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": normalised(1),
                   "Subject": "Last week's callback", "UserData": "OLD-1"},
    )  # fmt: skip
    write_csv(
        tmp_path / "load.csv",
        0,
        rows=[{"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": sender(1),
               "Subject": "Please call back", "UserData": ""}]
        + [{"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": sender(n),
            "Subject": f"Callback {n}", "UserData": f"U-{n}"} for n in (2, 3, 4)],
    )  # fmt: skip
    return emulator


def _assert_nothing_sent_twice(tmp_path: Path, emulator: RunningEmulator) -> None:
    """Apply the load again: every event exists, the merged one as merged; nothing is sent."""
    again = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)

    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    results = load_report(tmp_path / "r.json")["results"]
    assert [(r["outcome"], r["attempts"]) for r in results] == [("exists", 0)] * 4
    assert "merged into event 1" in results[0]["error"]
    records = server_records(emulator)
    assert [r["ID"] for r in records] == [1, 2, 3, 4]
    assert records[0]["EventData"].count("<comment ") == 1  # merged once, never again


def _merge_line_only(journal: Path) -> bool:
    lines = journal.read_text(encoding="utf-8").splitlines()
    return len(lines) == 1 and json.loads(lines[0])["outcome"] == "updated"


@pytest.mark.parametrize(
    ("event", "suffix", "replaced"),
    [
        ("os.remove", f"/{TEMPORARY}", False),  # read, nothing written yet
        ("os.rename", f"/{TEMPORARY}", False),  # written and flushed, not renamed
        ("open", "/.acdload", True),  # renamed, its directory not yet flushed
    ],
    ids=["before-writing", "before-renaming", "after-renaming"],
)
def test_killed_while_compacting_then_run_again(
    tmp_path: Path,
    emulator_factory: Callable[..., RunningEmulator],
    event: str,
    suffix: str,
    replaced: bool,
) -> None:
    emulator = _merging_load(tmp_path, emulator_factory)
    killed = subprocess.run(
        [sys.executable, "-m", "tests.hostile.kill_on_audit", event, suffix,
         "apply", "load.csv", "--yes", "--base-url", emulator.base_url],
        cwd=tmp_path, env=environment(emulator), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    journal = tmp_path / JOURNAL
    assert _merge_line_only(journal) is replaced
    assert '"kind":"end"' in journal.read_text(encoding="utf-8") or replaced
    assert (journal.parent / TEMPORARY).exists() is (event == "os.rename")

    _assert_nothing_sent_twice(tmp_path, emulator)
    assert _merge_line_only(journal)  # compacted now
    assert not (journal.parent / TEMPORARY).exists()


def _plant_link(path: Path) -> None:
    path.symlink_to(path.parent.parent / "victim.txt")


def _plant_half_written(path: Path) -> None:
    path.write_bytes(b'{"kind":"start","run":"forged","target":null}\n{"kind":"se')


def _plant_directory(path: Path) -> None:
    path.mkdir()
    (path / "file").write_text("in the way\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("plant", "compacted"),
    [(_plant_link, True), (_plant_half_written, True), (_plant_directory, False)],
    ids=["a-link-to-another-file", "a-half-written-compaction", "a-directory"],
)
def test_what_lies_where_compaction_writes_is_never_followed_nor_read(
    tmp_path: Path,
    emulator_factory: Callable[..., RunningEmulator],
    plant: Callable[[Path], None],
    compacted: bool,
) -> None:
    emulator = _merging_load(tmp_path, emulator_factory)
    victim = tmp_path / "victim.txt"
    victim.write_text("not the journal's\n", encoding="utf-8")
    (tmp_path / ".acdload").mkdir()
    planted = tmp_path / ".acdload" / TEMPORARY
    plant(planted)

    done = run_apply(tmp_path, "load.csv", "--yes", handle=emulator)

    assert done.returncode == 0, done.stderr
    assert victim.read_text(encoding="utf-8") == "not the journal's\n"
    assert _merge_line_only(tmp_path / JOURNAL) is compacted
    if compacted:
        assert not planted.exists() and not planted.is_symlink()
    else:
        assert (
            f"warning: cannot compact the journal {JOURNAL}: {planted.resolve()}: Is a directory; "
            "nothing is lost: it keeps the history of finished runs" in done.stderr
        )
    _assert_nothing_sent_twice(tmp_path, emulator)


def test_a_journal_behind_a_link_is_compacted_where_it_lies(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """``--journal`` naming a link (to a CI cache, say): the link stays a link."""
    (tmp_path / "cache").mkdir()
    real = tmp_path / "cache" / "journal.jsonl"
    real.write_text("", encoding="utf-8")
    (tmp_path / "journal.jsonl").symlink_to(real)
    write_csv(tmp_path / "load.csv", 3)

    done = run_apply(tmp_path, "load.csv", "--yes", "--journal", "journal.jsonl", handle=emulator)

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "journal.jsonl").is_symlink()
    assert real.read_bytes() == b""
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["journal.jsonl"]


def test_a_journal_that_is_no_regular_file_is_never_replaced(tmp_path: Path) -> None:
    """``--journal /dev/null`` run as root must leave the device alone: a FIFO stands in."""
    fifo = tmp_path / "journal.jsonl"
    os.mkfifo(fifo)

    assert compact(fifo) is None
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert list(tmp_path.iterdir()) == [fifo]


def test_a_done_line_without_its_sent_is_looked_up_not_a_traceback(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """A tampered journal: an unfinished run says it created the first event, with no ID
    and no ``sent`` line before. Apply looks the key up, then sends it once."""
    key = key_text({"AcdEventTypesID": 3, "Sender": normalised(0), "UserData": "U-0"})
    common = {"run": "e" * 32, "target": emulator.base_url}
    journal = tmp_path / JOURNAL
    journal.parent.mkdir()
    journal.write_text(
        json.dumps({"kind": "start", **common}) + "\n"
        + json.dumps({"kind": "done", "index": 0, "key": key, "outcome": "created",
                      "event_id": None, **common}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    write_csv(tmp_path / "load.csv", 2)

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--timeout", "0.5", "--report", "r.json", handle=emulator
    )

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert [r["UserData"] for r in server_records(emulator)] == ["U-0", "U-1"]
    assert [r["attempts"] for r in load_report(tmp_path / "r.json")["results"]] == [1, 1]


def test_damaged_lines_outlive_compaction_and_are_still_reported(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """Whose a damaged line is cannot be told: compaction keeps it where it was."""
    journal = tmp_path / JOURNAL
    journal.parent.mkdir()
    journal.write_bytes(b'{"kind":"sent","ind\n\xff\xfe not utf-8\n')
    write_csv(tmp_path / "load.csv", 2)

    for _ in range(2):
        done = run_apply(tmp_path, "load.csv", "--yes", handle=emulator)

        assert done.returncode == 0, done.stderr
        assert f"warning: {JOURNAL}:1: cut short or not JSON" in done.stderr
        assert f"warning: {JOURNAL}:2: not UTF-8" in done.stderr
        assert journal.read_bytes() == b'{"kind":"sent","ind\n\xff\xfe not utf-8\n'
    assert len(server_records(emulator)) == 2
