"""The documentation cannot drift from the code: the CLI reference is generated, and every
exit code, manifest key, event field and rule of the catalogue is documented."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from acdload.check.schema import event_fields
from acdload.errors import ExitCode
from acdload.manifest.source_section import SOURCE_KEYS
from acdload.manifest.yaml_manifest import MANIFEST_KEYS
from acdload.problems import RULES
from tests.cli.support import REPO

DOCS = REPO / "docs"
WRITTEN_ELSEWHERE = {"walkthrough-german-excel.md", "apply.md"}
"""Pages other work adds; links to them are checked once they exist."""


def _gen_cli() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli", DOCS / "gen_cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_generated_from_the_help() -> None:
    expected = _gen_cli().render_cli_reference()
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == expected, (
        "docs/cli.md is out of date: run python docs/gen_cli.py"
    )


def test_exit_codes_are_all_documented() -> None:
    text = (DOCS / "exit-codes.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {code.value} | `{code.name}` |" in text, f"{code!r} is not in the table"


# Rules ---------------------------------------------------------------------------------


def documented_rules() -> dict[str, tuple[str, str]]:
    """Rule name -> (its heading, its entry) in docs/manifest.md; an entry runs to the next
    heading of any level."""
    text = (DOCS / "manifest.md").read_text(encoding="utf-8")
    entries = re.findall(r"^#### (.*)\n((?:(?!#{1,4} ).*\n?)*)", text, flags=re.MULTILINE)
    rules = {}
    for heading, entry in entries:
        name = re.match(r"`([a-z0-9-]+)`", heading)
        assert name, f"a rule heading is not `rule-name`: {heading}"
        rules[name.group(1)] = (heading, entry)
    return rules


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_every_rule_of_the_catalogue_is_documented_with_an_example() -> None:
    documented = documented_rules()
    missing = sorted(set(RULES) - set(documented))
    assert not missing, f"rules missing from docs/manifest.md: {missing}"
    stale = sorted(set(documented) - set(RULES))
    assert not stale, f"docs/manifest.md documents rules the catalogue does not have: {stale}"
    for slug, (heading, entry) in documented.items():
        rule = RULES[slug]
        assert github_anchor(heading) == rule.anchor, f"{heading}: its severity is {rule.severity}"
        examples = re.findall(r"```text\n(.*?)```", entry, flags=re.DOTALL)
        lines = [line for block in examples for line in block.splitlines()]
        assert lines, f"{slug}: no example"
        assert all(line.endswith(f" [{slug}]") for line in lines), f"{slug}: {lines}"
        severity = f"({rule.severity})" if not rule.configurable else "(error|warning)"
        assert all(re.match(rf"\S+:\d+(:\d+)?: {severity}: ", line) for line in lines), lines


@pytest.mark.parametrize(
    ("names", "what"),
    [
        (MANIFEST_KEYS, "top-level key"),
        (SOURCE_KEYS, "source key"),
        (event_fields().order, "event field"),
    ],
)
def test_every_key_and_field_is_documented(names: tuple[str, ...], what: str) -> None:
    text = (DOCS / "manifest.md").read_text(encoding="utf-8")
    for name in names:
        assert f"| `{name}` |" in text, f"{what} {name} is not in docs/manifest.md"


# Links ---------------------------------------------------------------------------------

PAGES = [*sorted(DOCS.glob("*.md")), REPO / "examples" / "ci" / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        if path.name in WRITTEN_ELSEWHERE and not path.exists():
            continue
        assert path.exists(), f"{page.name}: broken link {target}"
