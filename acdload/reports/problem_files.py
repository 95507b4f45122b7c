"""Validation problems as files for CI dashboards: SARIF 2.1.0 and JUnit XML.

``validate`` and ``plan`` write them with ``--sarif FILE`` and ``--junit FILE`` besides
what ``--format`` puts on stdout, so one run feeds a log, code scanning and a test report.

- SARIF (GitHub code scanning, GitLab, Azure DevOps): one result per problem, at its file,
  line and column, with the rule as ``ruleId``; each rule found is described from the
  catalogue (summary, default level, a link to its entry in the docs). A CSV problem has no column in the region:
  acdload's CSV column is a spreadsheet column, not a character offset.
- JUnit: one test case per manifest file, so a dashboard shows how many files passed; a
  file with errors fails, its message counting them and its text listing every problem.
  Warnings go to the test case's output.

Unlike the stdout formats these always hold every problem: ``--max-errors`` trims what a
person reads, not what a dashboard files.

Manifests (file names included) come from whoever opened the pull request: every text in
the JUnit XML is escaped (a control character or lone surrogate would make it invalid), and
SARIF writes unsafe characters as JSON escapes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import PurePath
from urllib.parse import quote
from xml.etree import ElementTree

from acdload import __version__
from acdload.outputs import write_outputs
from acdload.problems import RULES, Problem
from acdload.reports.problems import Verdict, summary_line
from acdload.safetext import escape, escape_json

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://pypi.org/project/acdload/"
RULES_DOCS_URI = "https://github.com/OWNER/acdload/blob/main/docs/manifest.md"
"""The page that explains every rule (OWNER: where acdload is published, as in docs/ci.md)."""


def artifact_uri(file: str) -> str:
    """A path as the user gave it, as a URI reference (relative stays relative).

    A file name that is not UTF-8 reaches Python with its bytes as lone surrogates; they
    are percent-encoded as those bytes, so the URI still names the file.
    """
    path = PurePath(file)
    uri = quote(path.as_posix(), errors="surrogateescape")
    return "file://" + uri if path.is_absolute() else uri


def _region(problem: Problem) -> dict[str, int]:
    region = {"startLine": problem.location.line}
    if problem.location.column is not None and not problem.location.file.lower().endswith(".csv"):
        region["startColumn"] = problem.location.column
    return region


def _rule_metadata(slug: str) -> dict[str, object]:
    rule = RULES[slug]
    return {
        "id": slug,
        "name": slug,
        "shortDescription": {"text": rule.summary},
        "helpUri": f"{RULES_DOCS_URI}#{rule.anchor}",
        "defaultConfiguration": {"level": rule.severity.value},
    }


def sarif_document(verdict: Verdict) -> dict[str, object]:
    rule_ids = sorted({problem.rule for problem in verdict.problems})
    index = {rule: number for number, rule in enumerate(rule_ids)}
    results = [
        {
            "ruleId": problem.rule,
            "ruleIndex": index[problem.rule],
            "level": problem.severity.value,  # "error" and "warning" are SARIF levels too
            "message": {"text": problem.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(problem.location.file)},
                        "region": _region(problem),
                    }
                }
            ],
        }
        for problem in verdict.problems
    ]
    driver = {
        "name": "acdload",
        "version": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_rule_metadata(rule) for rule in rule_ids],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def sarif_report(verdict: Verdict) -> str:
    return escape_json(json.dumps(sarif_document(verdict), indent=2, ensure_ascii=False)) + "\n"


def _problem_line(problem: Problem) -> str:
    line = f"{problem.location}: {problem.severity.value}: {problem.message} [{problem.rule}]"
    return escape(line, None)


def junit_report(verdict: Verdict, files: list[str], suite_name: str) -> str:
    """One test case per file: ``files`` in load order, then any other file a problem names."""
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for problem in verdict.problems:
        by_file[problem.location.file].append(problem)
    names = list(dict.fromkeys([*files, *by_file]))
    failing = [name for name in names if any(p.is_error for p in by_file[name])]
    suite = ElementTree.Element(
        "testsuite",
        name=suite_name,
        tests=str(len(names)),
        failures=str(len(failing)),
        errors="0",
        skipped="0",
    )
    for name in names:
        case = ElementTree.SubElement(
            suite, "testcase", classname=suite_name, name=escape(name, None)
        )
        problems = by_file[name]
        errors = [p for p in problems if p.is_error]
        if errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            failure = ElementTree.SubElement(
                case,
                "failure",
                message=escape(f"{first.location}: {first.message}{more}", None),
                type=escape(first.rule, None),
            )
            failure.text = "\n".join(_problem_line(p) for p in errors) + "\n"
        warnings = [p for p in problems if not p.is_error]
        if warnings:
            output = ElementTree.SubElement(case, "system-out")
            output.text = "\n".join(_problem_line(p) for p in warnings) + "\n"
    output = ElementTree.SubElement(suite, "system-out")
    output.text = summary_line(verdict) + "\n"
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_problem_files(
    verdict: Verdict,
    files: list[str],
    *,
    command: str,
    junit: str | None = None,
    sarif: str | None = None,
) -> None:
    """Write the files asked for (owner-only: problems quote phone numbers and names)."""
    write_outputs(
        {
            "--junit": (junit, lambda: junit_report(verdict, files, f"acdload {command}")),
            "--sarif": (sarif, lambda: sarif_report(verdict)),
        }
    )
