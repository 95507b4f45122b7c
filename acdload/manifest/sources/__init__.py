"""Reading manifests: YAML and CSV files into plain values that remember where they were.

The readers know nothing of events; they turn bytes into located values and report what
cannot be read as problems. The manifest model (``acdload.manifest``) gives them meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Plain(str):
    """A plain (unquoted) YAML scalar, kept as exactly the text written.

    YAML 1.1 would silently turn ``0041791234567`` into an octal number, ``2026-12-01``
    into a date and ``no`` into False. The reader never does: it keeps the text and marks
    it plain, so the model can keep it where the field is text or ask the user to quote
    it where the field wants something else.
    """

    __slots__ = ()


Mark = tuple[int, int]
"""A 1-based (line, column) position in a file."""


class YMap(dict[str, object]):
    """A YAML mapping with the position of itself, of each key and of each value."""

    __slots__ = ("column", "key_marks", "line", "value_marks")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.key_marks: dict[str, Mark] = {}
        self.value_marks: dict[str, Mark] = {}


class YList(list[object]):
    """A YAML sequence with the position of itself and of each item."""

    __slots__ = ("column", "item_marks", "line")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.item_marks: list[Mark] = []


@dataclass(slots=True)
class CsvTable:
    """A CSV file read as text cells, every row with the physical line where it starts."""

    header: list[str]
    header_line: int
    delimiter: str
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
