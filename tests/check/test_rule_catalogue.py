"""The rule catalogue (``acdload.problems.RULES``) is the one list of rules: no problem names
a rule outside it, the event schema's rules are in it, the regression cases report its
rules at its severities, SARIF describes rules from it, and nothing in it is dead.

(The docs side, every rule documented under its anchor, is ``tests/cli/test_docs.py``.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from acdload.check import schema
from acdload.check.rules.severities import DEFAULTS
from acdload.problems import RULES, Location, Problem, Severity, error, strict, warning
from acdload.reports.problem_files import RULES_DOCS_URI
from tests.cli_runner import Cli
from tests.reports.test_problem_files import sarif_of

REPO = Path(__file__).parent.parent.parent
SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
HERE = Location("tickets.yaml", 3, 5)


def test_every_rule_is_a_slug_with_a_one_sentence_summary() -> None:
    assert len(RULES) > 60
    for slug, rule in RULES.items():
        assert rule.slug == slug and SLUG.fullmatch(slug), slug
        # SARIF shows it where space is short: one sentence, one line.
        assert rule.summary.endswith(".") and "\n" not in rule.summary, slug
        assert len(rule.summary) <= 80, slug


@pytest.mark.parametrize(
    "make",
    [
        lambda rule: error(HERE, rule, "message"),
        lambda rule: warning(HERE, rule, "message"),
        lambda rule: Problem(HERE, Severity.ERROR, rule, "message"),
    ],
    ids=["error", "warning", "Problem"],
)
def test_a_problem_naming_a_rule_outside_the_catalogue_is_refused(make: Any) -> None:
    with pytest.raises(ValueError, match=r"unknown rule 'yaml-sytnax'.*RULES.*docs/manifest\.md"):
        make("yaml-sytnax")
    assert make("yaml-syntax").rule == "yaml-syntax"


def test_strict_keeps_the_rule_and_changes_only_the_severity() -> None:
    (made,) = strict([warning(HERE, "no-events", "the manifest has neither events nor source")])
    assert (made.rule, made.severity) == ("no-events", Severity.ERROR)


def test_checks_names_exactly_the_configurable_rules_at_their_default_severity() -> None:
    configurable = [rule for rule in RULES.values() if rule.configurable]
    assert list(DEFAULTS.items()) == [(rule.slug, rule.severity) for rule in configurable]
    assert not RULES["checks-syntax"].configurable  # it cannot switch itself off


# The schema --------------------------------------------------------------------------


def _annotated(node: Any, inherited: bool, found: set[str]) -> None:
    if isinstance(node, dict):
        annotation = node.get("x-acdload")
        if isinstance(annotation, dict) and "rule" in annotation:
            found.add(annotation["rule"])
        here = inherited or isinstance(annotation, dict)
        for keyword in schema._KEYWORD_RULES:
            if keyword in node and (keyword in schema._GENERIC_KEYWORDS or not here):
                found.add(schema._KEYWORD_RULES[keyword])
        for value in node.values():
            _annotated(value, here, found)
    elif isinstance(node, list):
        for value in node:
            _annotated(value, inherited, found)


def rules_in_schema() -> set[str]:
    """The event schema's ``x-acdload`` rules, and the keyword rules it can give (as
    ``EventChecker`` names a failure: a generic keyword keeps its own rule, any other takes
    the rule of the annotated subschema it is in)."""
    found: set[str] = set()
    event = schema.load_schema("event")
    _annotated(event, False, found)
    if "additionalProperties" in event:
        found.add(schema._KEYWORD_RULES["additionalProperties"])
    return found


def test_the_schema_and_the_catalogue_agree() -> None:
    in_schema = rules_in_schema()
    assert {"crm-url", "positive-id", "id-range", "required", "unknown-field"} <= in_schema
    assert sorted(in_schema - set(RULES)) == []
    # A schema failure is always an error: the catalogue must not call it a warning.
    assert [rule for rule in sorted(in_schema) if not RULES[rule].is_error] == []


# The cases and the code ----------------------------------------------------------------


def rules_in_cases() -> list[tuple[str, str, str]]:
    """(expected file, severity, rule) of every problem the regression cases expect."""
    found = []
    for expected in sorted((REPO / "tests" / "cases").rglob("*expected")):
        for line in expected.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                severity, rule = line.split()[1:3]
                found.append((expected.name, severity, rule))
    return found


def test_the_cases_report_catalogue_rules_at_their_default_severity() -> None:
    cases = rules_in_cases()
    assert len({rule for _, _, rule in cases}) > 30
    wrong = [
        (name, severity, rule)
        for name, severity, rule in cases
        if rule not in RULES or (severity != RULES[rule].severity and not RULES[rule].configurable)
    ]
    assert wrong == []


def strings_in_code() -> set[str]:
    """Every string literal of the library outside the catalogue itself."""
    found: set[str] = set()
    for path in (REPO / "acdload").rglob("*.py"):
        if "emulator" in path.parts or path == REPO / "acdload" / "problems.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_no_rule_of_the_catalogue_is_dead() -> None:
    """A rule the code no longer names would stay documented for nothing. A rule ``checks:``
    can name is in use while ``checks:`` accepts it."""
    used = strings_in_code() | rules_in_schema()
    dead = [r.slug for r in RULES.values() if r.slug not in used and not r.configurable]
    assert dead == []


# SARIF ---------------------------------------------------------------------------------

MANIFEST = """\
version: 1
timezone: Europe/Berlin
events:
  - AcdEventTypesID: 3
    AcdGroupsID: 235
    Sender: "+49 170 1234567"
    Subject: Call back
    nPriority: 300
    dtAppointmentDate: "2026-01-05"
"""


@pytest.mark.parametrize("strict_flag", [[], ["--strict"]], ids=["default", "strict"])
def test_sarif_describes_each_rule_found_from_the_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli, strict_flag: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("callbacks.yaml").write_text(MANIFEST, encoding="utf-8")
    args = ["validate", "callbacks.yaml", "--now", "2026-11-28T12:00:00", "--sarif", "out.sarif"]
    result = cli(*args, *strict_flag)
    assert result.exit_code == 1, result.output
    (run,) = sarif_of("out.sarif")["runs"]  # valid against the vendored SARIF 2.1.0 schema
    described = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert described == {
        slug: {
            "id": slug,
            "name": slug,
            "shortDescription": {"text": RULES[slug].summary},
            "helpUri": f"{RULES_DOCS_URI}#{anchor}",
            "defaultConfiguration": {"level": level},
        }
        for slug, anchor, level in [
            ("appointment-past", "appointment-past-warning", "warning"),
            ("priority-range", "priority-range", "error"),
        ]
    }
    # --strict changes what this run found, not what the rule is by default.
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"priority-range": "error", "appointment-past": "warning"} | (
        {"appointment-past": "error"} if strict_flag else {}
    )
