"""docs/security.md names the test behind each guarantee: every one it names must exist,
so a renamed or deleted test cannot leave a guarantee unproven while the page still
claims it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.cli.support import REPO

PAGE = REPO / "docs" / "security.md"
TEST_REFERENCE = re.compile(r"(tests/[\w/.-]+\.py)?::(\w+)")
PATH_REFERENCE = re.compile(r"`(tests/[\w/.-]+)`")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_security_page_names_exists() -> None:
    text = PAGE.read_text(encoding="utf-8")
    current: str | None = None
    named = []
    for match in TEST_REFERENCE.finditer(text):
        current = match.group(1) or current
        assert current is not None, f"'::{match.group(2)}' follows no test file"
        named.append((current, match.group(2)))
    assert len(named) > 40
    missing = [
        f"{file}::{name}"
        for file, name in named
        if not (REPO / file).is_file() or name not in _test_names(REPO / file)
    ]
    assert missing == []


def test_every_case_path_the_security_page_names_exists() -> None:
    text = PAGE.read_text(encoding="utf-8")
    paths = [m.group(1).rstrip("/") for m in PATH_REFERENCE.finditer(text)]
    assert paths
    assert [p for p in paths if not (REPO / p).exists()] == []
