"""A YAML manifest's ``source``: which CSV file, how to read it, what each column becomes.

Everything a ``source`` says is checked where it is written, before (and whether or not)
the CSV file can be read: its keys, the delimiter and encoding, the strptime patterns of
its appointment columns and whether they fit the columns they are for. A column whose
values cannot be read (its pattern is wrong) is left out, and its fields are marked
unread, so that one mistake in the manifest is not reported again at every row.
"""

from __future__ import annotations

from pathlib import Path

from acdload.check.schema import event_fields
from acdload.manifest.appointment_formats import (
    BOTH_FIELD,
    FORMAT_KEYS,
    AppointmentFormat,
    pattern_problem,
)
from acdload.manifest.csv_manifest import csv_events
from acdload.manifest.model import Event, Manifest, closest, describe, suggest
from acdload.manifest.reader import ManifestReader
from acdload.manifest.sources import CsvTable, YList, YMap
from acdload.manifest.sources.csv_source import read_csv
from acdload.problems import Location, error
from acdload.safetext import escape, quote

SOURCE_KEYS = ("path", "columns", "delimiter", "encoding", *FORMAT_KEYS)

Formats = dict[str, AppointmentFormat | None]
"""Column target (dtAppointmentDate, dtAppointmentTime, dtAppointment) -> how its cells are
written; None when they cannot be read (a problem says why)."""


def read_source(
    reader: ManifestReader, source: YMap, manifest: Manifest
) -> tuple[Path | None, list[Event]]:
    """The CSV file ``source`` names (when it exists) and the events of its rows."""
    reader.unknown_keys(source, SOURCE_KEYS, "source")
    columns = source.get("columns")
    formats = _read_formats(reader, source, columns if isinstance(columns, YMap) else None)
    csv_path = _source_file(reader, source)
    if csv_path is None:
        return None, []
    relative = str(source["path"])
    mark = source.value_marks.get("path")
    if not isinstance(columns, YMap):
        reader.fail(
            source.value_marks.get("columns", (source.line, source.column)),
            "source",
            "source needs 'columns': a mapping from each CSV header to an event field, vars.NAME, or null",
        )
        return csv_path, []
    csv_display = str(Path(reader.display).parent / relative)
    delimiter = None if source.get("delimiter") is None else str(source["delimiter"])
    encoding = None if source.get("encoding") is None else str(source["encoding"])
    if not _source_options_usable(reader, source, delimiter, encoding):
        return csv_path, []
    try:
        table, problems = read_csv(csv_path, csv_display, delimiter=delimiter, encoding=encoding)
    except OSError as exc:
        reader.fail(mark, "source", f"cannot read source file {quote(relative)}: {exc.strerror}")
        return csv_path, []
    reader.problems.extend(problems)
    if table is None:
        return csv_path, []
    manifest.csv_display = csv_display
    _map_columns(reader, columns, table, manifest, formats)
    events, more = csv_events(manifest, table.rows)
    reader.problems.extend(more)
    return csv_path, events


def _source_file(reader: ManifestReader, source: YMap) -> Path | None:
    """The CSV file ``source.path`` names, when it may be read and exists (else a problem).

    It must be inside the manifest root (see ``sources.confine``), and its name must be
    plain: the name is shown in the location of every problem of its rows.
    """
    if source.get("path") is None:
        reader.fail((source.line, source.column), "source", "source needs a 'path' to the CSV file")
        return None
    relative = str(source["path"])
    mark = source.value_marks.get("path")
    outside = reader.root.why_outside(reader.path.parent, relative)
    if outside is not None:
        reader.fail(
            mark,
            "source-outside-root",
            f"source path {quote(relative)} {outside}; it was not read: move the file inside "
            "the root, or pass --root DIR (or set root in acdload.toml) naming a directory "
            "that holds both",
        )
        return None
    if escape(relative, None) != relative:
        reader.fail(
            mark,
            "source",
            f"source path {quote(relative)} has control or invisible characters (shown "
            "escaped): rename the file and write its name plainly",
        )
        return None
    csv_path = reader.path.parent / relative
    if not csv_path.exists():
        reader.fail(
            mark, "source", f"source file {quote(relative)} not found (looked for {csv_path})"
        )
        return None
    return csv_path


