"""The architecture, read from the source: who may import click, who may start the
emulator, and no import cycles.

The graph is read with ``ast`` (nothing is imported), from every module of ``acdload/``.
Imports inside functions count like those at the top: a function-level import is how a
cycle hides (``reports/plan.py`` imported ``reports/html.py`` inside a method because the
page's module imported it back). Imports under ``if TYPE_CHECKING:`` never run, so they
cannot make import order matter: the cycle check leaves them out (the other rules count
them). A module's edge goes to the module it names (``from acdload.reports import
redact`` is an edge to ``acdload.reports.redact``, ``from acdload import __version__`` to
``acdload/__init__.py``); the parent packages Python also runs are not edges, or every
module would be in a cycle with any package ``__init__`` that re-exports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "acdload"

CLI = "acdload.cli"
EMULATOR = "acdload.emulator"
EMULATOR_COMMAND = "acdload.emulator.command"
TARGET = "acdload.target"


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``importer`` names ``imported`` at ``where``."""

    importer: str
    imported: str
    where: str
    type_only: bool


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` (a directory)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_in(
    nodes: Iterable[ast.AST], type_only: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, nested ones included, and whether only a type checker runs it."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _imports_in(node.body, True)
            yield from _imports_in(node.orelse, type_only)
        else:
            yield from _imports_in(ast.iter_child_nodes(node), type_only)


def imports(package: Path) -> list[Import]:
    """Every import in ``package``'s modules, resolved to module names where they are inside."""
    files = module_files(package)
    found = []
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, type_only in _imports_in(tree.body, False):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parent = name.split(".")[: len(name.split(".")) - node.level + is_package]
                    base = ".".join([*parent, *([base] if base else [])])
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                ]
            where = f"{path.relative_to(package.parent)}:{node.lineno}"
            for target in dict.fromkeys(targets):
                found.append(Import(name, _known(target, files), where, type_only))
    return found


def _known(target: str, files: dict[str, Path]) -> str:
    """The module of ``files`` that ``target`` is or is inside; ``target`` if none (click)."""
    name = target
    while name and name not in files:
        name = name.rpartition(".")[0]
    return name or target


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def cycles(edges: list[Import]) -> list[list[Import]]:
    """One shortest cycle per strongly connected group of modules (Tarjan, then a search)."""
    graph: dict[str, dict[str, Import]] = {}
    for edge in edges:
        if edge.importer != edge.imported:
            graph.setdefault(edge.importer, {}).setdefault(edge.imported, edge)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return [_shortest_cycle(graph, group) for group in groups]


def _shortest_cycle(graph: dict[str, dict[str, Import]], group: set[str]) -> list[Import]:
    start = min(group)
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt, edge in sorted(graph.get(node, {}).items()):
                if nxt == start:
                    return [*paths[node], edge]
                if nxt in group and nxt not in paths:
                    paths[nxt] = [*paths[node], edge]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group has one


def shown(cycle: list[Import]) -> str:
    return " -> ".join(f"{edge.importer} ({edge.where})" for edge in cycle) + (
        f" -> {cycle[0].importer}"
    )


ACDLOAD_IMPORTS = imports(PACKAGE)


def test_only_the_command_line_imports_click() -> None:
    wrong = [
        f"{edge.where} imports {edge.imported}"
        for edge in ACDLOAD_IMPORTS
        if inside(edge.imported, "click")
        and not inside(edge.importer, CLI)
        and edge.importer != EMULATOR_COMMAND
    ]
    assert not wrong, "click belongs to acdload/cli/ (and the emulator's command):\n" + "\n".join(
        wrong
    )


def test_the_emulator_is_started_only_by_the_cli_and_one_target_module() -> None:
    starters = {
        edge.importer: edge
        for edge in ACDLOAD_IMPORTS
        if inside(edge.imported, EMULATOR)
        and not inside(edge.importer, EMULATOR)
        and not inside(edge.importer, CLI)
    }
    wrong = [edge for name, edge in starters.items() if not inside(name, TARGET)]
    assert not wrong, "only acdload/cli/ and the embedded starter in acdload/target/ " + (
        "may import the emulator:\n" + "\n".join(f"{e.where} imports {e.imported}" for e in wrong)
    )
    assert len(starters) <= 1, f"one module of acdload/target/ starts the emulator: {starters}"


def test_the_emulator_shares_no_code_with_the_client() -> None:
    wrong = [
        f"{edge.where} imports {edge.imported}"
        for edge in ACDLOAD_IMPORTS
        if inside(edge.importer, EMULATOR)
        and inside(edge.imported, "acdload")
        and not inside(edge.imported, EMULATOR)
    ]
    assert not wrong, "acdload/emulator/ stands alone (it plays the server):\n" + "\n".join(wrong)


def test_no_import_cycle() -> None:
    found = cycles([edge for edge in ACDLOAD_IMPORTS if not edge.type_only])
    assert not found, (
        "import cycles (move what both sides need into a module they both import):\n"
        + ("\n".join(shown(cycle) for cycle in found))
    )


# The reader itself, on a small package: it must see what the rules above rely on. -------


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "import click\nfrom pkg import b\n",
        "b.py": "def later() -> None:\n    from pkg.sub import c\n",
        "sub/__init__.py": "from . import c\n",
        "sub/c.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import X\n"
            "else:\n    from .. import b\n"
        ),
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_the_reader_resolves_every_kind_of_import(package: Path) -> None:
    edges = {(e.importer, e.imported, e.where, e.type_only) for e in imports(package)}
    assert edges == {
        ("pkg.a", "click", "pkg/a.py:1", False),
        ("pkg.a", "pkg.b", "pkg/a.py:2", False),
        ("pkg.b", "pkg.sub.c", "pkg/b.py:2", False),  # inside a function
        ("pkg.sub", "pkg.sub.c", "pkg/sub/__init__.py:1", False),  # relative, in a package
        ("pkg.sub.c", "typing", "pkg/sub/c.py:1", False),
        ("pkg.sub.c", "pkg.a", "pkg/sub/c.py:3", True),
        ("pkg.sub.c", "pkg.b", "pkg/sub/c.py:5", False),  # the else of TYPE_CHECKING runs
    }


def test_a_cycle_through_a_function_level_import_is_found(package: Path) -> None:
    found = cycles([edge for edge in imports(package) if not edge.type_only])
    assert [shown(cycle) for cycle in found] == [
        "pkg.b (pkg/b.py:2) -> pkg.sub.c (pkg/sub/c.py:5) -> pkg.b"
    ]
    (package / "sub" / "c.py").write_text("from ..a import X\n", encoding="utf-8")
    assert [shown(c) for c in cycles(imports(package))] == [
        "pkg.a (pkg/a.py:2) -> pkg.b (pkg/b.py:2) -> pkg.sub.c (pkg/sub/c.py:1) -> pkg.a"
    ]


def test_the_benchmarks_use_only_the_public_api() -> None:
    """bench/ measures what users run: ``import acdload`` and the command line. An import of
    an internal module would tie a benchmark to code that is free to move."""
    internal = []
    for script in sorted((REPO / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            internal += [
                f"{script.name}:{node.lineno}: {name}"
                for name in names
                if name.startswith("acdload.")
            ]
    assert internal == []
