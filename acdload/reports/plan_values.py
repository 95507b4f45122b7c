"""How a plan shows a value: as JSON writes it, a key as ``Field=value`` pairs, and two
differing values cut so that their difference shows.

Every plan format uses these (the text, Markdown and HTML reporters), so the HTML page
and the reporters import them from here rather than from each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

VALUE_WIDTH = 60
CONTEXT = 20  # characters shown before the first difference of two long values


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def shown(value: Any) -> str:
    """A value as JSON writes it: strings quoted, line ends visible, null for absent."""
    return json.dumps(value, ensure_ascii=False)


def shown_pair(server: Any, manifest: Any, width: int = VALUE_WIDTH) -> tuple[str, str]:
    """Two differing values, each short enough for one line.

    Long texts that share a beginning (a Body changed near its end) are both cut to a
    window that starts just before their first difference, so the difference shows.
    """
    left, right = shown(server), shown(manifest)
    if len(left) <= width and len(right) <= width:
        return left, right
    start = 0
    if isinstance(server, str) and isinstance(manifest, str):
        common = 0
        for a, b in zip(left, right, strict=False):
            if a != b:
                break
            common += 1
        start = max(0, common - CONTEXT)

    def window(text: str) -> str:
        cut = text[start:]
        return ("…" if start else "") + shorten(cut, width)

    return window(left), window(right)


def key_text(key: Mapping[str, Any], separator: str = " ") -> str:
    """A key as every output shows it: ``Field=value`` pairs (``null`` for no value)."""
    return separator.join(
        f"{name}={'null' if value is None else value}" for name, value in key.items()
    )
