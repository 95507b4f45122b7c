"""Input that is not what a user meant, or meant to harm: shown harmlessly, refused clearly.

Each folder under ``manifests/`` is one attack: the files ``acdload validate`` reads, and
``expected``: ``exit N``, then lines the output must contain (``#`` lines are comments).
Every case must also leave no raw control character, no traceback and no line longer than
a terminal can take in the output. Adding an attack is adding a folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_runner import Cli

CASES = Path(__file__).parent / "manifests"
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
LONGEST_LINE = 600


def _expected(case: Path) -> tuple[int, list[str]]:
    lines = [
        line
        for line in (case / "expected").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    code = re.fullmatch(r"exit (\d+)", lines[0])
    assert code, f"{case.name}/expected must start with 'exit N'"
    return int(code.group(1)), lines[1:]


@pytest.mark.parametrize(
    "case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_hostile_manifest(cli: Cli, case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    result = cli("validate", ".")
    code, wanted = _expected(case)
    output = result.output
    for line in wanted:
        assert line in output, f"missing: {line}\noutput:\n{output}"
    assert result.exit_code == code, output
    assert not RAW_CONTROL.search(output), f"a raw control character: {output!r}"
    assert "Traceback" not in output
    assert max(map(len, output.splitlines())) <= LONGEST_LINE


# A path that holds no manifest --------------------------------------------------------


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``empty/``, and ``docs/`` with files that are no manifests; the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# Loads\n", encoding="utf-8")
    (tmp_path / "docs" / "notes.txt").write_text("not a manifest\n", encoding="utf-8")
    (tmp_path / "docs" / "archive.yaml").mkdir()  # a directory, whatever its name
    return tmp_path


@pytest.mark.parametrize("folder", ["empty", "docs"])
@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_a_folder_without_manifests_is_a_usage_error(
    cli: Cli, folders: Path, folder: str, command: str
) -> None:
    target = {"validate": [], "plan": ["--offline"], "apply": ["--yes", "--emulator"]}[command]
    result = cli(command, folder, *target)
    assert result.exit_code == 2, result.output
    assert f"error: no manifests in {folder}: it holds no .yaml, .yml or .csv file" in result.output
    assert "hint: name the directory that holds the manifests" in result.output
    assert not (folders / ".acdload").exists()  # apply started nothing


def test_one_folder_without_manifests_fails_the_whole_load(cli: Cli, folders: Path) -> None:
    (folders / "manifests").mkdir()
    (folders / "manifests" / "tickets.csv").write_text(
        "AcdEventTypesID,AcdGroupsID,Sender,Subject\n6,235,info@example.com,Hi\n",
        encoding="utf-8",
    )
    assert cli("validate", "manifests").exit_code == 0
    result = cli("validate", "manifests", "empty")
    assert result.exit_code == 2
    assert "no manifests in empty" in result.output
