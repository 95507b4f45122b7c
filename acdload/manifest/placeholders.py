"""The ``<fill in: ...>`` placeholders ``acdload init`` writes, and the check that reports them.

``init`` cannot know a campaign's ACD group, its event type or what its Subject should
say, so it writes a placeholder there. Some placeholders would pass every other rule (a
Subject template that is just text) and others would fail one with a message about
something else (``AcdGroupsID must be a whole number``), so one rule reports them all,
saying what to fill in; the other problems at the same place are dropped and no rule
judges a value that is only a placeholder.
"""

from __future__ import annotations

from collections.abc import Iterator

from acdload.manifest.model import Manifest
from acdload.manifest.reader import ManifestReader
from acdload.manifest.sources import Mark, YList, YMap
from acdload.safetext import escape

PLACEHOLDER_RULE = "placeholder"
START = "<fill in: "
END = ">"
_SECTIONS_OF_FIELDS = ("defaults", "templates")


def placeholder(what: str) -> str:
    """The placeholder asking the user to fill in ``what``."""
    return f"{START}{what}{END}"


def asked_for(value: object) -> str | None:
    """What the placeholder ``value`` asks for, or None when it is not one."""
    if isinstance(value, str) and value.startswith(START) and value.endswith(END):
        return value[len(START) : -len(END)]
    return None


def settle_placeholders(reader: ManifestReader, data: YMap, manifest: Manifest) -> None:
    """Report every placeholder left in ``data`` as a ``placeholder`` error at its place,
    instead of whatever else was reported there, and keep the rules from judging it: a
    placeholder default or template counts as a field not read."""
    found = list(_placeholders(data, ()))
    if not found:
        return
    places = {reader.at(mark) for _, mark, _ in found}
    reader.problems[:] = [p for p in reader.problems if p.location not in places]
    for path, mark, what in found:
        field = path[1] if len(path) == 2 and path[0] in _SECTIONS_OF_FIELDS else None
        reader.fail(
            mark,
            PLACEHOLDER_RULE,
            f"{'.'.join(escape(part) for part in path)} is still a placeholder: fill in "
            f'{escape(what, 200)} (replace the whole "{START}…{END}" text)',
            field,
        )
        if field is not None:
            manifest.unread.add(field)
            manifest.templates.pop(field, None)  # a placeholder is no template to render


def _placeholders(
    node: object, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Mark, str]]:
    """(key path, mark, what it asks for) of every placeholder value under ``node``."""
    if isinstance(node, YMap):
        for key, value in node.items():
            what = asked_for(value)
            mark = node.value_marks.get(key)
            if what is not None and mark is not None:
                yield (*path, key), mark, what
            else:
                yield from _placeholders(value, (*path, key))
    elif isinstance(node, YList):
        for index, (item, mark) in enumerate(zip(node, node.item_marks, strict=True)):
            what = asked_for(item)
            if what is not None:
                yield (*path, str(index)), mark, what
            else:
                yield from _placeholders(item, (*path, str(index)))
