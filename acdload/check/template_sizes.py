"""What the operations that can amplify a value would build, computed from their inputs.

A template may call any str method and any filter; most build at most a few times what
they are given, and are counted once built (``template_limits.charged``). The ones here
build far more than that when their arguments ask for it (a width, a separator, a
replacement repeated for every match), so the sandbox asks them first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from itertools import chain
from typing import Any

from acdload.check.template_limits import capped_sum, measure, numbers_in, percent_size, text_size

# What the amplifying str and bytes methods would build, from their arguments. Each takes
# the arguments as the method does; arguments of the wrong type give a size that lets the
# method itself raise its usual TypeError.


def _replace(text: Any, old: Any = None, new: Any = None, count: Any = -1) -> int:
    """``text`` is str or bytes: the two have the same methods."""
    if not (isinstance(old, type(text)) and isinstance(new, type(text))):
        return len(text)
    hits: int = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _join(separator: str | bytes, items: Any = ()) -> int:
    if not isinstance(items, Collection):
        return 0
    parts = capped_sum(len(item) for item in items if isinstance(item, str | bytes))
    return parts + len(separator) * max(len(items) - 1, 0)


def _expandtabs(text: Any, tabsize: Any = 8) -> int:
    tabs: int = text.count("\t" if isinstance(text, str) else b"\t")
    return len(text) + tabs * max(tabsize if isinstance(tabsize, int) else 0, 0)


def _pad(text: str | bytes, width: Any = 0, *_: Any) -> int:
    return max(len(text), width if isinstance(width, int) else 0)


def _translate(text: str | bytes, table: Any = None, *_: Any) -> int:
    values = table.values() if isinstance(table, Mapping) else table
    if isinstance(text, bytes) or not isinstance(values, Iterable):
        return len(text)
    longest = max((len(v) for v in values if isinstance(v, str)), default=1)
    return len(text) * max(longest, 1)


METHOD_SIZES: dict[str, Callable[..., int]] = {
    "replace": _replace,
    "join": _join,
    "expandtabs": _expandtabs,
    "center": _pad,
    "ljust": _pad,
    "rjust": _pad,
    "zfill": _pad,
    "translate": _translate,
}
"""str and bytes methods whose result can be far larger than the text they work on."""


# What the amplifying filters would build. Each takes the filter's value and arguments
# (without the context Jinja passes some filters first); a value that is not text is
# measured as the text the filter makes of it.


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)  # measured already: see TEXT_FILTERS


def _center_filter(value: Any, width: Any = 80) -> int:
    return _pad(_text(value), width)


def _indent_filter(value: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    text = _text(value)
    step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    return len(text) + (text.count("\n") + 1) * max(step, 0)


def _wordwrap_filter(value: Any, width: Any = 79, *args: Any, **kwargs: Any) -> int:
    text = _text(value)
    wrapstring = kwargs.get("wrapstring", args[1] if len(args) > 1 else None)
    joint = len(wrapstring) if isinstance(wrapstring, str) else 2
    step = width if isinstance(width, int) and width > 0 else 1
    lines = len(text.split()) + len(text) // step + text.count("\n") + 1
    return len(text) + lines * joint


def _join_filter(value: Any, d: Any = "", attribute: Any = None) -> int:
    parts = capped_sum(text_size(item) for item in value)
    return parts + text_size(d) * max(len(value) - 1, 0)


def _replace_filter(value: Any, old: Any, new: Any, count: Any = None) -> int:
    return _replace(_text(value), _text(old), _text(new), -1 if count is None else count)


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> int:
    return percent_size(_text(value), kwargs or args)


def _urlize_filter(value: Any, *args: Any, **kwargs: Any) -> int:
    text = _text(value)
    links = sum(1 for word in text.split() if "." in word or "@" in word or ":" in word)
    named = dict(zip(("trim_url_limit", "nofollow", "target", "rel"), args, strict=False))
    named.update(kwargs)
    attributes = sum(len(named[k]) for k in ("target", "rel") if isinstance(named.get(k), str))
    return 3 * len(text) + links * (attributes + 100)


def _tojson_filter(value: Any, indent: Any = None) -> int:
    size, depth = measure(value, quoted=True)
    step = len(indent) if isinstance(indent, str) else indent if isinstance(indent, int) else 0
    return 6 * size + size * depth * max(step, 0)  # \u escapes; a line per item, indented


def _pprint_filter(value: Any) -> int:
    size, depth = measure(value, quoted=True)
    return size + size * depth


def _xmlattr_filter(value: Any, autospace: Any = True) -> int:
    return 6 * text_size(value, quoted=True)  # HTML escapes are at most 6 characters


def _urlencode_filter(value: Any) -> int:
    return 12 * text_size(value)  # a character is at most 4 bytes, each %XX


def _sum_filter(value: Any, attribute: Any = None, start: Any = 0) -> int:
    if isinstance(start, int | float):
        return 0
    size = len if attribute is None else text_size  # an attribute is part of its item's text
    return capped_sum(chain([len(start) if isinstance(start, Collection) else 0], map(size, value)))


def _strftime_filter(value: Any, fmt: Any = "") -> int:
    return 12 * len(fmt) + numbers_in(fmt) if isinstance(fmt, str) else 0


FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": _center_filter,
    "indent": _indent_filter,
    "wordwrap": _wordwrap_filter,
    "join": _join_filter,
    "replace": _replace_filter,
    "format": _format_filter,
    "urlize": _urlize_filter,
    "tojson": _tojson_filter,
    "pprint": _pprint_filter,
    "xmlattr": _xmlattr_filter,
    "urlencode": _urlencode_filter,
    "sum": _sum_filter,
    "date": _strftime_filter,
    "time": _strftime_filter,
}
"""Filters whose result can be far larger than their value."""

TEXT_FILTERS = frozenset(
    {
        *("capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower"),
        *("replace", "safe", "string", "striptags", "title", "trim", "truncate", "upper"),
        *("urlize", "wordcount", "wordwrap", "date", "time"),
    }
)
"""Filters that first turn a value that is not text into text (``str(a_list)``)."""

MATERIALISED_FILTERS = frozenset({"join", "sum"})
"""Filters that read their value in full: it is read once, into a list, to be measured."""
