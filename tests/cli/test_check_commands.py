"""``acdload validate``, ``render`` and ``schema`` through click's runner: exact output and
exit codes, as a user or a CI job sees them."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from acdload.cli import main
from tests.cli_runner import Cli

SCHEMAS = Path(__file__).parent.parent.parent / "schemas"
NOW = "2026-11-28T12:00:00"

OK = """\
version: 1
timezone: Europe/Berlin
defaults:
  AcdEventTypesID: 3
  AcdGroupsID: 235
templates:
  Subject: "Call back {{ vars.name }}"
events:
  - Sender: "+49 170 1234567"
    UserData: "CB-1"
    vars: {name: Anna}
  - Sender: "+49 30 901820"
    UserData: "CB-2"
    dtAppointmentDate: "2026-11-28"
    dtAppointmentTime: "11:00"
    vars: {name: Jonas}
"""
OK_PAYLOADS = [
    {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": "491701234567",
        "Subject": "Call back Anna",
        "UserData": "CB-1",
    },
    {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": "4930901820",
        "Subject": "Call back Jonas",
        "UserData": "CB-2",
        "dtAppointmentDate": "2026-11-28",
        "dtAppointmentTime": "11:00",
    },
]
PAST = (
    "ok.yaml:14:24: warning: the appointment 2026-11-28 11:00 (Europe/Berlin) is in the past; "
    "apply does not send it (with --allow-past the server rings it at once); use --now to "
    "validate as of another moment [appointment-past]"
)

BAD = """\
version: 1
events:
  - AcdEventTypesID: 6
    AcdGroupsID: 235
    Sender: info@example.com
    nPriority: 300
    CrmURL: crm.example.com
