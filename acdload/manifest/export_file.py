"""Reading a CRM export for ``acdload init``: its encoding and delimiter, told by its bytes.

The export is untrusted and often not what its name says: a workbook saved as ``.csv``, a
UTF-16 "Unicode text" file, a named pipe. It is read only if it is a regular file, and
decoded with the readers ``validate`` uses later, in the order Excel's exports make
likely: UTF-8 (with or without the byte order mark Excel's "CSV UTF-8" writes), then
cp1252 (Excel's "CSV" on Western European Windows). The delimiter is the header line's
(as ``validate`` detects it) unless the rows say otherwise.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from acdload.errors import AcdloadError, UsageProblem
from acdload.manifest.sources import CsvTable
from acdload.manifest.sources.confine import read_regular
from acdload.manifest.sources.csv_source import DELIMITERS, read_csv_text
from acdload.manifest.sources.decoding import decode
from acdload.problems import Problem
from acdload.safetext import escape, quote

SAMPLE_ROWS = 200
"""Rows whose values the guesses look at: enough to see every form a column has."""

_SAVE_AS_CSV = (
    "save it from the spreadsheet as 'CSV UTF-8' (or 'CSV (Trennzeichen-getrennt)') "
    "and run acdload init on that file"
)


class ExportError(AcdloadError):
    """The export cannot be read as a CSV file (exit 1: the input is wrong, not the
    command line)."""


@dataclass(frozen=True, slots=True)
class Export:
    """An export read as text cells: how it was read, and why that way."""

    table: CsvTable
    encoding: str
    """The codec name the manifest names: utf-8, utf-8-sig or cp1252."""
    encoding_why: str
    delimiter_why: str
    problems: list[Problem]
    """What ``validate`` will report about the file itself (rows that do not fit, a
    header column without a name)."""

    @property
    def sample(self) -> list[list[str]]:
        return [cells for _, cells in self.table.rows[:SAMPLE_ROWS]]


def read_export(path: Path, display: str) -> Export:
    """Read the export at ``path`` (named ``display`` in messages)."""
    try:
        data = read_regular(path)
    except OSError as exc:
        raise UsageProblem(
            f"cannot read {quote(display)}: {exc.strerror or exc}",
            hint="name the CSV file the CRM or spreadsheet exported",
        ) from None
    encoding, encoding_why, text = _decoded(data, display)
    table, problems, delimiter_why = _table(text, display)
    return Export(table, encoding, encoding_why, delimiter_why, problems)


def _decoded(data: bytes, display: str) -> tuple[str, str, str]:
    """(codec name, why, text)."""
    if b"\x00" in data:
        utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        what = (
            "is UTF-16 text (a spreadsheet's 'Unicode text')"
            if utf16
            else "holds NUL bytes: it is a binary file (a workbook such as .xlsx?), not CSV text"
        )
        raise ExportError(f"{quote(display)} {what}", hint=_SAVE_AS_CSV)
    text, utf8_problems = decode(data, display, "utf-8", "", with_column=False)
    if text is not None:
        if data.startswith(codecs.BOM_UTF8):
            return "utf-8-sig", "UTF-8 with a byte order mark (a spreadsheet's 'CSV UTF-8')", text
        return "utf-8", "the whole file is valid UTF-8", text
    not_utf8 = _what(utf8_problems[0])
    text, cp1252_problems = decode(data, display, "cp1252", "", with_column=False)
    if text is None:
        raise ExportError(
            f"{quote(display)} is neither UTF-8 ({not_utf8}) nor cp1252 "
            f"({_what(cp1252_problems[0])})",
            hint=_SAVE_AS_CSV,
        )
    why = f"not UTF-8 ({not_utf8}); cp1252 is what Excel writes on Western European Windows"
    return "cp1252", why, text


def _what(problem: Problem) -> str:
    """An ``encoding`` problem's message without its advice, and its line."""
    return f"{problem.message.removesuffix('; ')} on line {problem.location.line}"


def _table(text: str, display: str) -> tuple[CsvTable, list[Problem], str]:
    """The table read with the delimiter that fits the rows, the problems, and why."""
    table, problems = read_csv_text(text, display)
    if table is None:
        raise ExportError(
            f"{quote(display)} cannot be read as CSV: {problems[0].message}",
            hint="export the list as CSV with a header line naming each column",
        )
    if _misfits(problems) or len(table.header) == 1:
        for delimiter in DELIMITERS:
            other, more = read_csv_text(text, display, delimiter=delimiter)
            if (
                other is not None
                and len(other.header) > 1
                and len(other.rows) > len(table.rows)
                and _misfits(more) < _misfits(problems)
            ):
                table, problems = other, more
    shown = "a tab" if table.delimiter == "\t" else escape(repr(table.delimiter))
    why = f"{shown}: {len(table.header)} columns in the header line"
    misfits = _misfits(problems)
    if misfits:
        why += (
            f"; {len(table.rows)} rows fit it, {misfits} do not "
            "(validate reports them at their lines)"
        )
    else:
        why += " and in every row" if table.rows else ", and no rows"
    return table, problems, why


def _misfits(problems: list[Problem]) -> int:
    """Rows that could not be read with the delimiter (a wrong one splits rows unevenly)."""
    return sum(1 for problem in problems if problem.rule in ("csv-row-length", "csv-syntax"))
