"""CRM and spreadsheet exports as they come (issue 7), through the command line: the
``--phone-region`` option on every command that checks a load, the German Excel export of
``examples/exports/``, and that export loaded end to end into the emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import Result

from tests.cli_runner import Cli

ROOT = Path(__file__).resolve().parent.parent.parent
EXPORTS = ROOT / "examples" / "exports"
CASE = Path(__file__).parent.parent / "cases" / "valid" / "german-excel-export"
NOW = "2026-11-28T12:00:00"

NATIONAL_CSV = """\
AcdEventTypesID,AcdGroupsID,Sender,Subject,UserData
3,235,0170 1234567,Call back,1
3,235,(030) 901820,Call back,2
"""

CONVERTED = [  # what the German export becomes: E.164 digits, ISO dates, hh:mm
    ("K-10017", "491701234567", "2027-03-01", "14:30"),
    ("K-10023", "4930123456", "2027-03-01", "15:00"),
    ("K-10031", "492219876543", "2027-03-02", "09:15"),
    ("K-10042", "4915123456789", "2027-03-02", "10:00"),
    ("K-10058", "4940123456", "2027-03-03", "11:30"),
    ("K-10063", "49891234567", "2027-03-03", "16:45"),
    ("K-10077", "4315131234", "2027-03-04", "08:30"),
]


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "national.csv").write_text(NATIONAL_CSV, encoding="utf-8")


@pytest.fixture
def acdload(cli: Cli) -> Cli:
    """``acdload ARGS`` with the clock fixed."""
    return cli.adding("--now", NOW)


def senders(result: Result) -> list[str]:
    return [json.loads(line)["Sender"] for line in result.stdout.splitlines()]


# --- --phone-region ---------------------------------------------------------------------


def test_a_csv_file_of_national_numbers_needs_a_phone_region(acdload: Cli) -> None:
    result = acdload("validate", "national.csv")
    assert result.exit_code == 1
    assert "national.csv:2:3: error: column 'Sender': '0170 1234567' is written in national" in (
        result.stdout
    )
    assert "--phone-region DE for a CSV file [phone-national]" in result.stdout


def test_phone_region_reads_national_numbers_of_a_csv_file_in_that_country(acdload: Cli) -> None:
    result = acdload("render", "national.csv", "--phone-region", "DE")
    assert result.exit_code == 0, result.output
    assert senders(result) == ["491701234567", "4930901820"]


def test_a_manifests_own_phone_region_wins_over_the_option(acdload: Cli, tmp_path: Path) -> None:
    (tmp_path / "vienna.yaml").write_text(
        "version: 1\nphone_region: AT\n"
        "defaults: {AcdEventTypesID: 3, AcdGroupsID: 235, Subject: Call back}\n"
        'events:\n  - Sender: "(01) 5131234"\n',
        encoding="utf-8",
    )
    (tmp_path / "berlin.yaml").write_text(
        "version: 1\ndefaults: {AcdEventTypesID: 3, AcdGroupsID: 235, Subject: Call back}\n"
        'events:\n  - Sender: "(030) 901820"\n',
        encoding="utf-8",
    )
    result = acdload("render", "vienna.yaml", "berlin.yaml", "--phone-region", "DE")
    assert result.exit_code == 0, result.output
    assert senders(result) == ["4315131234", "4930901820"]


@pytest.mark.parametrize(
    "command",
    [["validate"], ["render"], ["plan", "--offline"], ["apply", "--emulator", "--yes"]],
    ids=lambda c: c[0],
)
def test_an_unknown_phone_region_is_a_usage_error_with_the_code_meant(
    acdload: Cli, command: list[str], tmp_path: Path
) -> None:
    result = acdload(*command, "national.csv", "--phone-region", "Germany")
    assert result.exit_code == 2
    assert "unknown phone region 'Germany'; did you mean 'DE'?" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / ".acdload").exists()  # apply started nothing


@pytest.mark.parametrize("command", ["validate", "render", "plan", "apply"])
def test_every_checking_command_documents_phone_region(cli: Cli, command: str) -> None:
    result = cli(command, "--help")
    assert "--phone-region CC" in result.stdout
    assert "a manifest's own phone_region wins" in " ".join(result.stdout.split())


def test_plan_shows_the_converted_values(acdload: Cli) -> None:
    result = acdload(
        "plan", "national.csv", "--offline", "--format", "json", "--phone-region", "DE"
    )
    assert result.exit_code == 0, result.output
    actions = json.loads(result.stdout)["actions"]
    assert [a["payload"]["Sender"] for a in actions] == ["491701234567", "4930901820"]
    assert [a["key"]["Sender"] for a in actions] == ["491701234567", "4930901820"]


# --- the German Excel export of examples/exports/ ---------------------------------------


def test_the_example_is_a_german_excel_export() -> None:
    raw = (EXPORTS / "crm-export.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # cp1252, as a German Excel saves "CSV (Trennzeichen-getrennt)"
    text = raw.decode("cp1252")
    header, first = text.split("\r\n")[:2]
    assert header.count(";") == 6 and "Termin " in header  # a padded header cell
    assert "Jürgen Weiß" in first and "0170 1234567" in first and "01.03.2027 14:30" in first


def test_the_example_and_its_regression_case_are_the_same_files() -> None:
    for name in ("rueckrufe.yaml", "crm-export.csv"):
        assert (EXPORTS / name).read_bytes() == (CASE / name).read_bytes(), name


def test_the_example_manifest_validates_against_the_manifest_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "manifest.schema.json").read_text(encoding="utf-8"))
    document = yaml.safe_load((EXPORTS / "rueckrufe.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)


def test_render_of_the_example_prints_the_converted_values(acdload: Cli) -> None:
    result = acdload("render", str(EXPORTS))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    payloads = [json.loads(line) for line in result.stdout.splitlines()]
    shown = [
        (p["UserData"], p["Sender"], p["dtAppointmentDate"], p["dtAppointmentTime"])
        for p in payloads
    ]
    assert shown == CONVERTED
    assert payloads[0]["Subject"] == "Rückruf Jürgen Weiß: Vertragsverlängerung"
    assert payloads[0]["Body"] == (
        "Jürgen Weiß (K-10017) bittet um Rückruf am 01.03.2027 um 14:30 Uhr."
    )


# --- end to end: the export into the emulator -------------------------------------------


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "acdload", *args, "--now", NOW],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_german_export_loads_into_the_emulator_as_converted(tmp_path: Path) -> None:
    shutil.copytree(EXPORTS, tmp_path / "exports")
    applied = _cli(tmp_path, "apply", "exports", "--emulator", "--yes", "--report", "report.json")
    assert applied.returncode == 0, applied.stderr
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["created"] == len(CONVERTED)
    assert [(r["key"]["UserData"], r["key"]["Sender"]) for r in report["results"]] == [
        (number, sender) for number, sender, _, _ in CONVERTED
    ]
    # The emulator refuses an appointment that is not yyyy-mm-dd / hh:mm (as jtel does):
    # every create succeeding means every converted date and time was accepted.
    assert {r["outcome"] for r in report["results"]} == {"created"}

    planned = _cli(tmp_path, "plan", "exports", "--emulator", "--format", "json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["summary"] == {
        "create": 0,
        "exists": len(CONVERTED),
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    assert [
        (
            a["payload"]["UserData"],
            a["payload"]["Sender"],
            a["payload"]["dtAppointmentDate"],
            a["payload"]["dtAppointmentTime"],
        )
        for a in plan["actions"]
    ] == CONVERTED
