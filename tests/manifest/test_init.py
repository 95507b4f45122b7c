"""``acdload init`` on exports as CRMs and spreadsheets write them (issue #14).

Each export under ``exports/`` is run through the real command line: init writes the
manifest, the test checks what it guessed, fills the placeholders by replacing them in
the text (no other edit) and validates the result, which must pass.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from acdload.manifest.scaffold import GITIGNORE_LINES
from tests.cli.support import REPO, run_acdload
from tests.cli_runner import Cli

EXPORTS = Path(__file__).parent / "exports"
NOW = "2026-11-28T12:00:00"
PLACEHOLDER = re.compile(r'^(\s*)([A-Za-z_]+): ("<fill in: [^"]*>")', re.MULTILINE)


@dataclass(frozen=True)
class Export:
    """An export, the options init gets, what it must guess, and the values a user fills in."""

    name: str
    args: tuple[str, ...]
    encoding: str
    delimiter: str
    formats: dict[str, str]
    columns: dict[str, str | None]
    phone_region: str | None
    placeholders: set[str]
    fill: dict[str, str] = field(default_factory=dict)


FILL = {"AcdEventTypesID": "3", "AcdGroupsID": "235", "Subject": '"Rückruf {{ vars.name }}"'}

CASES = [
    Export(
        "crm-rueckrufe-cp1252.csv",
        (),
        "cp1252",
        ";",
        {"date_format": "%d.%m.%Y", "time_format": "%H:%M"},
        {
            "Kunden-Nr.": "UserData",
            "Nachname": "vars.last_name",
            "Vorname": "vars.first_name",
            "Telefon": "Sender",
            "Datum": "dtAppointmentDate",
            "Uhrzeit": "dtAppointmentTime",
            "Bemerkung": "vars.note",
            "Erstellt am": None,
            "Berater": None,
        },
        None,
        {"phone_region", "AcdEventTypesID", "AcdGroupsID", "Subject"},
        {"phone_region": "DE", "Subject": '"Rückruf {{ vars.first_name }} {{ vars.last_name }}"'},
    ),
    Export(
        "callbacks-us.csv",
        (),
        "utf-8",
        ",",
        {"date_format": "%m/%d/%Y", "time_format": "%I:%M %p"},
        {
            "Customer ID": "UserData",
            "Customer Name": "vars.name",
            "Phone": "Sender",
            "Date": "dtAppointmentDate",
            "Time": "dtAppointmentTime",
            "Subject": "Subject",
            "Email": "vars.email",
            "Notes": "vars.note",
        },
        None,
        {"AcdEventTypesID", "AcdGroupsID"},
    ),
    Export(
        "termine-combined.csv",
        (),
        "utf-8",
        "\t",
        {"datetime_format": "%Y-%m-%d %H:%M"},
        {
            "Kundennummer": "UserData",
            "Kunde": "vars.name",
            "Rufnummer": "Sender",
            "Rückruftermin": "dtAppointment",
            "Anliegen": "vars.topic",
        },
        None,
        {"AcdEventTypesID", "AcdGroupsID", "Subject"},
    ),
    Export(
        "excel-utf8-bom.csv",
        ("--phone-region", "GB"),
        "utf-8-sig",
        ",",
        {"datetime_format": "%d/%m/%Y %H:%M"},
        {
            "Customer number": "UserData",
            "Name": "vars.name",
            "Mobile": "Sender",
            "Appointment": "dtAppointment",
            "Comment": "vars.note",
        },
        "GB",
        {"AcdEventTypesID", "AcdGroupsID", "Subject"},
    ),
]


def init(cli: Cli, tmp_path: Path, export: str, *args: str) -> tuple[Result, Path]:
    """Copy ``export`` into ``tmp_path``, run init on it there; (result, manifest path)."""
    shutil.copy(EXPORTS / export, tmp_path / export)
    result = cli("init", str(tmp_path / export), *args)
    return result, (tmp_path / export).with_suffix(".yaml")


def fill(text: str, values: dict[str, str]) -> str:
    """The manifest with every placeholder replaced by ``values`` of its key, textually."""
    return PLACEHOLDER.sub(lambda m: f"{m[1]}{m[2]}: {values[m[2]]}", text)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_init_guesses_and_the_filled_manifest_validates(
    cli: Cli, case: Export, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, manifest = init(cli, tmp_path, case.name, *case.args)
    assert result.exit_code == 0, result.output
    assert f"wrote {manifest}" in result.stderr
    text = manifest.read_text(encoding="utf-8")
    written: dict[str, Any] = yaml.safe_load(text)
    source = written["source"]
    assert source["path"] == case.name
    assert source["encoding"] == case.encoding
    assert source["delimiter"] == case.delimiter
    assert {k: v for k, v in source.items() if k.endswith("_format")} == case.formats
    assert source["columns"] == case.columns
    assert list(source["columns"]) == list(case.columns)  # in the export's order
    assert written.get("phone_region") == case.phone_region or "phone_region" in case.placeholders
    assert written["timezone"] == "Europe/Berlin"  # this machine's (tests run in Berlin)
    assert {m[2] for m in PLACEHOLDER.finditer(text)} == case.placeholders
    for column, target in case.columns.items():
        line = next(line for line in text.splitlines() if line.strip().startswith(f"{column}:"))
        assert (f"guessed from '{column}'" if target else "not mapped") in line
    manifest.write_text(fill(text, {**FILL, **case.fill}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    checked = run_acdload("validate", manifest.name, "--now", NOW, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "valid: 0 errors, 0 warnings" in checked.stdout


def test_validate_reports_each_placeholder_until_it_is_filled(cli: Cli, tmp_path: Path) -> None:
    result, manifest = init(cli, tmp_path, "crm-rueckrufe-cp1252.csv")
    shown = re.findall(rf"{re.escape(str(manifest))}:(\d+): (\S+): (.+)", result.stderr)
    assert [where for _, where, _ in shown] == [
        "phone_region",
        "defaults.AcdEventTypesID",
        "defaults.AcdGroupsID",
        "templates.Subject",
    ]
    checked = cli("validate", str(manifest), "--now", NOW)
    assert checked.exit_code == 1
    errors = [line for line in checked.stdout.splitlines() if ": error: " in line]
    assert errors == [
        f"{manifest}:{line}:{errors_column(manifest, line)}: error: {where} is still a "
        f'placeholder: fill in {what} (replace the whole "<fill in: …>" text) [placeholder]'
        for line, where, what in shown
    ]
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        fill(text, {**FILL, "phone_region": "DE", "Subject": "Rückruf"}).replace(
            "AcdGroupsID: 235", 'AcdGroupsID: "<fill in: the group>"'
        ),
        encoding="utf-8",
    )
    left = cli("validate", str(manifest), "--now", NOW)
    assert left.exit_code == 1
    assert [line for line in left.stdout.splitlines() if ": error: " in line] == [
        f"{manifest}:{shown[2][0]}:16: error: defaults.AcdGroupsID is still a placeholder: "
        'fill in the group (replace the whole "<fill in: …>" text) [placeholder]'
    ]


def errors_column(manifest: Path, line: str) -> int:
    """The column where the placeholder's value starts on ``line`` of ``manifest``."""
    return manifest.read_text(encoding="utf-8").splitlines()[int(line) - 1].index('"') + 1


