"""The YAML manifest format, version 1: from a located YAML tree to a Manifest and events.

Every key is checked against the format (a typo must never pass silently); what is wrong
becomes a problem at the line where it was written, with a "did you mean" hint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from jinja2 import Environment, TemplateSyntaxError, meta

from acdload.csv_manifest import csv_events
from acdload.model import (
    KEYABLE_FIELDS,
    Event,
    Manifest,
    TemplateSpec,
    closest,
    coerce,
    describe,
    plain_value,
    suggest,
)
from acdload.problems import Location, Problem, error, warning
from acdload.render import template_environment
from acdload.rules.appointments import local_zone, zone
from acdload.schema import event_fields
from acdload.sources import CsvTable, YList, YMap
from acdload.sources.csv_source import read_csv

MANIFEST_KEYS = ("version", "defaults", "vars", "templates", "key", "timezone", "events", "source")
SOURCE_KEYS = ("path", "columns", "delimiter", "encoding")
EVENT_EXTRA_KEYS = ("vars",)


class _Reader:
    def __init__(self, display: str, path: Path) -> None:
        self.display = display
        self.path = path
        self.problems: list[Problem] = []

    def at(self, mark: tuple[int, int] | None, fallback_line: int = 1) -> Location:
        if mark is None:
            return Location(self.display, fallback_line)
        return Location(self.display, mark[0], mark[1])

    def fail(
        self, mark: tuple[int, int] | None, rule: str, message: str, field: str | None = None
    ) -> None:
        self.problems.append(error(self.at(mark), rule, message, field))

    def mapping(self, node: YMap, key: str, what: str) -> YMap | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, YMap):
            self.fail(
                node.value_marks.get(key),
                "structure",
                f"{what} must be a mapping, not {describe(value)}",
            )
            return None
        return value

    def unknown_keys(
        self, node: YMap, allowed: tuple[str, ...] | frozenset[str], where: str
    ) -> list[str]:
        """Report keys not in ``allowed``; return the allowed keys they were probably meant as."""
        meant = []
        for key in node:
            if key not in allowed:
                close = closest(key, allowed)
                self.fail(
                    node.key_marks.get(key),
                    "unknown-key",
                    f"unknown key {key!r} in {where}"
                    + (f"; did you mean {close!r}?" if close else ""),
                )
                if close is not None and close not in node:
                    meant.append(close)
        return meant


def read_manifest(
    data: object, display: str, path: Path
) -> tuple[Manifest, list[Event], list[Problem], Path | None]:
    """The manifest, its events and problems, and the CSV source file it named (if any)."""
    reader = _Reader(display, path)
    manifest = Manifest(display=display, timezone=local_zone())
    if not isinstance(data, YMap):
        reader.fail(
            None, "structure", "a manifest is a mapping with 'version: 1' and 'events' or 'source'"
        )
        return manifest, [], reader.problems, None
    reader.unknown_keys(data, MANIFEST_KEYS, "the manifest")
    _read_version(reader, data)
    _read_settings(reader, data, manifest)
    events = _read_events(reader, data, manifest)
    source_path = None
    source = reader.mapping(data, "source", "source")
    if source is not None:
        source_path, csv_events_read = _read_source(reader, source, manifest)
        events.extend(csv_events_read)
    if "events" not in data and "source" not in data:
        reader.problems.append(
            warning(
                Location(display, data.line),
                "no-events",
                "the manifest has neither events nor source",
            )
        )
    return manifest, events, reader.problems, source_path


def _read_version(reader: _Reader, data: YMap) -> None:
    if "version" not in data:
        reader.fail(
            (data.line, data.column), "version", "the manifest needs 'version: 1' at the top"
        )
    elif str(data["version"]) != "1":
        reader.fail(
            data.value_marks.get("version"),
            "version",
            f"unsupported manifest version {data['version']!r}; this acdload reads version 1",
        )


def _read_settings(reader: _Reader, data: YMap, manifest: Manifest) -> None:
    fields = event_fields()
    defaults = reader.mapping(data, "defaults", "defaults")
    if defaults is not None:
        manifest.unread.update(reader.unknown_keys(defaults, fields.order, "defaults"))
        for name, raw in defaults.items():
            if name not in fields.order:
                continue
            value, why = coerce(name, raw)
            if why is not None:
                reader.fail(defaults.value_marks.get(name), "type", why, name)
                manifest.unread.add(name)
            elif value is not None:
                manifest.defaults[name] = value
                manifest.default_locations[name] = reader.at(defaults.value_marks.get(name))
    variables = reader.mapping(data, "vars", "vars")
    if variables is not None:
        manifest.vars = plain_value(variables)
    templates = reader.mapping(data, "templates", "templates")
    if templates is not None:
        _read_templates(reader, templates, manifest)
    if "key" in data:
        _read_key(reader, data, manifest)
    if data.get("timezone") is not None:
        name = str(data["timezone"])
        found = zone(name)
        if found is None:
            reader.fail(
                data.value_marks.get("timezone"),
                "timezone",
                f"unknown time zone {name!r}"
                + (
                    suggest(name, available_timezones())
                    or "; use an IANA name such as Europe/Berlin"
                ),
            )
        else:
            manifest.timezone = found


def _read_templates(reader: _Reader, templates: YMap, manifest: Manifest) -> None:
    texts = event_fields().texts
    environment = template_environment()
    uses: dict[str, set[str]] = {}
    for name, raw in templates.items():
        mark = templates.value_marks.get(name)
        if name not in texts:
            hint = (
                "; templates render text: set it in defaults or per event"
                if name in event_fields().order
                else suggest(name, sorted(texts))
            )
            reader.fail(
                templates.key_marks.get(name), "unknown-key", f"no template for {name!r}{hint}"
            )
            continue
        if raw is None or isinstance(raw, YMap | YList):
            reader.fail(
                mark, "template", f"the template for {name} must be text, not {describe(raw)}", name
            )
            continue
        location = reader.at(mark)
        try:
            compiled = environment.from_string(str(raw))
            uses[name] = meta.find_undeclared_variables(environment.parse(str(raw)))
        except TemplateSyntaxError as exc:
            line, column = _template_error_mark(reader.path, mark, exc, environment)
            reader.problems.append(
                error(
                    Location(reader.display, line, column),
                    "template-syntax",
                    f"template for {name}: {exc.message}",
                    name,
                )
            )
            compiled = None
            manifest.unread.add(name)  # events without their own value are not told again
        manifest.templates[name] = TemplateSpec(name, str(raw), location, compiled)
    manifest.templates = _in_use_order(manifest.templates, uses)


def _in_use_order(
    templates: dict[str, TemplateSpec], uses: dict[str, set[str]]
) -> dict[str, TemplateSpec]:
    """Templates ordered so that one using another templated field renders after it."""
    ordered: dict[str, TemplateSpec] = {}

    def place(name: str, using: frozenset[str]) -> None:
        if name in ordered or name in using:
            return  # placed already, or a cycle: it sees the other's value before its template
        for used in sorted(uses.get(name, set()) & templates.keys()):
            place(used, using | {name})
        ordered[name] = templates[name]

    for name in templates:
        place(name, frozenset())
    return ordered


def _template_error_mark(
    path: Path, mark: tuple[int, int] | None, exc: TemplateSyntaxError, environment: Environment
) -> tuple[int, int | None]:
    """Where in the file a template's syntax error is.

    A block scalar (``|`` or ``>``) is parsed again from its lines as written, so the
    error's line is a file line even where ``>`` folded lines together. A quoted or plain
    template's line numbers say nothing about the file (YAML folds its line breaks and
    ``\\n`` escapes add some): its error is placed where the value starts.
    """
    if mark is None:
        return exc.lineno, None
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        first = lines[mark[0] - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return mark
    if first[mark[1] - 1 : mark[1]] not in ("|", ">"):
        return mark
    key_indent = len(first) - len(first.lstrip())
    block = []
    for line in lines[mark[0] :]:
        if line.strip() and len(line) - len(line.lstrip()) <= key_indent:
            break
        block.append(line)
    try:
        environment.parse("\n".join(block))
    except TemplateSyntaxError as again:
        return mark[0] + again.lineno, None
    return mark[0] + exc.lineno, None


def _read_key(reader: _Reader, data: YMap, manifest: Manifest) -> None:
    raw = data["key"]
    mark = data.value_marks.get("key")
    manifest.key_location = reader.at(mark)
    if not isinstance(raw, YList) or not raw:
        reader.fail(
            mark,
            "key",
            "key must be a non-empty list of event fields, e.g. [AcdEventTypesID, Sender, UserData]",
        )
        return
    names: list[str] = []
    for item, item_mark in zip(raw, raw.item_marks, strict=True):
        name = str(item)
        if name in names:
            reader.fail(item_mark, "key", f"{name} appears twice in key")
        elif name in KEYABLE_FIELDS:
            names.append(name)
        elif name in event_fields().order:
            reader.fail(
                item_mark,
                "key",
                f"{name} cannot be part of the key: the server does not echo it back in its "
                f"event records; use fields from {sorted(KEYABLE_FIELDS)}",
            )
        else:
            reader.fail(
                item_mark,
                "key",
                f"unknown key field {name!r}{suggest(name, sorted(KEYABLE_FIELDS))}",
            )
    if names:
        manifest.key = tuple(names)


def _read_events(reader: _Reader, data: YMap, manifest: Manifest) -> list[Event]:
    raw = data.get("events")
    if raw is None:
        return []
    if not isinstance(raw, YList):
        reader.fail(
            data.value_marks.get("events"),
            "structure",
            f"events must be a list, not {describe(raw)}",
        )
        return []
    allowed = (*event_fields().order, *EVENT_EXTRA_KEYS)
    events = []
    for item, mark in zip(raw, raw.item_marks, strict=True):
        if not isinstance(item, YMap):
            reader.fail(
                mark, "structure", f"each event must be a mapping of fields, not {describe(item)}"
            )
            continue
        unread = reader.unknown_keys(item, allowed, "an event")
        values: dict[str, Any] = {}
        for name, value_raw in item.items():
            if name in EVENT_EXTRA_KEYS or name not in allowed:
                continue
            value, why = coerce(name, value_raw)
            if why is not None:
                reader.fail(item.value_marks.get(name), "type", why, name)
                unread.append(name)
            elif value is not None:
                values[name] = value
        event_vars = reader.mapping(item, "vars", "an event's vars")
        event = Event(
            0,
            manifest,
            item.line,
            values,
            plain_value(event_vars) if event_vars is not None else None,
            item.value_marks,
        )
        if unread:
            event.unread = frozenset(unread)
        events.append(event)
    return events


def _read_source(
    reader: _Reader, source: YMap, manifest: Manifest
) -> tuple[Path | None, list[Event]]:
    reader.unknown_keys(source, SOURCE_KEYS, "source")
    if source.get("path") is None:
        reader.fail((source.line, source.column), "source", "source needs a 'path' to the CSV file")
        return None, []
    relative = str(source["path"])
    csv_path = reader.path.parent / relative
    mark = source.value_marks.get("path")
    if not csv_path.is_file():
        reader.fail(mark, "source", f"source file {relative!r} not found (looked for {csv_path})")
        return None, []
    columns = source.get("columns")
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
        reader.fail(mark, "source", f"cannot read source file {relative!r}: {exc.strerror}")
        return csv_path, []
    reader.problems.extend(problems)
    if table is None:
        return csv_path, []
    manifest.csv_display = csv_display
    _map_columns(reader, columns, table, manifest)
    events, more = csv_events(manifest, table.rows)
    reader.problems.extend(more)
    return csv_path, events


def _source_options_usable(
    reader: _Reader, source: YMap, delimiter: str | None, encoding: str | None
) -> bool:
    """Check ``delimiter`` and ``encoding`` where they are written, not in the CSV file."""
    usable = True
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        reader.fail(
            source.value_marks.get("delimiter"),
            "source",
            f"delimiter {delimiter!r} cannot be used: give one character such as ',' ';' "
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
                f"unknown encoding {encoding!r}: use an encoding name such as 'utf-8' or "
                "'cp1252' (Excel's on Western European Windows)",
            )
            usable = False
    return usable


def _map_columns(reader: _Reader, columns: YMap, table: CsvTable, manifest: Manifest) -> None:
    fields = event_fields().order
    positions = {header: index for index, header in enumerate(table.header)}
    for header, target in columns.items():
        mark = columns.value_marks.get(header)
        name = None if target is None else str(target)
        if header not in positions:
            reader.fail(
                columns.key_marks.get(header),
                "source",
                f"CSV column {header!r} is not in {manifest.csv_display}{suggest(header, table.header)}",
            )
            if name in fields:
                manifest.unread.add(name)
            continue
        if name is None:
            continue
        if name.startswith("vars."):
            manifest.csv_vars[name[5:]] = positions[header]
        elif name in fields:
            manifest.csv_columns[name] = (positions[header], header)
        else:
            meant = closest(name, fields)
            reader.fail(
                mark,
                "unknown-field",
                f"{name!r} is not an event field"
                + (
                    suggest(name, fields)
                    or "; map the column to an event field, vars.NAME, or null"
                ),
            )
            if meant is not None:
                manifest.unread.add(meant)
    for index, header in enumerate(table.header):
        if header not in columns:
            reader.problems.append(
                error(
                    Location(manifest.csv_display or reader.display, table.header_line, index + 1),
                    "unmapped-column",
                    f"CSV column {header!r} is not named in source.columns of {reader.display}; "
                    "map it to an event field or vars.NAME, or to null to ignore it",
                )
            )
