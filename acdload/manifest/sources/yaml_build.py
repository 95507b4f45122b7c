"""YAML nodes to located values: YMap, YList, str, Plain and None.

PyYAML's own constructor is slow (generators per node) and surprising (implicit types,
duplicate keys silently kept, arbitrary tags). This builder walks the composed node tree
once, keeps every scalar as the text written, and reports what a manifest must not contain
as problems rather than exceptions, so that one run shows all of them.

Aliases are expanded by building a fresh copy at each use: no two places in the tree share
a mutable container, so later stages may fill in defaults without touching another event.
The caller has checked before building that the expansion is bounded (``yaml_limits``).
"""

from __future__ import annotations

from typing import cast

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from acdload.manifest.sources import Mark, Plain, YList, YMap
from acdload.problems import Location, Problem, error
from acdload.safetext import quote

_CORE = "tag:yaml.org,2002:"
STR_TAG = _CORE + "str"
NULL_TAG = _CORE + "null"
MAP_TAG = _CORE + "map"
SEQ_TAG = _CORE + "seq"
MERGE_TAG = _CORE + "merge"
MERGE_KEY = "<<"

MAX_DEPTH = 100
"""Deepest nesting of mappings and lists accepted (a manifest needs about five levels).

Building recurses once per level; the bound keeps that far from Python's recursion limit.
"""

TagMarks = dict[tuple[int, int], str]
"""Tags as written, by the 0-based (line, column) where the tagged node starts."""


class NestingTooDeep(Exception):
    """A collection deeper than MAX_DEPTH; the reader turns it into a problem."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.node = node


def tag_text(tag: str) -> str:
    """The tag as the user wrote it: ``!!python/object`` rather than the expanded URI."""
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class NodeBuilder:
    """Builds values from one composed document, collecting problems on the way.

    The C composer keeps only a node's final tag, not whether it was written: ``!!int 5``
    and ``5`` both come out tagged int. ``tags`` says where tags were written (a tagged
    node starts at its tag, or at its anchor just before); it is None when the text holds
    no tag at all, and then the fast path skips every tag check.
    """

    def __init__(self, display: str, tags: TagMarks | None) -> None:
        self.display = display
        self.problems: list[Problem] = []
        self._tags = tags

    def build(self, node: Node, depth: int = 1) -> object:
        if isinstance(node, MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, SequenceNode):
            return self._sequence(node, depth)
        return self._scalar(cast(ScalarNode, node))

    def _scalar(self, node: ScalarNode) -> object:
        value: str = node.value
        if self._tags is not None:
            mark = node.start_mark
            written = self._tags.get((mark.line, mark.column))
            if written is not None:
                if node.tag == STR_TAG:
                    return value
                if node.tag == NULL_TAG:
                    return None
                self._tag_problem(node, written)
        if node.style:  # quoted or block scalar: text by construction
            return value
        return None if node.tag == NULL_TAG else Plain(value)

    def _mapping(self, node: MappingNode, depth: int) -> YMap:
        if depth > MAX_DEPTH:
            raise NestingTooDeep(node)
        if node.tag != MAP_TAG:
            self._tag_problem(node, tag_text(node.tag))
        start = node.start_mark
        ymap = YMap(start.line + 1, start.column + 1)
        key_marks = ymap.key_marks
        value_marks = ymap.value_marks
        fast = self._tags is None
        merge: Node | None = None  # the value of '<<'
        merge_mark = (0, 0)
        for key_node, value_node in node.value:
            km = key_node.start_mark
            if key_node.__class__ is ScalarNode and key_node.tag == MERGE_TAG:
                if merge is not None:
                    self._duplicate(MERGE_KEY, km.line + 1, km.column + 1, merge_mark[0])
                else:
                    merge, merge_mark = value_node, (km.line + 1, km.column + 1)
                continue
            key: str
            if fast and key_node.__class__ is ScalarNode and key_node.tag != NULL_TAG:
                key = key_node.value
            else:
                checked = self._key(key_node)
                if checked is None:
                    continue
                key = checked
            if key in ymap:
                self._duplicate(key, km.line + 1, km.column + 1, key_marks[key][0])
                continue
            if value_node.__class__ is ScalarNode and fast:
                # Inlined _scalar: this loop is most of the work for a large manifest.
                if value_node.style:
                    ymap[key] = value_node.value
                elif value_node.tag == NULL_TAG:
                    ymap[key] = None
                else:
                    ymap[key] = Plain(value_node.value)
            else:
                ymap[key] = self.build(value_node, depth + 1)
            vm = value_node.start_mark
            key_marks[key] = (km.line + 1, km.column + 1)
            value_marks[key] = (vm.line + 1, vm.column + 1)
        if merge is not None:
            self._merge(ymap, merge, merge_mark, depth)
        return ymap

    def _key(self, node: Node) -> str | None:
        """The key's text, or None (and a problem) for a key that cannot name a field."""
        if not isinstance(node, ScalarNode):
            kind = "mapping" if isinstance(node, MappingNode) else "list"
            self._key_problem(node, f"a key must be a field name, not a {kind}")
            return None
        value = self._scalar(node)
        if value is None:
            self._key_problem(
                node,
                f"{quote(node.value)} as a key means null in YAML: write a field name"
                if node.value
                else "a key is missing before ':': write a field name",
            )
            return None
        return str(value)

    def _merge(self, ymap: YMap, value_node: Node, key_mark: Mark, depth: int) -> None:
        """``<<: *a`` or ``<<: [*a, *b]``: copy keys that the mapping does not set.

        Keys written in the mapping win, then earlier merged mappings over later ones, as
        the YAML merge-key spec says; merged keys keep the marks of where they were written.
        """
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                # At the '<<' itself: an alias's own node is where its anchor was written.
                self.problems.append(
                    error(
                        Location(self.display, *key_mark),
                        "yaml-merge",
                        "'<<' merges mappings only: give it an alias of a mapping "
                        "('<<: *defaults') or a list of them ('<<: [*a, *b]')",
                    )
                )
                continue
            merged = self._mapping(source, depth + 1)
            for key, value in merged.items():
                if key not in ymap:
                    ymap[key] = value
                    ymap.key_marks[key] = merged.key_marks[key]
                    ymap.value_marks[key] = merged.value_marks[key]

    def _sequence(self, node: SequenceNode, depth: int) -> YList:
        if depth > MAX_DEPTH:
            raise NestingTooDeep(node)
        if node.tag != SEQ_TAG:
            self._tag_problem(node, tag_text(node.tag))
        start = node.start_mark
        ylist = YList(start.line + 1, start.column + 1)
        marks = ylist.item_marks
        for item in node.value:
            ylist.append(self.build(item, depth + 1))
            mark = item.start_mark
            marks.append((mark.line + 1, mark.column + 1))
        return ylist

    def _duplicate(self, key: str, line: int, column: int, first_line: int) -> None:
        self.problems.append(
            error(
                Location(self.display, line, column),
                "yaml-duplicate-key",
                f"duplicate key {quote(key)}: it is already set at line {first_line} of this "
                "mapping; remove one of the two (YAML would silently keep the last)",
                field=key,
            )
        )

    def _key_problem(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            error(Location(self.display, mark.line + 1, mark.column + 1), "yaml-key-type", message)
        )

    def _tag_problem(self, node: Node, written: str) -> None:
        mark = node.start_mark
        self.problems.append(
            error(
                Location(self.display, mark.line + 1, mark.column + 1),
                "yaml-tag",
                f"YAML tags are not allowed: remove {quote(written)}"
                " (quote the value if it is meant as text)",
            )
        )