def test_the_walkthrough_export_is_mapped_as_its_hand_written_manifest(
    cli: Cli, tmp_path: Path
) -> None:
    shutil.copy(REPO / "examples" / "exports" / "crm-export.csv", tmp_path / "crm-export.csv")
    result = cli("init", str(tmp_path / "crm-export.csv"), "--phone-region", "DE")
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((tmp_path / "crm-export.yaml").read_text(encoding="utf-8"))
    by_hand = yaml.safe_load(
        (REPO / "examples" / "exports" / "rueckrufe.yaml").read_text(encoding="utf-8")
    )
    for key in ("encoding", "delimiter", "datetime_format"):
        assert written["source"][key] == by_hand["source"][key]
    assert written["phone_region"] == by_hand["phone_region"] == "DE"
    hand_columns = dict(by_hand["source"]["columns"], Bemerkung="vars.note")  # init uses it
    assert written["source"]["columns"] == hand_columns


def write_export(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_name_match_the_values_contradict_is_not_used(cli: Cli, tmp_path: Path) -> None:
    export = write_export(
        tmp_path,
        "Telefon,Handy,Termin,Kundennummer\n"
        "Anna Schmidt,+49 170 1234567,01.03.2027,K-1\n"
        "Bernd Vogel,+49 171 2345678,02.03.2027,K-2\n"
        "Clara Jung,+49 151 23456789,03.03.2027,K-3\n",
    )
    result = cli("init", str(export))
    assert result.exit_code == 0, result.output
    text = export.with_suffix(".yaml").read_text(encoding="utf-8")
    columns = yaml.safe_load(text)["source"]["columns"]
    assert columns == {
        "Telefon": None,
        "Handy": "Sender",
        "Termin": "dtAppointmentDate",  # dates only: the date, not date and time
        "Kundennummer": "UserData",
    }
    assert (
        "Telefon: null  # not mapped: named like Sender, but only 0 of 3 sample values are "
        "phone numbers"
    ) in text
    assert yaml.safe_load(text)["source"]["date_format"] == "%d.%m.%Y"


def test_dates_that_do_not_tell_day_from_month_leave_a_placeholder(
    cli: Cli, tmp_path: Path
) -> None:
    export = write_export(
        tmp_path,
        "Phone,Date,Customer ID\n+1 212 736 5000,03/01/2027,C-1\n+1 617 253 1000,04/02/2027,C-2\n",
    )
    assert cli("init", str(export)).exit_code == 0
    manifest = export.with_suffix(".yaml")
    text = manifest.read_text(encoding="utf-8")
    assert (
        'date_format: "<fill in: %d/%m/%Y or %m/%d/%Y, whichever the export writes>"  '
        "# the 'Date' cells: no sample value has a day above 12"
    ) in text
    checked = cli("validate", str(manifest), "--now", NOW)
    assert "error: source.date_format is still a placeholder: fill in %d/%m/%Y or %m/%d/%Y" in (
        checked.stdout
    )
    manifest.write_text(
        fill(text, {**FILL, "date_format": '"%m/%d/%Y"', "Subject": "Callback"}), encoding="utf-8"
    )
    assert cli("validate", str(manifest), "--now", NOW).exit_code == 0


def test_the_sample_is_the_first_200_rows(cli: Cli, tmp_path: Path) -> None:
    rows = "".join(f"+49 170 {1000000 + n},K-{n}\n" for n in range(500))
    export = write_export(tmp_path, "Telefon,Kundennummer\n" + rows)
    result = cli("init", str(export))
    assert "(500 rows, 200 looked at)" in result.stderr
    text = export.with_suffix(".yaml").read_text(encoding="utf-8")
    assert "from its header and its first 200 of 500 rows." in text
    assert "200 of 200 sample values are phone numbers" in text


def test_an_existing_manifest_is_kept_unless_forced(cli: Cli, tmp_path: Path) -> None:
    _, manifest = init(cli, tmp_path, "callbacks-us.csv")
    manifest.write_text("# mine\n", encoding="utf-8")
    again = cli("init", str(tmp_path / "callbacks-us.csv"))
    assert again.exit_code == 2
    assert f"error: {manifest} exists; nothing was written" in again.stderr
    assert "hint: pass --force to overwrite it, or -o NAME.yaml to write another file" in (
        again.stderr
    )
    assert manifest.read_text(encoding="utf-8") == "# mine\n"
    forced = cli("init", str(tmp_path / "callbacks-us.csv"), "--force")
    assert forced.exit_code == 0
    assert manifest.read_text(encoding="utf-8").startswith("# A manifest for callbacks-us.csv")


def test_the_export_itself_is_never_the_output(cli: Cli, tmp_path: Path) -> None:
    export = EXPORTS / "callbacks-us.csv"
    copy = tmp_path / export.name
    shutil.copy(export, copy)
    result = cli("init", str(copy), "-o", str(copy), "--force")
    assert result.exit_code == 2
    assert "is the export itself" in result.stderr
    assert copy.read_bytes() == export.read_bytes()


def test_the_manifest_must_be_where_it_may_read_the_export(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(EXPORTS / "callbacks-us.csv", data / "export.csv")
    (tmp_path / "manifests").mkdir()
    elsewhere = tmp_path / "manifests" / "m.yaml"
    refused = cli("init", str(data / "export.csv"), "-o", str(elsewhere))
    assert refused.exit_code == 2
    assert (
        f"error: '{elsewhere}' could not read the export: its path from there, "
        f"'../data/export.csv', leads outside the manifest root ({tmp_path / 'manifests'}, "
        "the manifest's directory)"
    ) in refused.stderr
    assert "hint: write the manifest beside the export or in a directory above it" in (
        refused.stderr
    )
    assert not elsewhere.exists()
    above = tmp_path / "m.yaml"
    assert cli("init", str(data / "export.csv"), "-o", str(above)).exit_code == 0
    assert yaml.safe_load(above.read_text(encoding="utf-8"))["source"]["path"] == "data/export.csv"


def test_gitignore_lines_are_offered_and_added_once(cli: Cli, tmp_path: Path) -> None:
    result, _ = init(cli, tmp_path, "callbacks-us.csv")
    assert "keep acdload's state and reports out of git" in result.stderr
    assert all(f"\n  {line}\n" in result.stderr + "\n" for line in GITIGNORE_LINES)
    assert not (tmp_path / ".gitignore").exists()
    (tmp_path / ".gitignore").write_text("__pycache__/\n.acdload/", encoding="utf-8")
    added = cli("init", str(tmp_path / "callbacks-us.csv"), "--force", "--gitignore")
    assert added.exit_code == 0
    missing = [line for line in GITIGNORE_LINES if line != ".acdload/"]
    assert f"added to {tmp_path / '.gitignore'}: {' '.join(missing)}" in added.stderr
    lines = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["__pycache__/", ".acdload/"]
    assert lines[3:] == missing
    again = cli("init", str(tmp_path / "callbacks-us.csv"), "--force", "--gitignore")
    assert "already keeps acdload's state and reports out of git" in again.stderr
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines() == lines


def test_quiet_prints_nothing_and_verbose_says_why(cli: Cli, tmp_path: Path) -> None:
    quiet, _ = init(cli, tmp_path, "termine-combined.csv", "-q")
    assert quiet.exit_code == 0
    assert quiet.output == ""
    verbose = cli("init", str(tmp_path / "termine-combined.csv"), "--force", "-v")
    assert (
        "'Rufnummer' -> Sender: guessed from 'Rufnummer': 6 of 6 sample values are phone numbers"
    ) in verbose.stderr
    assert "phone numbers: 6 international" in verbose.stderr


def test_init_then_apply_on_the_emulator_creates_every_row_once(cli: Cli, tmp_path: Path) -> None:
    _, manifest = init(cli, tmp_path, "crm-rueckrufe-cp1252.csv")
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(fill(text, {**FILL, **CASES[0].fill}), encoding="utf-8")
    applied = run_acdload("apply", manifest.name, "--emulator", "--yes", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "12 created" in applied.stderr
    planned = run_acdload("plan", manifest.name, "--emulator", cwd=tmp_path)
    assert "0 to create, 12 unchanged" in planned.stderr + planned.stdout
