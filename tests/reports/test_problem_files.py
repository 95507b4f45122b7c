"""``--sarif`` and ``--junit`` on validate and plan, and ``validate --format auto``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from acdload.reports.problem_files import artifact_uri
from tests.cli_runner import Cli

SARIF_SCHEMA = Path(__file__).parent.parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
NOW = "2026-11-28T12:00:00"

GOOD = """\
version: 1
defaults: {AcdEventTypesID: 6, AcdGroupsID: 235, Subject: "Ticket {{ UserData }}"}
events:
  - {Sender: info@example.com, UserData: "1"}
"""
BAD = """\
version: 1
events:
  - AcdEventTypesID: 6
    AcdGroupsID: 235
    Sender: info@example.com
    nPriority: 300
    CrmURL: crm.example.com
"""
PAST = """\
version: 1
timezone: Europe/Berlin
defaults: {AcdEventTypesID: 3, AcdGroupsID: 235, Subject: "Call back"}
events:
  - {Sender: "+49 170 1234567", UserData: "CB-1", dtAppointmentDate: "2026-01-05", dtAppointmentTime: "09:00"}
"""
BAD_CSV = """\
AcdEventTypesID,AcdGroupsID,Sender,Subject,dtAppointmentTime
3,235,+49 170 1234568,Call back,25:00
"""


@pytest.fixture(autouse=True)
def _manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "manifests"
    folder.mkdir()
    for name, text in (
        ("a-good.yaml", GOOD),
        ("b-bad.yaml", BAD),
        ("c-past.yaml", PAST),
        ("d bad.csv", BAD_CSV),
    ):
        (folder / name).write_text(text, encoding="utf-8")


def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def sarif_of(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    errors = sorted(sarif_validator().iter_errors(document), key=str)
    assert not errors, "\n".join(e.message for e in errors)
    return document


def test_sarif_is_valid_sarif_2_1_0_with_every_problem_at_its_line(cli: Cli) -> None:
    result = cli("validate", "manifests", "--now", NOW, "--sarif", "out.sarif", "--max-errors", "1")
    assert result.exit_code == 1
    document = sarif_of("out.sarif")
    assert document["version"] == "2.1.0"
    (sarif_run,) = document["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "acdload"
    assert driver["version"]
    rules = [rule["id"] for rule in driver["rules"]]
    found = [
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"],
        )
        for r in sarif_run["results"]
    ]
    # --max-errors trims what a person reads, never the file a dashboard reads.
    assert found == [
        ("required", "error", "manifests/b-bad.yaml", {"startLine": 3}),
        ("priority-range", "error", "manifests/b-bad.yaml", {"startLine": 6, "startColumn": 16}),
        ("crm-url", "error", "manifests/b-bad.yaml", {"startLine": 7, "startColumn": 13}),
        (
            "appointment-past",
            "warning",
            "manifests/c-past.yaml",
            {"startLine": 5, "startColumn": 70},
        ),
        # A CSV column is a spreadsheet column, not a character offset: no startColumn.
        ("time-format", "error", "manifests/d%20bad.csv", {"startLine": 2}),
    ]
    for r in sarif_run["results"]:
        assert rules[r["ruleIndex"]] == r["ruleId"]
        assert r["message"]["text"]
    assert sorted(rules) == rules == sorted({f[0] for f in found})


def test_sarif_of_a_clean_run_is_valid_and_empty(cli: Cli) -> None:
    result = cli("validate", "manifests/a-good.yaml", "--sarif", "clean.sarif")
    assert result.exit_code == 0, result.output
    document = sarif_of("clean.sarif")
    assert document["runs"][0]["results"] == []
    assert document["runs"][0]["tool"]["driver"]["rules"] == []


def test_artifact_uris_are_uri_references() -> None:
    assert artifact_uri("manifests/a b.yaml") == "manifests/a%20b.yaml"
    assert artifact_uri("/srv/loads/x.yaml") == "file:///srv/loads/x.yaml"


def test_junit_has_one_test_case_per_file_failing_on_errors(cli: Cli) -> None:
    result = cli("validate", "manifests", "--now", NOW, "--junit", "out.xml", "--format", "json")
    assert result.exit_code == 1
    json.loads(result.output)  # --format still decides stdout
    suite = ElementTree.parse("out.xml").getroot()
    assert suite.tag == "testsuite"
    assert suite.get("name") == "acdload validate"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == [
        "manifests/a-good.yaml",
        "manifests/b-bad.yaml",
        "manifests/c-past.yaml",
        "manifests/d bad.csv",
    ]
    assert suite.get("tests") == "4"
    assert suite.get("failures") == "2"
    assert cases["manifests/a-good.yaml"].find("failure") is None
    failure = cases["manifests/b-bad.yaml"].find("failure")
    assert failure is not None
    assert failure.get("message") == "manifests/b-bad.yaml:3: Subject is required (and 2 more)"
    assert failure.text is not None
    assert "manifests/b-bad.yaml:6:16: error: nPriority 300" in failure.text
    assert len(failure.text.splitlines()) == 3
    past = cases["manifests/c-past.yaml"]
    assert past.find("failure") is None, "a warning does not fail the file"
    output = past.find("system-out")
    assert output is not None and output.text is not None
    assert "[appointment-past]" in output.text
    assert cases["manifests/d bad.csv"].find("failure") is not None


def test_junit_with_strict_fails_on_warnings(cli: Cli) -> None:
    cli("validate", "manifests/c-past.yaml", "--now", NOW, "--strict", "--junit", "out.xml")
    suite = ElementTree.parse("out.xml").getroot()
    assert suite.get("failures") == "1"


def test_junit_names_a_file_that_could_not_be_parsed(cli: Cli) -> None:
    Path("broken.yaml").write_text("version: 1\nevents: [\n", encoding="utf-8")
    cli("validate", "broken.yaml", "--junit", "out.xml")
    cases = [case.get("name") for case in ElementTree.parse("out.xml").getroot().iter("testcase")]
    assert cases == ["broken.yaml"]


def test_plan_writes_the_files_before_it_stops_on_invalid_input(cli: Cli) -> None:
    result = cli(
        "plan",
        "manifests",
        "--offline",
        "--now",
        NOW,
        "--sarif",
        "plan.sarif",
        "--junit",
        "plan.xml",
    )
    assert result.exit_code == 1
    assert len(sarif_of("plan.sarif")["runs"][0]["results"]) == 5
    assert ElementTree.parse("plan.xml").getroot().get("name") == "acdload plan"


def test_plan_of_a_valid_load_writes_passing_files(cli: Cli) -> None:
    result = cli(
        "plan", "manifests/a-good.yaml", "--offline", "--sarif", "p.sarif", "--junit", "p.xml"
    )
    assert result.exit_code == 0, result.output
    assert sarif_of("p.sarif")["runs"][0]["results"] == []
    assert ElementTree.parse("p.xml").getroot().get("failures") == "0"


@pytest.mark.parametrize(
    ("format_args", "github_actions", "annotations"),
    [
        (["--format", "auto"], "true", True),
        (["--format", "auto"], None, False),
        (["--format", "auto"], "false", False),
        ([], "true", False),  # the default stays text, even inside GitHub Actions
    ],
)
def test_format_auto_picks_github_annotations_inside_github_actions(
    cli: Cli, format_args: list[str], github_actions: str | None, annotations: bool
) -> None:
    env = {"GITHUB_ACTIONS": github_actions} if github_actions else None
    result = cli("validate", "manifests/b-bad.yaml", *format_args, env=env)
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    if annotations:
        assert (
            first == "::error file=manifests/b-bad.yaml,line=3,title=required::Subject is required"
        )
    else:
        assert first == "manifests/b-bad.yaml:3: error: Subject is required [required]"