def _source_options_usable(
    reader: ManifestReader, source: YMap, delimiter: str | None, encoding: str | None
) -> bool:
    """Check ``delimiter`` and ``encoding`` where they are written, not in the CSV file."""
    usable = True
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        reader.fail(
            source.value_marks.get("delimiter"),
            "source",
            f"delimiter {quote(delimiter)} cannot be used: give one character such as ',' ';' "
            'or a tab ("\\t")',
        )
        usable = False
    if encoding is not None:
        try:
            b"a".decode(encoding, "replace")  # empty bytes would not look the codec up
        except LookupError:
            reader.fail(
                source.value_marks.get("encoding"),
                "encoding",
                f"unknown encoding {quote(encoding)}: use an encoding name such as 'utf-8' or "
                "'cp1252' (Excel's on Western European Windows)",
            )
            usable = False
    return usable


def _read_formats(reader: ManifestReader, source: YMap, columns: YMap | None) -> Formats:
    """The appointment patterns, each checked and matched with the column it is for."""
    targets = {} if columns is None else {str(v): h for h, v in columns.items() if v is not None}
    formats: Formats = {}
    for key, (target, _) in FORMAT_KEYS.items():
        raw = source.get(key)
        mark = source.value_marks.get(key)
        if raw is None:
            continue
        if isinstance(raw, YMap | YList):
            why: str | None = (
                f"{key} must be a strptime pattern such as '%d.%m.%Y', not {describe(raw)}"
            )
        else:
            why = pattern_problem(key, str(raw))
        if why is not None:
            reader.fail(mark, "format-pattern", why, None if target == BOTH_FIELD else target)
            formats[target] = None
        elif columns is not None and target not in targets:
            reader.fail(
                mark,
                "source",
                f"{key} is for the column mapped to {target}, and source.columns maps none "
                f"to it: map the CSV column to {target}, or remove {key}",
            )
        else:
            formats[target] = AppointmentFormat(key, str(raw))
    if BOTH_FIELD in targets and BOTH_FIELD not in formats and columns is not None:
        header = targets[BOTH_FIELD]
        reader.fail(
            columns.value_marks.get(header),
            "source",
            f"column {quote(header)} is mapped to {BOTH_FIELD}, which needs the pattern its date "
            "and time are written in: add datetime_format to source, e.g. "
            'datetime_format: "%d.%m.%Y %H:%M"',
        )
        formats[BOTH_FIELD] = None
    return formats


def _gives(target: str | None) -> tuple[str, ...]:
    """The event fields a column mapped to ``target`` gives (none for vars and null)."""
    if target == BOTH_FIELD:
        return FORMAT_KEYS["datetime_format"][1]
    return (target,) if target in event_fields().order else ()


def _map_columns(
    reader: ManifestReader, columns: YMap, table: CsvTable, manifest: Manifest, formats: Formats
) -> None:
    fields = event_fields().order
    positions = {header: index for index, header in enumerate(table.header)}
    given_by: dict[str, str] = {}  # field -> the header that gives it
    for header, target in columns.items():
        mark = columns.value_marks.get(header)
        name = None if target is None else str(target)
        gives = _gives(name)
        if header not in positions:
            reader.fail(
                columns.key_marks.get(header),
                "source",
                f"CSV column {quote(header)} is not in {manifest.csv_display}"
                + suggest(header, table.header),
            )
            manifest.unread.update(gives)
            continue
        if name is None:
            continue
        if name.startswith("vars."):
            manifest.csv_vars[name[5:]] = positions[header]
        elif name in formats and formats[name] is None:
            manifest.unread.update(gives)  # its pattern is wrong: a problem says so
        elif gives:
            taken = next((given for given in gives if given in given_by), None)
            if taken is not None:
                reader.fail(
                    mark,
                    "source",
                    f"column {quote(header)} and column {quote(given_by[taken])} both give {taken}: "
                    "map one of them to null (or to vars.NAME)",
                    taken,
                )
                continue
            for given in gives:
                given_by[given] = header
                manifest.csv_columns[given] = (positions[header], header)
            form = formats.get(name)
            if form is not None:
                manifest.csv_formats[positions[header]] = form
        else:
            targets = (*fields, BOTH_FIELD)
            reader.fail(
                mark,
                "unknown-field",
                f"{quote(name)} is not an event field"
                + (
                    suggest(name, targets)
                    or "; map the column to an event field, vars.NAME, or null"
                ),
            )
            manifest.unread.update(_gives(closest(name, targets)))
    for index, header in enumerate(table.header):
        if header not in columns:
            reader.problems.append(
                error(
                    Location(manifest.csv_display or reader.display, table.header_line, index + 1),
                    "unmapped-column",
                    f"CSV column {quote(header)} is not named in source.columns of {reader.display}; "
                    "map it to an event field or vars.NAME, or to null to ignore it",
                )
            )
