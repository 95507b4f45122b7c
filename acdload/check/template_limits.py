"""How much one event's templates may build, and how big a value will be before it is built.

The render's time budget cannot stop a single C call: ``str.replace`` asked for 2.5 GB runs
to its end (12 s) before the watchdog's exception lands. So every operation that can grow
a value is sized from its inputs first and refused before it starts. One cap per value is
not enough on its own: a list may hold the same 100,000-character string 100,000 times for
the price of one list (its text is 10^10 characters), and a loop may build 100,000 values
of 100,000 each. So text is measured before a value is written out as text, and what an
event's templates build is also summed, against a budget far above any real template's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, ItemsView, Iterable, KeysView, Mapping, ValuesView
from functools import lru_cache
from typing import Any

from jinja2.utils import Namespace

SIZE_CAP = 100_000
"""Characters or items one value may have; no integer this large may size a value."""

BUILD_BUDGET = 20 * SIZE_CAP
"""Characters or items all templates of one event may build between them."""

CALL_NESTING = 50
"""Template calls (macros, recursive loops) may nest this deep: far from Python's limit."""

VALUE_NESTING = 200
"""Lists and mappings may nest this deep and still be written as text (YAML allows 100)."""

_NUMBERS = re.compile(r"\d+")
_HUGE_WIDTH = re.compile(r"%[-+ #0]*[0-9]{6,}|\{[^{}]*:[^{}]*[0-9]{6,}")
_QUOTING_CONVERSION = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(\.(\*|\d*))?[hlL]?[ra]")
_FORMATTED_NUMBER = 330
"""Room for one number written by a format (``'%f' % 1e308`` has 316 characters)."""


class RenderLimitError(Exception):
    """A template went past a limit on size, nesting or time."""


class _Usage(threading.local):
    built = 0
    depth = 0


USAGE = _Usage()
"""What the current thread's event has built so far, and how deep its calls are."""


def start_event() -> None:
    """Give the next event's templates the whole budget."""
    USAGE.built = 0
    USAGE.depth = 0


def fits(size: int, what: str) -> None:
    """Refuse a value of ``size`` characters or items, before it exists."""
    if size > SIZE_CAP:
        raise RenderLimitError(
            f"{what} would make a value of over {SIZE_CAP} characters or items, "
            "which is not allowed; build a smaller one"
        )


def charge(size: int) -> None:
    """Count ``size`` against the event's budget."""
    USAGE.built += size
    if USAGE.built > BUILD_BUDGET:
        raise RenderLimitError(
            f"the templates of this event built over {BUILD_BUDGET} characters or items "
            "in all, which is not allowed; build fewer or smaller values"
        )


def built(size: int, what: str) -> None:
    """Refuse a value of ``size`` before it exists, or count it (called for every value)."""
    if size > SIZE_CAP:
        fits(size, what)
    USAGE.built += size
    if USAGE.built > BUILD_BUDGET:
        charge(0)


_BUILT = (str, bytes, list, tuple, dict, set, frozenset)


def charged(value: Any, what: str) -> Any:
    """``value``, counted: for operations whose result is at most a few times their input."""
    if isinstance(value, _BUILT):
        built(items_in(value), what)
    return value


def check_format_width(text: object) -> None:
    """Refuse a format asking for a huge width: said plainly, before anything is sized."""
    if isinstance(text, str) and _HUGE_WIDTH.search(text):
        raise RenderLimitError(f"a format width over {SIZE_CAP} characters is not allowed")


def capped_sum(sizes: Iterable[int]) -> int:
    """A sum that stops adding once it is over the cap (its exact value no longer matters)."""
    total = 0
    for size in sizes:
        total += size
        if total > SIZE_CAP:
            break
    return total


_PLAIN = frozenset({list, tuple, dict, set, frozenset})
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _contents(value: object) -> Collection[Any] | None:
    """What a value holds, if it is a container (the common types first: this runs a lot)."""
    kind = type(value)
    if kind in _PLAIN:
        return value  # type: ignore[return-value]
    if kind in _SCALARS:
        return None
    if isinstance(value, Namespace):
        attributes: dict[str, Any] = value._Namespace__attrs  # its text is its attributes'
        return attributes
    if isinstance(
        value, Mapping | list | tuple | set | frozenset | KeysView | ValuesView | ItemsView
    ):
        return value
    return None


