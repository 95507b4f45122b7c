"""The callability keys of a YAML manifest: calling_hours, holidays, double_booking, checks.

The rules themselves are ``acdload.check.rules.callability``; this module hands them the
manifest's top-level mapping and puts each issue with a key where that key was written,
so ``holidays: DE-BYY`` is reported at its own line and column, not at the manifest's top.
"""

from __future__ import annotations

from acdload.check.rules.callability import KEYS, read_rules
from acdload.check.rules.severities import KeyIssue, parse_checks
from acdload.manifest.model import Manifest
from acdload.manifest.sources import Mark, YList, YMap
from acdload.problems import Location, Problem


def read_callability(data: YMap, manifest: Manifest) -> list[Problem]:
    """Read the keys into ``manifest`` (its ``callability`` and ``checks``); the problems
    of their values, each at its key's line."""
    if not any(key in data for key in KEYS):
        return []  # nearly every manifest: nothing to read, every rule at its default
    rules, issues = read_rules(data)
    manifest.callability = rules
    if rules is not None:
        manifest.checks = rules.severities
    elif "checks" in data:  # checks alone still sets already-open's severity for plan
        manifest.checks = parse_checks(data["checks"])[0]
    return [
        Problem(_where(data, issue, manifest.display), issue.severity, issue.rule, issue.message)
        for issue in issues
    ]


def _where(data: YMap, issue: KeyIssue, display: str) -> Location:
    """The line (and column) of the deepest part of ``issue.key`` written in ``data``: a
    scalar's value, a mapping's or list's key."""
    node: object = data
    mark: Mark = (data.line, data.column)
    for name in issue.key:
        if not isinstance(node, YMap) or name not in node:
            break
        value = node[name]
        found = node.key_marks.get(name) if isinstance(value, YMap | YList) else None
        mark = found or node.value_marks.get(name) or node.key_marks.get(name) or mark
        node = value
    return Location(display, mark[0], mark[1])
