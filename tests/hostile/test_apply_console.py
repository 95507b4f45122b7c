"""What ``acdload apply`` shows on a terminal around its questions: manifest text there
is escaped like every other output (the prompt and canary lines are new ways out)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.applying.support import server_records, write_csv
from tests.cli.test_apply_prompt import apply_on_a_terminal
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator


def test_a_hostile_subject_stays_text_at_the_apply_prompt(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    """Manifest text reaches the terminal only escaped: no escape sequence of
    theirs can hide what the question asks or rewrite it."""
    emulator = emulator_factory()
    hostile = {"Subject": "Rückruf\x1b[2J\x1b[1A", "UserData": "U-x"}
    write_csv(tmp_path / "load.csv", 0, rows=[{**_row(), **hostile}])
    code, output = apply_on_a_terminal(tmp_path, emulator, [b"n"])
    assert code == 1, repr(output)
    assert '"Rückruf\\u001b[2J\\u001b[1A"' in output
    assert "\x1b[2J" not in output
    assert server_records(emulator) == []


def _row() -> dict[str, object]:
    return {"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": "+49 170 5550000"}


def test_canary_outcome_lines_escape_manifest_text(
    tmp_path: Path,
    emulator_factory: Callable[..., RunningEmulator],
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The canary's outcome lines quote keys from the manifest: a title-setting escape in
    UserData is shown as text, and the token of the run never appears."""
    monkeypatch.chdir(tmp_path)
    emulator = emulator_factory()
    rows = [
        {
            **_row(),
            "Sender": f"+49 170 555000{n}",
            "UserData": f"U\x1b]0;pwn\x07{n}",
            "Subject": "x",
        }
        for n in range(3)
    ]
    write_csv(tmp_path / "load.csv", 0, rows=rows)
    done = cli(
        "apply", "load.csv", "--yes", "--canary", "1", "--base-url", emulator.base_url,
        env={"ACDLOAD_TOKEN": emulator.token},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "canary: the first 1 creates:\n  created " in done.output
    assert "UserData=U\\x1b]0;pwn\\x070" in done.output
    assert "\x1b" not in done.output and "\x07" not in done.output
    assert emulator.token not in done.output
