"""The README's first command: apply the examples to the bundled emulator, twice."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.applying.support import load_report, run_apply, server_records
from tests.emulator_support import REPO_ROOT, EmulatorProcess


def test_examples_are_created_once_then_found(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")

    first = run_apply(tmp_path, "examples/", "--emulator", "--yes", "--report", "first.json")
    assert first.returncode == 0, first.stderr
    report = load_report(tmp_path / "first.json")
    count = len(report["results"])
    assert count == 8
    assert report["summary"]["created"] == count
    assert "plan: 8 to create, 0 unchanged, 0 drifted" in first.stderr
    assert "apply: 8 created" in first.stderr

    second = run_apply(tmp_path, "examples/", "--emulator", "--yes", "--report", "second.json")
    assert second.returncode == 0, second.stderr
    again = load_report(tmp_path / "second.json")
    assert again["summary"]["exists"] == count
    assert all(r["attempts"] == 0 for r in again["results"])
    assert [r["event_id"] for r in again["results"]] == [r["event_id"] for r in report["results"]]
    assert "0 to create, 8 unchanged" in second.stderr

    # What the embedded emulator stored, read by an emulator process on the same files.
    state = tmp_path / ".acdload"
    token = (state / "emulator.token").read_text(encoding="utf-8").strip()
    emulator = emulator_process(db=state / "emulator.db", token=token)
    records = server_records(emulator)
    assert sorted(r["ID"] for r in records) == sorted(r["event_id"] for r in report["results"])
