"""The documentation cannot drift from the code: the CLI reference is generated, and every
exit code, manifest key, event field and rule the code has is documented."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from acdload.check import schema
from acdload.check.schema import event_fields
from acdload.errors import ExitCode
from acdload.manifest.source_section import SOURCE_KEYS
from acdload.manifest.yaml_manifest import MANIFEST_KEYS
from tests.cli.support import REPO

DOCS = REPO / "docs"
RULE_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
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


def _rule_parameters(tree: ast.Module) -> dict[str, int]:
    """Functions and dataclasses with a parameter or field called ``rule``: its position."""
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [arg.arg for arg in node.args.args]
            if names and names[0] in ("self", "cls"):
                names = names[1:]
            if "rule" in names:
                found[node.name] = names.index("rule")
        elif isinstance(node, ast.ClassDef):
            fields = [
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            ]
            if "rule" in fields:
                found[node.name] = fields.index("rule")
    return found


def _strings(node: ast.AST, constants: dict[str, ast.AST]) -> Iterator[str]:
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            yield inner.value
        elif isinstance(inner, ast.Name) and inner.id in constants:
            yield from _strings(constants[inner.id], {})


def rules_in_code() -> set[str]:
    """Every rule name the library passes where a problem's rule goes.

    ``schema.py`` maps JSON Schema keywords to rules; ``rules_in_schema`` reads those.
    """
    sources = [
        path
        for path in (REPO / "acdload").rglob("*.py")
        if "emulator" not in path.parts and path.name != "schema.py"
    ]
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sources}
    positions: dict[str, int] = {}
    for tree in trees.values():
        positions.update(_rule_parameters(tree))
    found: set[str] = set()
    for tree in trees.values():
        constants = {
            target.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and (t.id == "rule" or t.id.endswith("_RULE"))
                for t in node.targets
            ):
                found.update(_strings(node.value, constants))
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            arguments = [k.value for k in node.keywords if k.arg == "rule"]
            if name in positions and len(node.args) > positions[name]:
                arguments.append(node.args[positions[name]])
            for argument in arguments:
                found.update(_strings(argument, constants))
    return {rule for rule in found if RULE_NAME.fullmatch(rule)}


def _annotated(node: Any, inherited: bool, found: set[str], keywords: set[str]) -> None:
    if isinstance(node, dict):
        annotation = node.get("x-acdload")
        if isinstance(annotation, dict) and "rule" in annotation:
            found.add(annotation["rule"])
        here = inherited or isinstance(annotation, dict)
        for keyword in schema._KEYWORD_RULES:
            if keyword in node and (keyword in schema._GENERIC_KEYWORDS or not here):
                keywords.add(schema._KEYWORD_RULES[keyword])
        for value in node.values():
            _annotated(value, here, found, keywords)
    elif isinstance(node, list):
        for value in node:
            _annotated(value, inherited, found, keywords)


def rules_in_schema() -> set[str]:
    """The schema's ``x-acdload`` rules, and the generic keyword rules it can give."""
    found: set[str] = set()
    event = json.loads((REPO / "schemas" / "acd-event.schema.json").read_text(encoding="utf-8"))
    _annotated(event, False, found, found)
    if "additionalProperties" in event:
        found.add(schema._KEYWORD_RULES["additionalProperties"])
    return found


def rules_in_cases() -> set[str]:
    found = set()
    for expected in (REPO / "tests" / "cases").rglob("*expected"):
        for line in expected.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                found.add(line.split()[2])
    return found


def documented_rules() -> dict[str, str]:
    """Rule name -> its section of docs/manifest.md."""
    text = (DOCS / "manifest.md").read_text(encoding="utf-8")
    sections = re.split(r"^#### ", text, flags=re.MULTILINE)[1:]
    rules = {}
    for section in sections:
        heading = re.match(r"`([a-z0-9-]+)`", section)
        assert heading, f"a rule heading is not `rule-name`: {section.splitlines()[0]}"
        rules[heading.group(1)] = section
    return rules


def test_the_rule_collectors_find_rules() -> None:
    assert {"yaml-syntax", "csv-header", "datetime-format", "encoding"} <= rules_in_code()
    assert {"crm-url", "positive-id", "required", "unknown-field"} <= rules_in_schema()
    assert len(rules_in_cases()) > 30


def test_every_rule_is_documented_with_an_example() -> None:
    emitted = rules_in_code() | rules_in_schema() | rules_in_cases()
    documented = documented_rules()
    missing = sorted(emitted - set(documented))
    assert not missing, f"rules missing from docs/manifest.md: {missing}"
    stale = sorted(set(documented) - emitted)
    assert not stale, f"docs/manifest.md documents rules the code does not have: {stale}"
    for rule, section in documented.items():
        examples = re.findall(r"```text\n(.*?)```", section, flags=re.DOTALL)
        lines = [line for block in examples for line in block.splitlines()]
        assert lines, f"{rule}: no example"
        assert all(line.endswith(f" [{rule}]") for line in lines), f"{rule}: {lines}"
        assert all(re.match(r"\S+:\d+(:\d+)?: (error|warning): ", line) for line in lines)


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
