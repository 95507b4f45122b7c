"""Reading a CSV file into text cells, each row with the physical line where it starts.

Cells stay text exactly as written (leading zeros, spaces): the model converts the fields
that want numbers and says which column was wrong. The reader only knows CSV: encoding,
delimiter, quoting, and rows that do not fit the header.

Speed: the rows go straight from ``csv.reader`` into the table; the only per-row work is a
length check, and cells are unguarded (``acdload.manifest.formula_guard``) only when the
text contains a guard at all. The cyclic garbage collector is paused meanwhile: it would otherwise re-scan
the growing table again and again although rows of strings can form no cycle.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from acdload.gc_pause import collector_paused
from acdload.manifest.formula_guard import FORMULA_TRIGGERS, unguard
from acdload.manifest.sources import CsvTable
from acdload.manifest.sources.confine import read_regular
from acdload.manifest.sources.decoding import decode
from acdload.problems import Location, Problem, error
from acdload.safetext import escape, quote

DELIMITERS = (",", ";", "\t")
"""Detected delimiters, in the order that wins a tie."""

_GUARD_MARK = re.compile("'[" + re.escape("".join(sorted(FORMULA_TRIGGERS))) + "]")
_QUOTE = '"'


def read_csv(
    path: Path, display: str, *, delimiter: str | None = None, encoding: str | None = None
) -> tuple[CsvTable | None, list[Problem]]:
    """Read a CSV file (OSError propagates: the caller knows where the path was named; a
    file that is not a regular file is one)."""
    advice = (
        "name the file's encoding, e.g. `encoding: cp1252` in the manifest's `source` for "
        "an Excel export, or save it as 'CSV UTF-8'"
        if encoding is None
        else "check the `encoding` given for this file"
    )
    text, problems = decode(
        read_regular(path), display, encoding or "utf-8", advice, with_column=False
    )
    if text is None:
        return None, problems
    return read_csv_text(text, display, delimiter=delimiter)


def read_csv_text(
    text: str, display: str, *, delimiter: str | None = None
) -> tuple[CsvTable | None, list[Problem]]:
    """Parse CSV text: (table, problems); the table is None when there is no header."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if delimiter is None:
        delimiter = detect_delimiter(_first_line(text))
    elif len(delimiter) != 1 or delimiter in '"\r\n':
        return None, [
            error(
                Location(display, 1),
                "csv-syntax",
                f"delimiter {quote(delimiter)} cannot be used: give one character such as "
                "',' ';' or a tab",
            )
        ]
    return _Reader(text, display, delimiter).read()


def detect_delimiter(header: str) -> str:
    """The most frequent of ``,`` ``;`` and tab outside quotes; ``,`` wins a tie."""
    outside = "".join(header.split(_QUOTE)[::2])
    return max(DELIMITERS, key=outside.count)


