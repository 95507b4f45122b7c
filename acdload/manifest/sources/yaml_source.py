"""Reading a YAML manifest into located values, every problem with its line and column.

PyYAML's ``yaml.load`` is unsafe for a manifest in ways a user never sees: ``0041...``
becomes an octal number, ``no`` becomes False, a duplicate key silently keeps the last
value, and tags construct arbitrary objects. This reader composes nodes with libyaml
(fast, and every node has its mark) and builds the values itself (``yaml_build``):
scalars keep the text written, duplicates and tags are problems.

Speed: most of ``yaml.load``'s time on a large manifest is the cyclic garbage collector
re-scanning the young objects the composer creates by the hundred thousand, none of which
can be part of a cycle until the tree is built; it is paused while composing and building.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.nodes import Node

from acdload.gc_pause import collector_paused
from acdload.manifest.sources.confine import read_regular
from acdload.manifest.sources.decoding import decode
from acdload.manifest.sources.yaml_build import NestingTooDeep, NodeBuilder, TagMarks
from acdload.manifest.sources.yaml_limits import (
    Loader,
    alias_problem,
    may_nest_too_deep,
    nesting_problem,
    too_deep,
)
from acdload.problems import Location, Problem, error
from acdload.safetext import escape, quote

SYNTAX_RULE = "yaml-syntax"

# A tag or an alias starts a node: at a line start or after a separator, a flow indicator
# or ':'. A text without one (most manifests) skips tag checks and the alias check.
_TAG = re.compile(r"(?:^|(?<=[\s\[{,:]))(?:&[^\s,\[\]{}]+\s+)?(![^\s,\[\]{}]*)", re.M)
_ALIAS_START = re.compile(r"[\s\[{,:]\*")

_HINTS = (
    ("mapping values are not allowed", "check the indentation, or quote a value containing ': '"),
    ("did not find expected key", "check the indentation: this line does not line up"),
    ("did not find expected '-'", "check the indentation of the list items"),
    ("could not find expected ':'", "a key needs ': ' after it; or check the indentation"),
    ("found unexpected end of stream", "a quoted value is never closed: add the closing quote"),
    ("found unknown escape", r"in double quotes write '\\' for a backslash, or use single quotes"),
    ("expected ',' or ']'", "a '[' list is not closed: add ']' or quote the value"),
    ("expected ',' or '}'", "a '{' mapping is not closed: add '}' or quote the value"),
    ("block sequence entries are not allowed", "check the indentation of the '-' item"),
)


def load_yaml(path: Path, display: str) -> tuple[object | None, list[Problem]]:
    """Read and load one YAML file (OSError propagates: the caller knows who named it; a
    file that is not a regular file is one)."""
    text, problems = decode(
        read_regular(path), display, "utf-8", "save the file as UTF-8 (YAML files are UTF-8)"
    )
    if text is None:
        return None, problems
    return load_yaml_text(text, display)


def load_yaml_text(text: str, display: str) -> tuple[object | None, list[Problem]]:
    """Load one YAML document: (value tree, problems).

    The value is None with the problems when the document cannot be used at all (syntax,
    several documents, alias bomb); it comes with problems that leave the rest usable
    (duplicate key, tag, bad key). An empty document is (None, []).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if may_nest_too_deep(text):
        deep = nesting_problem(text, display)
        if deep is not None:
            return None, [deep]
    with collector_paused():
        return _load(text, display)


def _load(text: str, display: str) -> tuple[object | None, list[Problem]]:
    loader = Loader(text)
    try:
        root: Node | None = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, text, display)]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, display)]
    except yaml.YAMLError as exc:  # not raised by PyYAML 6 here; still never a traceback
        return None, [error(Location(display, 1), SYNTAX_RULE, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    if root is None:
        return None, []
    if _ALIAS_START.search(text) or text.startswith("*"):
        bomb = alias_problem(root, text, display)
        if bomb is not None:
            return None, [bomb]
    builder = NodeBuilder(display, _tag_marks(text) if "!" in text else None)
    try:
        value = builder.build(root)
    except NestingTooDeep as exc:
        return None, [too_deep(display, exc.node.start_mark.line, exc.node.start_mark.column)]
    return value, builder.problems


def _tag_marks(text: str) -> TagMarks | None:
    """Where tags are written, as the 0-based mark of the node they start (or None).

    A match inside a quoted or block scalar is harmless: no node starts there.
    """
    marks: TagMarks = {}
    line, line_start, scanned = 0, 0, 0
    for found in _TAG.finditer(text):
        start = found.start()
        newlines = text.count("\n", scanned, start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", scanned, start) + 1
        scanned = start
        marks[(line, start - line_start)] = found.group(1)
    return marks or None


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, display: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else None
    problem = exc.problem or ""
    context = exc.context or ""
    if context.startswith("expected a single document"):
        return error(
            Location(display, line, column),
            "yaml-multiple-documents",
            "a second YAML document starts here ('---'): a manifest is one document; "
            "put each manifest in its own file",
        )
    if context.startswith("found duplicate anchor") and exc.context_mark:
        message = (
            f"this anchor is already defined at line {exc.context_mark.line + 1}, column "
            f"{exc.context_mark.column + 1}: "
            "give each anchor ('&name') its own name"
        )
    elif problem.startswith("found undefined alias"):
        alias = _word_at(text, mark, r"\*[^\s,\[\]{}]+") if mark else ""
        anchor = "&" + (alias[1:] or "name")
        message = (
            f"alias {escape(alias or '*')} has no anchor: write {quote(anchor)} on the node "
            "it refers to"
        )
        message += ", before the alias"
    else:
        message = f"invalid YAML: {problem}"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            message += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        message += f"; {_hint(problem, text, mark)}"
    return error(Location(display, line, column), SYNTAX_RULE, message)


def _hint(problem: str, text: str, mark: yaml.Mark | None) -> str:
    if "cannot start any token" in problem and mark is not None:
        char = _word_at(text, mark, r".")
        if char == "\t":
            return "YAML indentation must use spaces, not tabs"
        return f"a value cannot start with {quote(char)}: quote the value"
    for fragment, hint in _HINTS:
        if fragment in problem:
            return hint
    return "check the indentation and the quoting around here"


def _word_at(text: str, mark: yaml.Mark, pattern: str) -> str:
    """The text matching ``pattern`` at a mark (libyaml's C messages leave it out)."""
    lines = text.split("\n")
    if mark.line >= len(lines):
        return ""
    found = re.compile(pattern).match(lines[mark.line], mark.column)
    return found.group() if found else ""


def _reader_problem(exc: yaml.reader.ReaderError, text: str, display: str) -> Problem:
    """libyaml refuses control characters; its position is a UTF-8 byte offset."""
    before = text.encode("utf-8")[: exc.position].decode("utf-8", "replace")
    line = before.count("\n") + 1
    column = len(before) - before.rfind("\n")
    char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
    return error(
        Location(display, line, column),
        SYNTAX_RULE,
        f"invalid YAML: {exc.reason} (U+{char:04X} here); remove the character",
    )