"""
BAD_LINES = [
    "bad.yaml:3: error: Subject is required [required]",
    "bad.yaml:6:16: error: nPriority 300: use a whole number from 0 to 200 "
    "(50 is the server's default) [priority-range]",
    'bad.yaml:7:13: error: CrmURL "crm.example.com": write an absolute URL starting with '
    "https:// or http://, without spaces [crm-url]",
]


@pytest.fixture(autouse=True)
def _manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.yaml").write_text(OK, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")


def lines(text: str) -> list[str]:
    return text.splitlines()


# --- validate: text -------------------------------------------------------------------


def test_validate_valid_file_prints_only_the_summary_and_exits_0(cli: Cli) -> None:
    result = cli("validate", "ok.yaml", "--now", "2026-11-28T10:00:00")
    assert result.exit_code == 0
    assert result.stdout == "valid: 0 errors, 0 warnings in 2 events from 1 file\n"


def test_validate_text_lists_every_problem_with_file_line_column_then_a_summary(cli: Cli) -> None:
    result = cli("validate", "ok.yaml", "bad.yaml", "--now", NOW)
    assert result.exit_code == 1
    assert lines(result.stdout) == [
        *BAD_LINES,
        PAST,
        "invalid: 3 errors, 1 warning in 3 events from 2 files",
    ]


def test_validate_with_warnings_only_exits_0(cli: Cli) -> None:
    result = cli("validate", "ok.yaml", "--now", NOW)
    assert result.exit_code == 0
    assert lines(result.stdout) == [PAST, "valid: 0 errors, 1 warning in 2 events from 1 file"]


def test_strict_turns_warnings_into_errors(cli: Cli) -> None:
    result = cli("validate", "ok.yaml", "--now", NOW, "--strict")
    assert result.exit_code == 1
    assert lines(result.stdout) == [
        PAST.replace(": warning: ", ": error: "),
        "invalid: 1 error, 0 warnings in 2 events from 1 file",
    ]


def test_max_errors_caps_the_problems_shown_not_the_verdict(cli: Cli) -> None:
    result = cli("validate", "ok.yaml", "bad.yaml", "--now", NOW, "--max-errors", "2")
    assert result.exit_code == 1
    assert lines(result.stdout) == [
        *BAD_LINES[:2],
        "... 2 more not shown (--max-errors 2)",
        "invalid: 3 errors, 1 warning in 3 events from 2 files",
    ]


@pytest.mark.parametrize(
    ("now", "past"),
    [
        ("2026-11-28T10:59:00", False),  # no offset: read in the manifest's zone (Berlin)
        ("2026-11-28T11:01:00", True),
        ("2026-11-28T09:59:00+00:00", False),  # 10:59 in Berlin
        ("2026-11-28T10:01:00Z", True),  # 11:01 in Berlin
        ("2027-01-01T00:00:00", True),
    ],
)
def test_now_decides_whether_an_appointment_is_past(cli: Cli, now: str, past: bool) -> None:
    result = cli("validate", "ok.yaml", "--now", now)
    assert result.exit_code == 0
    assert ("[appointment-past]" in result.stdout) is past


def test_validate_a_directory_loads_its_manifests_in_sorted_order(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "load"
    folder.mkdir()
    (folder / "b.yaml").write_text(OK, encoding="utf-8")
    (folder / "a.csv").write_text(
        "AcdEventTypesID,AcdGroupsID,Sender,Subject,UserData\n"
        "6,235,info@example.com,Ticket,T-1\n"
        "6,235,info@example.com,Ticket,T-1\n",
        encoding="utf-8",
    )
    (folder / "notes.txt").write_text("not a manifest", encoding="utf-8")
    result = cli("validate", "load", "--now", "2026-11-28T10:00:00")
    assert result.exit_code == 1
    assert lines(result.stdout) == [
        "load/a.csv:3: error: duplicate event: same key (AcdEventTypesID=6, "
        "Sender='info@example.com', UserData='T-1') as the event at load/a.csv:2; "
        "the server would hold one of them only [duplicate-key]",
        "invalid: 1 error, 0 warnings in 4 events from 2 files",
    ]


# --- validate: json and github ----------------------------------------------------------


def test_json_format_is_one_document_with_every_problem(cli: Cli) -> None:
    result = cli("validate", "ok.yaml", "bad.yaml", "--now", NOW, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "valid": False,
        "events": 3,
        "problems": [
            {
                "file": "bad.yaml",
                "line": 3,
                "column": None,
                "severity": "error",
                "field": "Subject",
                "rule": "required",
                "message": "Subject is required",
            },
            {
                "file": "bad.yaml",
                "line": 6,
                "column": 16,
                "severity": "error",
                "field": "nPriority",
                "rule": "priority-range",
                "message": "nPriority 300: use a whole number from 0 to 200 (50 is the server's default)",
            },
            {
                "file": "bad.yaml",
                "line": 7,
                "column": 13,
                "severity": "error",
                "field": "CrmURL",
                "rule": "crm-url",
                "message": 'CrmURL "crm.example.com": write an absolute URL starting with https:// '
                "or http://, without spaces",
            },
            {
                "file": "ok.yaml",
                "line": 14,
                "column": 24,
                "severity": "warning",
                "field": "dtAppointmentDate",
                "rule": "appointment-past",
                "message": "the appointment 2026-11-28 11:00 (Europe/Berlin) is in the past; apply "
                "does not send it (with --allow-past the server rings it at once); use --now to "
                "validate as of another moment",
            },
        ],
    }


def test_json_format_of_a_valid_load_and_with_max_errors(cli: Cli) -> None:
    valid = cli("validate", "ok.yaml", "--now", "2026-11-28T10:00:00", "--format", "json")
    assert valid.exit_code == 0
    assert json.loads(valid.stdout) == {"valid": True, "events": 2, "problems": []}
    capped = cli("validate", "bad.yaml", "--format", "json", "--max-errors", "1")
    assert capped.exit_code == 1
    document = json.loads(capped.stdout)
    assert document["valid"] is False
    assert [p["rule"] for p in document["problems"]] == ["required"]


def test_github_format_writes_workflow_commands(cli: Cli) -> None:
    result = cli("validate", "ok.yaml", "bad.yaml", "--now", NOW, "--format", "github")
    assert result.exit_code == 1
    assert lines(result.stdout) == [
        "::error file=bad.yaml,line=3,title=required::Subject is required",
        "::error file=bad.yaml,line=6,col=16,title=priority-range::nPriority 300: use a whole "
        "number from 0 to 200 (50 is the server's default)",
        '::error file=bad.yaml,line=7,col=13,title=crm-url::CrmURL "crm.example.com": write an '
        "absolute URL starting with https:// or http://, without spaces",
        "::warning file=ok.yaml,line=14,col=24,title=appointment-past::the appointment "
        "2026-11-28 11:00 (Europe/Berlin) is in the past; apply does not send it (with "
        "--allow-past the server rings it at once); use --now to validate as of another moment",
        "invalid: 3 errors, 1 warning in 3 events from 2 files",
    ]


def test_github_format_escapes_what_would_end_a_property_or_a_line(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "a,b.yaml").write_text(BAD.replace("crm.example.com", "50%"), encoding="utf-8")
    result = cli("validate", "a,b.yaml", "--format", "github")
    assert '::error file=a%2Cb.yaml,line=7,col=13,title=crm-url::CrmURL "50%25": ' in result.stdout


# --- usage errors -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "render"])
def test_missing_file_is_a_usage_error_with_a_hint_and_no_traceback(cli: Cli, command: str) -> None:
    result = cli(command, "ok.yaml", "nope.yaml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert lines(result.stderr) == [
        "error: nope.yaml: no such file or directory",
        "hint: name manifest files (.yaml, .yml, .csv) or directories that hold them",
    ]
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an uncaught error


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["validate"], "Missing argument 'PATH...'"),
        (["validate", "ok.yaml", "--now", "tomorrow"], "is not an ISO 8601 timestamp"),
        (["validate", "ok.yaml", "--max-errors", "0"], "--max-errors"),
        (["validate", "ok.yaml", "--format", "xml"], "'xml' is not one of"),
        (["validate", "ok.yaml", "--colour"], "No such option"),
        (["schema", "plan"], "'plan' is not one of"),
    ],
)
def test_bad_command_lines_exit_2(cli: Cli, args: list[str], says: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert says in result.stderr
    assert result.stdout == ""


# --- render -----------------------------------------------------------------------------


def test_render_prints_the_payloads_as_json_lines_in_order(cli: Cli) -> None:
    result = cli("render", "ok.yaml", "--now", "2026-11-28T10:00:00")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert [json.loads(line) for line in lines(result.stdout)] == OK_PAYLOADS
    assert [list(json.loads(line)) for line in lines(result.stdout)] == [
        list(p) for p in OK_PAYLOADS
    ]


def test_render_prints_warnings_on_stderr_and_the_payloads_still(cli: Cli) -> None:
    result = cli("render", "ok.yaml", "--now", NOW)
    assert result.exit_code == 0
    assert [json.loads(line) for line in lines(result.stdout)] == OK_PAYLOADS
    assert lines(result.stderr) == [PAST, "valid: 0 errors, 1 warning in 2 events from 1 file"]


def test_render_of_an_invalid_load_prints_problems_and_no_payload(cli: Cli) -> None:
    result = cli("render", "ok.yaml", "bad.yaml", "--now", NOW)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert lines(result.stderr) == [
        *BAD_LINES,
        PAST,
        "invalid: 3 errors, 1 warning in 3 events from 2 files",
    ]


def test_render_strict_refuses_warnings(cli: Cli) -> None:
    result = cli("render", "ok.yaml", "--now", NOW, "--strict")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "[appointment-past]" in result.stderr


def test_render_keeps_text_as_written_and_unescaped(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "text.yaml").write_text(
        "version: 1\nevents:\n  - {AcdEventTypesID: 6, AcdGroupsID: 235, Sender: 0041791234567,"
        " Subject: 'Grüße € <ok> & \"quoted\"', UserData: 2026-12-01}\n",
        encoding="utf-8",
    )
    result = cli("render", "text.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        '{"AcdEventTypesID":6,"AcdGroupsID":235,"Sender":"0041791234567",'
        '"Subject":"Grüße € <ok> & \\"quoted\\"","UserData":"2026-12-01"}\n'
    )


# --- schema and help --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "file"),
    [
        (["schema"], "acd-event.schema.json"),
        (["schema", "event"], "acd-event.schema.json"),
        (["schema", "manifest"], "manifest.schema.json"),
    ],
)
def test_schema_prints_the_shipped_schema(cli: Cli, args: list[str], file: str) -> None:
    result = cli(*args)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads((SCHEMAS / file).read_text(encoding="utf-8"))
    assert result.stdout == (SCHEMAS / file).read_text(encoding="utf-8")


# list_commands, not main.commands: the group loads its commands lazily.
@pytest.mark.parametrize("command", [None, *main.list_commands(click.Context(main))])
def test_every_command_explains_itself_with_an_example(cli: Cli, command: str | None) -> None:
    result = cli(*([command] if command else []), "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert "acdload " in result.stdout.split("Example", 1)[1]
