"""Whether a phone number's length fits the numbers that start like it.

libphonenumber calls a number "possible" when its length is one that *some* number of its
country has: in Germany anything from 4 to 15 digits. So ``0170 12`` passes as possible,
and only fails validity, which also fails for a full-length number in a range no carrier
holds yet; both would be the same "unassigned" warning. Yet every German number starting
170 is a mobile number of 10 or 11 digits: ``0170 12`` is certainly a typo, an error.

To tell the two apart, each number type's pattern (mobile, fixed line, toll free ...) is
asked whether the digits *start like* one of its numbers: they are a beginning of a match
(the number is cut short), or a match is a beginning of them (digits were added). The
number is of the wrong length when some types start like it and none of them has its
length; when no type starts like it, it lies in an unassigned range (a warning).

Python's ``re`` cannot match a beginning of a pattern, so the patterns (digits, ``\\d``,
classes, groups, ``|``, ``?`` and ``{n,m}``: all the metadata uses) are parsed here and
matched by following every position a match can reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

TYPE_DESCS = (  # the common types first: validity only asks whether any type matches
    "mobile",
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True, slots=True)
class _Chars:
    allowed: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Seq:
    items: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Alt:
    options: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Repeat:
    item: _Node
    low: int
    high: int


_Node = _Chars | _Seq | _Alt | _Repeat


class _Parser:
    """Recursive descent over the regex subset of libphonenumber's number patterns;
    ValueError for anything else."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0

    def parse(self) -> _Node:
        node = self._alternatives()
        if self.at != len(self.text):
            raise ValueError(f"unexpected {self.text[self.at]!r} at {self.at}")
        return node

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _alternatives(self) -> _Node:
        options = [self._sequence()]
        while self._peek() == "|":
            self.at += 1
            options.append(self._sequence())
        return options[0] if len(options) == 1 else _Alt(tuple(options))

    def _sequence(self) -> _Node:
        items: list[_Node] = []
        while self._peek() not in ("", "|", ")"):
            items.append(self._quantified(self._atom()))
        return _Seq(tuple(items))

    def _atom(self) -> _Node:
        char = self._peek()
        self.at += 1
        if char == "(":
            if self.text.startswith("?:", self.at):
                self.at += 2
            node = self._alternatives()
            if self._peek() != ")":
                raise ValueError("unclosed group")
            self.at += 1
            return node
        if char == "[":
            return self._class()
        if char == "\\" and self._peek() == "d":
            self.at += 1
            return _Chars(_DIGITS)
        if char in _DIGITS:
            return _Chars(frozenset(char))
        raise ValueError(f"unsupported {char!r} at {self.at - 1}")

    def _class(self) -> _Chars:
        end = self.text.index("]", self.at)
        body, self.at = self.text[self.at : end], end + 1
        allowed: set[str] = set()
        index = 0
        while index < len(body):
            if index + 2 < len(body) and body[index + 1] == "-":
                allowed.update(chr(c) for c in range(ord(body[index]), ord(body[index + 2]) + 1))
                index += 3
            elif body.startswith("\\d", index):
                allowed |= _DIGITS
                index += 2
            else:
                allowed.add(body[index])
                index += 1
        return _Chars(frozenset(allowed))

    def _quantified(self, node: _Node) -> _Node:
        if self._peek() == "?":
            self.at += 1
            return _Repeat(node, 0, 1)
        if self._peek() == "{":
            end = self.text.index("}", self.at)
            low, _, high = self.text[self.at + 1 : end].partition(",")
            self.at = end + 1
            return _Repeat(node, int(low), int(high) if high else int(low))
        return node


@cache
def _parsed(pattern: str) -> _Node | None:
    try:
        return _Parser(pattern).parse()
    except ValueError:
        return None  # a pattern this parser does not know: no judgement on its type


def _ends(node: _Node, starts: frozenset[int], digits: str, cut: list[bool]) -> frozenset[int]:
    """Positions in ``digits`` where a match of ``node`` begun at ``starts`` can end.

    ``cut`` becomes true when a match runs past the last digit: the digits are the
    beginning of a longer match.
    """
    if isinstance(node, _Chars):
        found = set()
        for start in starts:
            if start == len(digits):
                cut[0] = True
            elif digits[start] in node.allowed:
                found.add(start + 1)
        return frozenset(found)
    if isinstance(node, _Seq):
        for item in node.items:
            starts = _ends(item, starts, digits, cut)
            if not starts:
                break
        return starts
    if isinstance(node, _Alt):
        return frozenset().union(*(_ends(o, starts, digits, cut) for o in node.options))
    reached = starts if node.low == 0 else frozenset()
    for count in range(1, node.high + 1):
        starts = _ends(node.item, starts, digits, cut)
        if not starts:
            break
        if count >= node.low:
            reached |= starts
    return reached


def starts_like(pattern: str, digits: str) -> bool | None:
    """Whether ``digits`` and a number matching ``pattern`` begin alike: one is (or
    begins) the other. None when the pattern cannot be read here."""
    tree = _parsed(pattern)
    if tree is None:
        return None
    cut = [False]
    ends = _ends(tree, frozenset({0}), digits, cut)
    return cut[0] or bool(ends)


@lru_cache(maxsize=4096)
def wrong_length(code: int, national: str) -> str | None:
    """Why ``national`` (the digits after country code ``code``) cannot be a number of the
    types that start like it, e.g. ``is too short: it has 5 digits after +49, and +49
    mobile numbers that start like it have 10 or 11``; None when one of them has its
    length, or none starts like it (an unassigned range)."""
    kinds: dict[str, set[int]] = {}
    for metadata in _metadata(code):
        general = metadata.general_desc.possible_length if metadata.general_desc else ()
        for name in TYPE_DESCS:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = desc.possible_length or general or ()
            if not lengths or lengths == (-1,):
                continue
            if starts_like(desc.national_number_pattern, national):
                kinds.setdefault(name.replace("_", " "), set()).update(lengths)
    if not kinds:
        return None
    length = len(national)
    if any(length in lengths for lengths in kinds.values()):
        return None
    every = sorted(set().union(*kinds.values()))
    how = "too short" if length < every[0] else "too long" if length > every[-1] else "no"
    return (
        f"is {how if how != 'no' else 'of a wrong length'}: it has {length} digits after "
        f"+{code}, and +{code} {_joined(sorted(kinds))} numbers that start like it have "
        f"{_joined([str(n) for n in every], ranges=True)}"
    )


def _metadata(code: int) -> list[PhoneMetadata]:
    """The numbering plans of every region that shares ``code`` (+1 and +7 have several)."""
    found = []
    for region in COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        if metadata is not None:
            found.append(metadata)
    return found


def _joined(words: list[str], ranges: bool = False) -> str:
    """``a``, ``a or b``, ``a, b or c``; numbers in a run as ``5 to 15``."""
    if ranges and len(words) > 2:
        numbers = [int(word) for word in words]
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"{numbers[0]} to {numbers[-1]}"
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"
