"""How validation problems are shown: text for people, JSON for tools, GitHub annotations.

Adding a format is adding a class to ``PROBLEM_REPORTERS``. File names and messages come
from whoever wrote the manifests: each format shows them escaped (no control character
reaches a terminal or a CI log; JSON writes them as ``\\u`` escapes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar, TextIO

from acdload.problems import Problem
from acdload.safetext import escape, escape_json


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a validation run found, as every reporter needs it."""

    problems: list[Problem]
    events: int
    files: int

    @property
    def errors(self) -> int:
        return sum(1 for problem in self.problems if problem.is_error)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    @property
    def valid(self) -> bool:
        return self.errors == 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(verdict: Verdict) -> str:
    outcome = "valid" if verdict.valid else "invalid"
    return (
        f"{outcome}: {_plural(verdict.errors, 'error')}, {_plural(verdict.warnings, 'warning')} "
        f"in {_plural(verdict.events, 'event')} from {_plural(verdict.files, 'file')}"
    )


class ProblemReporter:
    name: ClassVar[str]

    def __init__(self, out: TextIO, max_problems: int | None = None, summary: bool = True) -> None:
        self.out = out
        self.max_problems = max_problems
        self.summary = summary  # the closing summary line (text and github; off with --quiet)

    def shown(self, verdict: Verdict) -> list[Problem]:
        if self.max_problems is None:
            return verdict.problems
        return verdict.problems[: self.max_problems]

    def report(self, verdict: Verdict) -> None:
        raise NotImplementedError


class TextReporter(ProblemReporter):
    """``FILE:LINE:COLUMN: SEVERITY: MESSAGE [RULE]`` per problem, then a summary line."""

    name = "text"

    def report(self, verdict: Verdict) -> None:
        shown = self.shown(verdict)
        for problem in shown:
            line = (
                f"{problem.location}: {problem.severity.value}: {problem.message} [{problem.rule}]"
            )
            self.out.write(escape(line, None) + "\n")
        hidden = len(verdict.problems) - len(shown)
        if hidden:
            self.out.write(f"... {hidden} more not shown (--max-errors {self.max_problems})\n")
        if self.summary:
            self.out.write(summary_line(verdict) + "\n")


class JsonReporter(ProblemReporter):
    """``{"valid", "events", "problems": [...]}`` on one document."""

    name = "json"

    def report(self, verdict: Verdict) -> None:
        document = {
            "valid": verdict.valid,
            "events": verdict.events,
            "problems": [problem.as_dict() for problem in self.shown(verdict)],
        }
        self.out.write(escape_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n")


def _escape_data(text: str) -> str:
    return escape(text, None).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(ProblemReporter):
    """GitHub Actions workflow commands: each problem becomes an annotation at its line."""

    name = "github"

    def report(self, verdict: Verdict) -> None:
        for problem in self.shown(verdict):
            loc = problem.location
            props = [f"file={_escape_property(loc.file)}", f"line={loc.line}"]
            if loc.column is not None:
                props.append(f"col={loc.column}")
            props.append(f"title={_escape_property(problem.rule)}")
            self.out.write(
                f"::{problem.severity.value} {','.join(props)}::{_escape_data(problem.message)}\n"
            )
        if self.summary:
            self.out.write(summary_line(verdict) + "\n")


PROBLEM_REPORTERS: dict[str, type[ProblemReporter]] = {
    cls.name: cls for cls in (TextReporter, JsonReporter, GithubReporter)
}
