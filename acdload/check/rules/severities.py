"""How serious each callability rule is, and the manifest's ``checks:`` key that changes it.

A call centre that must never ring after 20:00 wants ``outside-calling-hours`` to stop a
load; one that merely prefers not to double-book wants ``double-booked`` as a warning, or
off. The defaults are the rule catalogue's (:data:`acdload.problems.RULES`, the issue's
table); ``checks:`` overrides them per manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from acdload.manifest.model import suggest
from acdload.problems import RULES, Severity
from acdload.safetext import quote

DEFAULTS: Mapping[str, Severity] = {
    rule.slug: rule.severity for rule in RULES.values() if rule.configurable
}
"""Every rule ``checks:`` can name, with its severity when ``checks:`` does not."""

CHECKS_SYNTAX = "checks-syntax"
"""A ``checks:`` entry that cannot be read: always an error (it cannot switch itself off)."""

Severities = Mapping[str, Severity | None]
"""Rule -> its severity in this manifest; None: the rule is off."""

_SHOWN_BITS = 256
_OFF = "off"
_WRITTEN = {"error": Severity.ERROR, "warning": Severity.WARNING, _OFF: None}
_HOW = "write one rule per line with error, warning or off, e.g. `double-booked: off`"


@dataclass(frozen=True, slots=True)
class KeyIssue:
    """What is wrong with a manifest key's value, and under which key it was written.

    ``key`` is the path from the manifest's top (``("calling_hours", "mon-fri")``), so the
    manifest reader can put the problem at that line.
    """

    rule: str
    message: str
    key: tuple[str, ...]
    severity: Severity = Severity.ERROR


def shown(value: object) -> str:
    """A value as written, for a message: text quoted safely, anything else by its kind."""
    if value is None:
        return "empty"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return quote(text_of(value))


def text_of(value: object) -> str:
    """A scalar (or a mapping's key) as text: a YAML loader may give numbers, and str()
    refuses ints beyond 4,300 digits."""
    if isinstance(value, int) and value.bit_length() > _SHOWN_BITS:
        return "a number too long to show"
    return str(value)


def then(text: str, advice: str) -> str:
    """A message and the advice after it, without a "?;" where a "did you mean" ends it."""
    return f"{text} {advice[:1].upper()}{advice[1:]}" if text.endswith("?") else f"{text}; {advice}"


def parse_checks(value: object) -> tuple[dict[str, Severity | None], list[KeyIssue]]:
    """The severity of every rule after ``checks:`` (``value`` as YAML gave it).

    YAML 1.1 loaders read an unquoted ``off`` as False; it means off here too.
    """
    severities: dict[str, Severity | None] = dict(DEFAULTS)
    if value is None:
        return severities, []
    if not isinstance(value, Mapping):
        return severities, [
            KeyIssue(
                CHECKS_SYNTAX, f"checks must be a mapping of rule to severity; {_HOW}", ("checks",)
            )
        ]
    issues = []
    for rule, written in value.items():
        name = text_of(rule)
        if name not in DEFAULTS:
            issues.append(
                KeyIssue(
                    CHECKS_SYNTAX,
                    then(
                        f"checks: unknown rule {quote(name)}{suggest(name, DEFAULTS)}",
                        "the rules are " + ", ".join(DEFAULTS),
                    ),
                    ("checks", name),
                )
            )
            continue
        text = _OFF if written is False else written if isinstance(written, str) else ""
        if text not in _WRITTEN:
            issues.append(
                KeyIssue(
                    CHECKS_SYNTAX,
                    then(
                        f"checks: {name} is {shown(written)}{suggest(text, _WRITTEN)}",
                        "a rule's severity is error, warning or off",
                    ),
                    ("checks", name),
                )
            )
            continue
        severities[name] = _WRITTEN[text]
    return severities, issues


def severity_in(checks: Severities | None, rule: str) -> Severity | None:
    """``rule``'s severity in a manifest whose ``checks:`` key gave ``checks`` (None: it has
    none, so every rule is at its default); None: the rule is off there."""
    return (DEFAULTS if checks is None else checks)[rule]
