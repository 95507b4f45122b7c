"""CSV rows as events: a standalone CSV manifest, or the rows of a YAML manifest's source.

Empty cells are absent fields; integer fields are converted from text with a problem at
the row and column when they are not whole numbers; appointment cells written in the
source's own forms (``date_format`` ...) are read into the API's; other text cells are
kept as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acdload.check.schema import event_fields
from acdload.manifest.appointment_formats import CellIssue
from acdload.manifest.model import Event, Manifest, closest, coerce, suggest
from acdload.manifest.sources.csv_source import read_csv
from acdload.problems import Location, Problem, error
from acdload.safetext import quote


def read_standalone_csv(
    display: str, path: Path, phone_region: str | None = None
) -> tuple[Manifest, list[Event], list[Problem]]:
    """A CSV file whose header names event fields; one event per row, no templates.

    Its national phone numbers are read in ``phone_region`` (``--phone-region``).
    """
    manifest = Manifest(display=display, csv_display=display, phone_region=phone_region)
    table, problems = read_csv(path, display)
    if table is None:
        return manifest, [], problems
    known = event_fields().order
    for column, header in enumerate(table.header):
        if header in known:
            manifest.csv_columns[header] = (column, header)
        else:
            meant = closest(header, known)
            if meant is not None and meant not in table.header:
                manifest.unread.add(meant)
            problems.append(
                error(
                    Location(display, table.header_line, column + 1),
                    "unknown-field",
                    f"CSV column {quote(header)} is not an event field{suggest(header, known)}",
                )
            )
    events, more = csv_events(manifest, table.rows)
    return manifest, events, problems + more


def csv_events(
    manifest: Manifest, rows: list[tuple[int, list[str]]]
) -> tuple[list[Event], list[Problem]]:
    """Events from CSV rows: empty cells are absent fields, integers converted from text."""
    problems: list[Problem] = []
    display = manifest.csv_display or manifest.display
    integers = event_fields().integers
    formats = manifest.csv_formats
    texts = [
        (name, col)
        for name, (col, _) in manifest.csv_columns.items()
        if name not in integers and col not in formats
    ]
    numbers = [
        (name, col, header)
        for name, (col, header) in manifest.csv_columns.items()
        if name in integers
    ]
    headers = {col: header for col, header in manifest.csv_columns.values()}
    appointments = [(col, headers[col], form) for col, form in formats.items()]
    var_columns = list(manifest.csv_vars.items())
    events: list[Event] = []
    for line, cells in rows:
        # Text cells are the values as written: no conversion call in the hot loop.
        values: dict[str, Any] = {name: cells[col] for name, col in texts if cells[col] != ""}
        unread = []
        for name, col, header in numbers:
            cell = cells[col]
            if cell == "":
                continue
            value, why = coerce(name, cell)
            if why is not None:
                problems.append(
                    error(
                        Location(display, line, col + 1),
                        "type",
                        f"column {quote(header)}: {why}",
                        name,
                    )
                )
                unread.append(name)
            elif value is not None:
                values[name] = value
        for col, header, form in appointments:
            cell = cells[col]
            if not cell.strip():
                continue
            read = form.read(cell)
            if isinstance(read, CellIssue):
                problems.append(
                    error(
                        Location(display, line, col + 1),
                        read.rule,
                        f"column {quote(header)}: {read.message}",
                        form.fields[0],
                    )
                )
                unread.extend(form.fields)
            else:
                values.update(zip(form.fields, read, strict=True))
        event_vars = {name: cells[col] for name, col in var_columns} if var_columns else None
        event = Event(0, manifest, line, values, event_vars, None, from_csv=True)
        if unread:
            event.unread = frozenset(unread)
        events.append(event)
    return events, problems
