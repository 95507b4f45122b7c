"""``apply --csv-dialect``: CSV reports that Excel opens correctly, and a failed-CSV that
loads back unchanged in every dialect.

Each test applies a manifest for real against the emulator, which knows group 235 only:
the events sent to group 236 fail with its 400, land in ``--failed-csv``, and are applied
again from that file once the server knows the group.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator

MANIFEST = """\
version: 1
defaults: {AcdEventTypesID: 3, AcdGroupsID: 235}
events:
  - {Sender: "+49 170 1000001", UserData: "007", Subject: "Rückruf Jürgen Weiß"}
  - Sender: "+49 170 1000002"
    UserData: "K-2"
    AcdGroupsID: 236
    Subject: "Rückfrage; \\"Rechnung\\", Änne Müller"
    Body: "line one\\r\\nline two\\nline three"
  - {Sender: "+49 170 1000003", UserData: "K-3", AcdGroupsID: 236, Subject: "=HYPERLINK(1)"}
  - {Sender: "+49 170 1000004", UserData: "0042", AcdGroupsID: 236, Subject: "Straße, Ecke"}
"""
FAILING = ["K-2", "K-3", "0042"]
ONLY_235 = "groups:\n  - id: 235\n"
BOTH = "groups:\n  - id: 235\n  - id: 236\n"
BOM = "\ufeff"


def acdload(cli: Cli, emulator: RunningEmulator, *args: str) -> Result:
    env = {"ACDLOAD_BASE_URL": emulator.base_url, "ACDLOAD_TOKEN": emulator.token}
    return cli(*args, env=env)


def payloads(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def server(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emulator_factory: Callable[..., RunningEmulator],
) -> Callable[[str], RunningEmulator]:
    """Start the emulator on one database with the groups given (the last one is stopped)."""
    monkeypatch.chdir(tmp_path)
    Path("campaign.yaml").write_text(MANIFEST, encoding="utf-8")
    running: list[RunningEmulator] = []

    def start(groups: str) -> RunningEmulator:
        if running:
            running.pop().emulator.stop()
        path = tmp_path / "groups.yaml"
        path.write_text(groups, encoding="utf-8")
        running.append(emulator_factory(db=tmp_path / "jtel.sqlite3", groups=path))
        return running[-1]

    return start


def test_plain_is_the_default_and_writes_what_it_always_did(
    cli: Cli,
    server: Callable[[str], RunningEmulator],
) -> None:
    emulator = server(ONLY_235)
    default = acdload(
        cli, emulator, "apply", "campaign.yaml", "--yes", "--failed-csv", "default.csv"
    )
    assert default.exit_code == 1, default.output
    plain = acdload(
        cli,
        emulator, "apply", "campaign.yaml", "--yes", "--failed-csv", "plain.csv",
        "--csv-dialect", "plain",
    )  # fmt: skip
    assert plain.exit_code == 1, plain.output
    text = Path("default.csv").read_bytes().decode("utf-8")
    assert Path("plain.csv").read_bytes().decode("utf-8") == text
    assert text == (  # quoted only where CSV needs it, no byte order mark
        "AcdEventTypesID,AcdGroupsID,Sender,Subject,Body,UserData\r\n"
        '3,236,491701000002,"Rückfrage; ""Rechnung"", Änne Müller",'
        '"line one\r\nline two\nline three",K-2\r\n'
        "3,236,491701000003,'=HYPERLINK(1),,K-3\r\n"
        '3,236,491701000004,"Straße, Ecke",,0042\r\n'
    )


@pytest.mark.parametrize(
    ("dialect", "delimiter"), [("excel", ","), ("excel-semicolon", ";"), ("plain", ",")]
)
def test_a_failed_csv_loads_back_unchanged(
    cli: Cli, server: Callable[[str], RunningEmulator], dialect: str, delimiter: str
) -> None:
    emulator = server(ONLY_235)
    wanted = [
        p
        for p in payloads(acdload(cli, emulator, "render", "campaign.yaml"))
        if p["AcdGroupsID"] == 236
    ]

    first = acdload(
        cli,
        emulator, "apply", "campaign.yaml", "--yes", "--failed-csv", "failed.csv",
        "--csv-dialect", dialect,
    )  # fmt: skip

    assert first.exit_code == 1, first.output
    assert "apply: 1 created, 3 failed" in first.stderr
    text = Path("failed.csv").read_bytes().decode("utf-8")
    assert text.startswith(BOM) is (dialect != "plain")
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline=""), delimiter=delimiter))
    assert [row[-1] for row in rows] == ["UserData", *FAILING]
    assert rows[2][3] == "'=HYPERLINK(1)"  # the formula guard stays in every dialect
    assert rows[1][4] == "line one\r\nline two\nline three"
    # What the file holds is exactly what failed, read back as acdload reads a load.
    assert payloads(acdload(cli, emulator, "render", "failed.csv")) == wanted

    emulator = server(BOTH)  # the group exists now: the same file goes through
    again = acdload(cli, emulator, "apply", "failed.csv", "--yes")
    assert again.exit_code == 0, again.output
    assert "apply: 3 created" in again.stderr
    plan = acdload(cli, emulator, "plan", "campaign.yaml")
    assert plan.exit_code == 0, plan.output
    assert plan.stdout.startswith("0 to create, 4 unchanged, 0 drifted")  # as the manifest says


@pytest.mark.parametrize(("dialect", "delimiter"), [("excel", ","), ("excel-semicolon", ";")])
def test_the_report_csv_in_an_excel_dialect(
    cli: Cli, server: Callable[[str], RunningEmulator], dialect: str, delimiter: str
) -> None:
    emulator = server(ONLY_235)
    done = acdload(
        cli,
        emulator, "apply", "campaign.yaml", "--yes", "--report-csv", "report.csv",
        "--csv-dialect", dialect,
    )  # fmt: skip
    assert done.exit_code == 1, done.output
    raw = Path("report.csv").read_bytes()
    assert raw.startswith(BOM.encode("utf-8"))  # Excel reads it as UTF-8, not cp1252
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith(f"index{delimiter}file{delimiter}line{delimiter}")
    rows = list(
        csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    )
    assert [(r["UserData"], r["outcome"]) for r in rows] == [
        ("007", "created"), ("K-2", "failed"), ("K-3", "failed"), ("0042", "failed"),
    ]  # fmt: skip
    assert rows[0]["Subject"] == "Rückruf Jürgen Weiß"
    assert rows[2]["Subject"] == "'=HYPERLINK(1)"
    assert rows[1]["error"].startswith("AcdGroupsID")


def test_an_unknown_dialect_is_a_usage_error(
    cli: Cli, server: Callable[[str], RunningEmulator]
) -> None:
    emulator = server(ONLY_235)
    result = acdload(cli, emulator, "apply", "campaign.yaml", "--yes", "--csv-dialect", "excel-de")
    assert result.exit_code == 2
    assert "'excel-de' is not one of 'plain', 'excel', 'excel-semicolon'" in result.stderr
    assert not Path(".acdload/journal.jsonl").exists()  # nothing was sent
