"""Bounds checked before building: alias expansion and nesting depth.

Both guard against a small file that costs unbounded resources. An alias bomb (a few
hundred bytes whose aliases expand to a billion nodes) would exhaust memory once built;
a recursive alias would never finish; and libyaml's C composer recurses once per nesting
level without a limit, so tens of thousands of ``[`` crash the interpreter outright.

The composed node tree has no alias nodes (an alias is the anchored node object itself),
so it can measure an expansion but cannot say where the offending alias was written. Only
in that rare case are the parser's events read again, which do carry every alias's mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    NodeEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode

from acdload.manifest.sources.yaml_build import MAX_DEPTH
from acdload.problems import Location, Problem, error

Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
try:
    Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    Loader = yaml.SafeLoader

COMPOSER_SAFE_DEPTH = 5_000
"""Nesting the C composer is known to survive (it crashes somewhere past 20,000)."""

_BRACKET_FREE = re.compile(r"[^\[\]{}]+")
_DEEP_BLOCK_LINE = re.compile(r"\n[ \t?-]{" + str(COMPOSER_SAFE_DEPTH) + "}")


def expansion_limit(written: int) -> int:
    """How many nodes aliases may expand to: generous for real reuse, far below a bomb."""
    return 10 * written + 100_000


def may_nest_too_deep(text: str) -> bool:
    """Cheap upper bound: could this text nest deeper than the C composer survives?

    Flow nesting needs a ``[`` or ``{`` per level; block nesting needs a column per level,
    so a deep node sits after a long run of spaces and ``-``/``?`` indicators.
    """
    if text.count("[") + text.count("{") > COMPOSER_SAFE_DEPTH:
        brackets = _BRACKET_FREE.sub("", text)
        steps = (1 if c in "[{" else -1 for c in brackets)
        if max(accumulate(steps, initial=0)) > COMPOSER_SAFE_DEPTH:
            return True
    head = text[: COMPOSER_SAFE_DEPTH + 1]
    return (
        _DEEP_BLOCK_LINE.search("\n" + head) is not None
        or _DEEP_BLOCK_LINE.search(text) is not None
    )


def nesting_problem(text: str, display: str) -> Problem | None:
    """The first collection nested deeper than MAX_DEPTH, found from parser events."""
    depth = 0
    try:
        for event in _events(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return too_deep(display, *_mark(event))
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # PyYAML 6.0.4 and later refuse deep nesting themselves, while scanning ahead.
        if "nesting depth" in str(exc.problem) and exc.problem_mark is not None:
            return too_deep(display, exc.problem_mark.line, exc.problem_mark.column)
        return None  # composing reports the syntax error with its own message
    except yaml.YAMLError:
        return None
    return None


def too_deep(display: str, line0: int, column0: int) -> Problem:
    return error(
        Location(display, line0 + 1, column0 + 1),
        "yaml-nesting",
        f"mappings and lists nest more than {MAX_DEPTH} levels deep here; "
        "a manifest needs only a few: check for runaway brackets or indentation",
    )


def alias_problem(root: Node, text: str, display: str) -> Problem | None:
    """A problem if aliases recurse or expand past ``expansion_limit``, else None."""
    measured = _expanded_size(root)
    if measured is None:
        line, column, anchor = _locate_alias(text, None) or (root.start_mark.line, 0, "")
        message = (
            f"recursive alias: '*{anchor}' is inside the node anchored '&{anchor}', "
            "so it would never end; refer to a node outside it"
        )
    else:
        size, written = measured
        limit = expansion_limit(written)
        if size <= limit:
            return None
        line, column, anchor = _locate_alias(text, limit) or (root.start_mark.line, 0, "")
        message = (
            f"aliases expand to more than {limit:,} nodes (an 'alias bomb'); "
            "refer to large anchored parts fewer times"
        )
    return error(Location(display, line + 1, column + 1), "yaml-alias-bomb", message)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return list(node.value)


def _expanded_size(root: Node) -> tuple[int, int] | None:
    """(nodes after expanding every alias, nodes as written), or None for a cycle.

    Nodes as written count each anchored node once and each alias once.

    Iterative depth-first walk with sizes memoised by node identity: linear in the
    distinct nodes however large the expansion. A node met again while still open is
    its own ancestor: a recursive alias.
    """
    if isinstance(root, ScalarNode):
        return 1, 1
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()
    written = 1  # the root
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        nid = id(node)
        if finished:
            total = 1
            for child in _children(node):
                total += 1 if isinstance(child, ScalarNode) else sizes[id(child)]
            sizes[nid] = total
            open_ids.discard(nid)
            continue
        if nid in sizes:
            continue
        open_ids.add(nid)
        stack.append((node, True))
        for child in _children(node):
            written += 1
            if isinstance(child, ScalarNode):
                continue
            if id(child) in open_ids:
                return None
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)], written


def _locate_alias(text: str, limit: int | None) -> tuple[int, int, str] | None:
    """0-based mark and anchor of the recursive alias (``limit`` None) or of the alias
    that takes the expansion past ``limit``.

    Replays the events: nodes are counted in document order, an alias counting as the size
    of its anchored node, an anchored collection's size being the count between its start
    and its end (so an alias of a collection still open is recursive).
    """
    count = 0
    sizes: dict[str, int] = {}
    opened: list[tuple[str | None, int]] = []
    for event in _events(text):
        if isinstance(event, AliasEvent):
            anchor = event.anchor or ""
            size = sizes.get(anchor)
            if size is None or (limit is not None and count + size > limit):
                return (*_mark(event), anchor)
            count += size
        elif isinstance(event, NodeEvent):
            count += 1
            if isinstance(event, CollectionStartEvent):
                opened.append((event.anchor, count - 1))
            elif event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, CollectionEndEvent):
            anchored, start = opened.pop()
            if anchored is not None:
                sizes[anchored] = count - start
    return None


def _events(text: str) -> Iterator[Event]:
    loader = Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if event is not None:  # check_event promised one
                yield event
    finally:
        loader.dispose()


def _mark(event: Event) -> tuple[int, int]:
    """0-based line and column where an event starts (libyaml always sets them)."""
    mark = event.start_mark
    return (mark.line, mark.column) if mark is not None else (0, 0)
