"""CSV files as the spreadsheet that opens them expects them: ``--csv-dialect``.

``plain`` is what tools read (``,``, no byte order mark). Excel needs more to open a file
by a double click: without a UTF-8 byte order mark it reads the file in the machine's
ANSI code page (``Jürgen`` becomes ``JÃ¼rgen``), and it splits cells at the list
separator of the regional settings, which is ``;`` wherever the decimal separator is a
comma (German, French, Dutch Excel). ``excel`` and ``excel-semicolon`` write what each
opens correctly. acdload's own CSV reader drops the mark and detects the delimiter, so a
file in any dialect loads back as it went out.

A cell is quoted where it holds the dialect's delimiter, so the Excel of that dialect never
starts a new cell inside it: a formula hidden behind a delimiter (``x;=cmd|...``) stays
text behind the formula guard. Opened by an Excel whose list separator is the *other* one,
any CSV file is split wrongly; the dialect has to match the Excel (docs/apply.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from acdload.manifest.formula_guard import guard


@dataclass(frozen=True, slots=True)
class CsvDialect:
    delimiter: str
    byte_order_mark: bool


CSV_DIALECTS = {
    "plain": CsvDialect(",", byte_order_mark=False),
    "excel": CsvDialect(",", byte_order_mark=True),
    "excel-semicolon": CsvDialect(";", byte_order_mark=True),
}
DEFAULT_CSV_DIALECT = "plain"


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[object]], dialect: str = DEFAULT_CSV_DIALECT
) -> str:
    """A CSV file's text: ``None`` cells empty, every data cell a spreadsheet would run as
    a formula guarded (``acdload.manifest.formula_guard``), CRLF line ends (RFC 4180, and
    Excel's own)."""
    chosen = CSV_DIALECTS[dialect]
    buffer = io.StringIO()
    if chosen.byte_order_mark:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=chosen.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([guard("" if cell is None else str(cell)) for cell in row])
    return buffer.getvalue()