def items_in(value: object) -> int:
    """What ``value`` holds: characters of text; items of a list, with the items of the
    lists inside it counted each time they appear. Counting stops past the cap.

    This is what comparing or hashing it costs: ``[x, x]`` nested forty times is a small
    list, but comparing it with another such list takes 2^40 steps in one C call, which
    no watchdog can interrupt. Every list a template builds is held to the cap, so none is.
    """
    if isinstance(value, str | bytes):
        return len(value)
    total = 0
    pending = [value]
    while pending and total <= SIZE_CAP:
        contents = _contents(pending.pop())
        if contents is not None:
            total += len(contents) * (2 if isinstance(contents, Mapping) else 1)
            if total <= SIZE_CAP:
                pending.extend(contents)
                if isinstance(contents, Mapping):
                    pending.extend(contents.values())
    return total


def _quoted(text: str | bytes) -> int:
    """Room for ``repr(text)``: escapes take up to 10 characters (``\\U0001f600``)."""
    if isinstance(text, str) and text.isascii() and text.isprintable():
        return 2 * len(text) + 3  # quotes, and a backslash before each quote or backslash
    return 10 * len(text) + 3


def measure(value: object, quoted: bool = False) -> tuple[int, int]:
    """An upper bound on the length of ``str(value)`` and ``repr(value)``, and its nesting.

    Counting stops once the length is over the cap, so measuring costs no more than the
    cap however large the value's text would be. ``quoted``: a top-level string is written
    as its ``repr``. Refuses a value nested deeper than ``VALUE_NESTING``: Python could
    not write it (RecursionError).
    """
    if isinstance(value, str) and not quoted:
        return len(value), 0
    total, deepest = 0, 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending and total <= SIZE_CAP:
        item, depth = pending.pop()
        if isinstance(item, str | bytes):
            total += _quoted(item)
            continue
        if isinstance(item, int):
            total += item.bit_length() // 3 + 5  # digits, sign, or "False"
            continue
        contents = _contents(item)
        if contents is None:
            total += 100  # a float, date, range, undefined value, macro: short text
            continue
        if depth >= VALUE_NESTING:
            raise RenderLimitError(
                f"a value nested over {VALUE_NESTING} levels deep cannot be written as text"
            )
        deepest = max(deepest, depth + 1)
        total += 20 + 4 * len(contents)  # brackets, a type name, separators
        if total <= SIZE_CAP:
            pending.extend((child, depth + 1) for child in contents)
            if isinstance(contents, Mapping):
                pending.extend((child, depth + 1) for child in contents.values())
    return total, deepest


def text_size(value: object, quoted: bool = False) -> int:
    if isinstance(value, str) and not quoted:
        return len(value)  # the common cases, without the walk
    if isinstance(value, int):
        return value.bit_length() // 3 + 5
    return measure(value, quoted)[0]


def numbers_in(text: str) -> int:
    """The sum of the numbers written in a format: widths and precisions at most."""
    return _numbers_in_short(text) if len(text) <= 200 else _numbers_in(text)


def _numbers_in(text: str) -> int:
    numbers = _NUMBERS.findall(text)
    if any(len(number) > 6 for number in numbers):
        return SIZE_CAP + 1
    return sum(map(int, numbers))


_numbers_in_short = lru_cache(maxsize=256)(_numbers_in)
"""Formats written in templates are few and short, and come back for every event."""


def percent_size(template: str, values: object) -> int:
    """Room for ``template % values``."""
    conversions = template.count("%")
    size = len(template) + numbers_in(template) + conversions * _FORMATTED_NUMBER
    quoted = "%" in template and _QUOTING_CONVERSION.search(template) is not None
    if isinstance(values, tuple):
        # Each value is used once (ints perhaps as a ``*`` width).
        for value in values:
            size += text_size(value, quoted) + _width(value)
            if size > SIZE_CAP:
                break
        return size
    if isinstance(values, Mapping):
        return size + max(conversions, 1) * text_size(values, quoted)
    return size + text_size(values, quoted) + _width(values)


def _width(value: object) -> int:
    return abs(value) if isinstance(value, int) else 0


def field_size(value: object, spec: str) -> int:
    """Room for ``format(value, spec)``: the value's text, and what the spec can add to it."""
    size = text_size(value)
    if spec:
        # Grouping adds a third; widths, precisions and strftime codes the rest.
        size += size // 3 + numbers_in(spec) + 32 * len(spec) + _FORMATTED_NUMBER
    return size