def _first_line(text: str) -> str:
    """The first line that is not blank (found without splitting the whole text)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        for line in text[start:end].split("\r"):  # a lone CR ends a line too
            if line.strip():
                return line
        start = end
    return ""


class _Reader:
    """One pass of ``csv.reader`` over the text, turning its errors into problems."""

    def __init__(self, text: str, display: str, delimiter: str) -> None:
        self.text = text
        self.display = display
        self.delimiter = delimiter
        self.problems: list[Problem] = []
        self.reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        self.last_line = 0  # the physical line where the previous record ended

    def read(self) -> tuple[CsvTable | None, list[Problem]]:
        with collector_paused():
            return self._read()

    def _read(self) -> tuple[CsvTable | None, list[Problem]]:
        header = self._header()
        if header is None:
            return None, self.problems
        table = CsvTable(header, self.last_line, self.delimiter)
        self._check_header(table)
        self._rows(table)
        return table, self.problems

    def _header(self) -> list[str] | None:
        while True:
            try:
                row = next(self.reader)
            except StopIteration:
                if not self.problems:
                    self._problem(1, None, "csv-header", "no header line: the file is empty")
                return None
            except csv.Error as exc:
                self._syntax(exc)
                return None  # without a header no row can be read
            self.last_line = self.reader.line_num
            if row and (len(row) > 1 or row[0].strip()):
                return [cell.lstrip("\ufeff").strip() for cell in row]

    def _check_header(self, table: CsvTable) -> None:
        first_column: dict[str, int] = {}
        for column, name in enumerate(table.header, start=1):
            if not name:
                self._problem(
                    table.header_line,
                    column,
                    "csv-header",
                    f"column {column} has no name in the header line: name it or remove the column",
                )
            elif name in first_column:
                self._problem(
                    table.header_line,
                    column,
                    "csv-header",
                    f"column name {quote(name)} appears twice in the header line (columns "
                    f"{first_column[name]} and {column}): rename or remove one",
                )
            else:
                first_column[name] = column

    def _rows(self, table: CsvTable) -> None:
        reader = self.reader
        width = len(table.header)
        append = table.rows.append
        # A guarded cell starts with "'" and a trigger: one search of the text is far
        # cheaper than a check of every cell when, as usual, there is none.
        guarded = "'" in self.text and _GUARD_MARK.search(self.text) is not None
        while True:
            end = self.last_line
            try:
                for row in reader:
                    start = end + 1
                    end = reader.line_num
                    if len(row) != width:
                        if row and (len(row) > 1 or row[0].strip()):
                            self._row_length(start, len(row), width)
                        continue  # blank lines, and rows that do not fit, are dropped
                    if guarded:
                        row = [unguard(cell) if cell[:1] == "'" else cell for cell in row]
                    append((start, row))
                return
            except csv.Error as exc:
                self.last_line = end
                if not self._syntax(exc):
                    return

    def _row_length(self, line: int, cells: int, width: int) -> None:
        if cells > width:
            hint = f"quote cells that contain {self._delimiter_name()}"
            column: int | None = width + 1
        else:
            hint = "add the missing cells (empty ones are fine)"
            column = None
        self._problem(
            line,
            column,
            "csv-row-length",
            f"row has {cells} cells but the header has {width} columns: {hint}; "
            "the row was not read",
        )

    def _syntax(self, exc: csv.Error) -> bool:
        """Report a csv.Error at its place; True if reading can go on after it."""
        start = self.last_line + 1
        found = _scan_record(self.text, start, self.delimiter)
        self.last_line = self.reader.line_num
        if found is not None and found[0] == "unterminated":
            self._problem(
                found[1],
                found[2],
                "csv-syntax",
                "a quoted cell starts here but its closing '\"' is missing, so the rest of the "
                "file was read into it: close the quote",
            )
            return False
        if found is not None:
            line, column = found[1], found[2]
            message = (
                "text follows the closing quote of a quoted cell: inside quotes write a quote "
                'as two (""), or put the whole cell in quotes'
            )
        elif "field larger than field limit" in str(exc):
            line, column = start, None
            message = f"a cell is longer than {csv.field_size_limit():,} characters"
        else:
            line, column, message = self.reader.line_num, None, f"invalid CSV: {escape(str(exc))}"
        self._problem(line, column, "csv-syntax", message + "; the row was not read")
        return True

    def _delimiter_name(self) -> str:
        return "a tab" if self.delimiter == "\t" else quote(self.delimiter)

    def _problem(self, line: int, column: int | None, rule: str, message: str) -> None:
        self.problems.append(error(Location(self.display, line, column), rule, message))


def _scan_record(text: str, first_line: int, delimiter: str) -> tuple[str, int, int] | None:
    """Walk the record starting at ``first_line`` as ``csv`` strict mode does.

    Only used after csv.Error, which does not say where: returns ("unterminated", line,
    column) for a quoted cell never closed, ("after-quote", line, column) for text after a
    closing quote, or None if the record parses (or the error is something else).
    """
    lines = io.StringIO(text, newline="").readlines()
    column, state = 1, "start"
    opened = (first_line, 1)
    for number in range(first_line, len(lines) + 1):
        for char in lines[number - 1]:
            if state == "quoted":
                if char == _QUOTE:
                    state = "quote"
                continue
            if state == "quote" and char == _QUOTE:
                state = "quoted"
            elif char == delimiter:
                column, state = column + 1, "start"
            elif char in "\r\n":
                return None
            elif state == "start" and char == _QUOTE:
                state, opened = "quoted", (number, column)
            elif state == "quote":
                return "after-quote", number, column
            else:
                state = "plain"
    if state == "quoted":
        return "unterminated", opened[0], opened[1]
    return None
