"""The reader of one YAML manifest: where its problems are collected, each at its line.

The manifest's sections (``source_section``, ``template_section``, ``placeholders``) are
read by their own modules, which ``yaml_manifest`` calls; they all report through this
one reader. It lives apart from ``yaml_manifest`` so that the sections need not import
the module that imports them (no import cycle).
"""

from __future__ import annotations

from pathlib import Path

from acdload.manifest.model import closest, describe
from acdload.manifest.sources import YMap
from acdload.manifest.sources.confine import ManifestRoot
from acdload.problems import Location, Problem, error
from acdload.safetext import quote


class ManifestReader:
    """Collects the problems of one manifest, each where it was written, while it is read.

    ``root`` is where the files the manifest names must be (see ``sources.confine``).
    """

    def __init__(self, display: str, path: Path, root: ManifestRoot) -> None:
        self.display = display
        self.path = path
        self.root = root
        self.problems: list[Problem] = []

    def at(self, mark: tuple[int, int] | None, fallback_line: int = 1) -> Location:
        if mark is None:
            return Location(self.display, fallback_line)
        return Location(self.display, mark[0], mark[1])

    def fail(
        self, mark: tuple[int, int] | None, rule: str, message: str, field: str | None = None
    ) -> None:
        self.problems.append(error(self.at(mark), rule, message, field))

    def mapping(self, node: YMap, key: str, what: str) -> YMap | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, YMap):
            self.fail(
                node.value_marks.get(key),
                "structure",
                f"{what} must be a mapping, not {describe(value)}",
            )
            return None
        return value

    def unknown_keys(
        self, node: YMap, allowed: tuple[str, ...] | frozenset[str], where: str
    ) -> list[str]:
        """Report keys not in ``allowed``; return the allowed keys they were probably meant as."""
        meant = []
        for key in node:
            if key not in allowed:
                close = closest(key, allowed)
                self.fail(
                    node.key_marks.get(key),
                    "unknown-key",
                    f"unknown key {quote(key)} in {where}"
                    + (f"; did you mean {close!r}?" if close else ""),
                )
                if close is not None and close not in node:
                    meant.append(close)
        return meant
