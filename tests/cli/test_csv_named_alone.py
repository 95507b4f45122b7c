"""A CSV file that a YAML manifest beside it reads as its ``source`` is not a manifest of
its own: named alone (as a pre-commit hook names a changed file), it is read through that
manifest, and that manifest is loaded once however often it is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.support import REPO
from tests.cli_runner import Cli

NOW = "2026-11-28T12:00:00"


@pytest.fixture(autouse=True)
def _campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("loads").mkdir()
    for name in ("campaign.yaml", "campaign.csv", "tickets.yaml"):
        shutil.copy2(REPO / "examples" / name, Path("loads") / name)


def validate(cli: Cli, *paths: str) -> str:
    return cli("validate", *paths, "--now", NOW).stdout


@pytest.mark.parametrize(
    "paths",
    [
        ["loads/campaign.csv"],
        ["loads/campaign.csv", "loads/campaign.yaml"],
        ["loads/campaign.yaml", "loads/campaign.csv"],
        ["loads/campaign.csv", "loads/campaign.csv"],
    ],
)
def test_a_source_csv_named_alone_is_read_through_its_manifest(cli: Cli, paths: list[str]) -> None:
    assert validate(cli, *paths) == "valid: 0 errors, 0 warnings in 3 events from 1 file\n"


def test_with_its_directory_every_manifest_is_loaded_once(cli: Cli) -> None:
    shown = validate(cli, "loads/campaign.csv", "loads")
    assert shown == "valid: 0 errors, 0 warnings in 5 events from 2 files\n"


def test_problems_in_the_csv_are_reported_at_the_csv(cli: Cli) -> None:
    csv = Path("loads/campaign.csv")
    csv.write_text(csv.read_text(encoding="utf-8").replace("10:30", "25:30"), encoding="utf-8")
    first = validate(cli, "loads/campaign.csv").splitlines()[0]
    assert first.startswith("loads/campaign.csv:3:5: error: column 'Time': dtAppointmentTime")


def test_a_csv_no_manifest_beside_it_reads_is_a_standalone_manifest(cli: Cli) -> None:
    Path("loads/extra.csv").write_text(
        "AcdEventTypesID,AcdGroupsID,Sender,Subject,UserData\n"
        "6,235,info@example.com,A ticket,T-1\n",
        encoding="utf-8",
    )
    assert (
        validate(cli, "loads/extra.csv") == "valid: 0 errors, 0 warnings in 1 event from 1 file\n"
    )
