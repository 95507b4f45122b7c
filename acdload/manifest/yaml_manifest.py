"""The YAML manifest format, version 1: from a located YAML tree to a Manifest and events.

Every key is checked against the format (a typo must never pass silently); what is wrong
becomes a problem at the line where it was written, with a "did you mean" hint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from acdload.check.rules import phones
from acdload.check.rules.appointments import local_zone, zone
from acdload.check.rules.callability import KEYS as CALLABILITY_KEYS
from acdload.check.schema import event_fields
from acdload.manifest.callability_section import read_callability
from acdload.manifest.model import (
    KEYABLE_FIELDS,
    Event,
    Manifest,
    coerce,
    describe,
    plain_value,
    suggest,
)
from acdload.manifest.placeholders import settle_placeholders
from acdload.manifest.reader import ManifestReader
from acdload.manifest.source_section import read_source
from acdload.manifest.sources import YList, YMap
from acdload.manifest.sources.confine import ManifestRoot
from acdload.manifest.template_section import read_templates
from acdload.problems import Location, Problem, warning
from acdload.safetext import quote

MANIFEST_KEYS = (
    "version",
    "defaults",
    "vars",
    "templates",
    "key",
    "timezone",
    "phone_region",
    "events",
    "source",
    *CALLABILITY_KEYS,
)
EVENT_EXTRA_KEYS = ("vars",)


def read_manifest(
    data: object,
    display: str,
    path: Path,
    phone_region: str | None = None,
    root: Path | None = None,
) -> tuple[Manifest, list[Event], list[Problem], Path | None]:
    """The manifest, its events and problems, and the CSV source file it named (if any).

    ``phone_region`` (``--phone-region``) applies unless the manifest names its own.
    ``root`` (``--root``) is the manifest root; without it, the manifest's directory.
    """
    where = ManifestRoot.of_manifest(path, display) if root is None else ManifestRoot.given(root)
    reader = ManifestReader(display, path, where)
    manifest = Manifest(display=display, timezone=local_zone(), phone_region=phone_region)
    if not isinstance(data, YMap):
        reader.fail(
            None, "structure", "a manifest is a mapping with 'version: 1' and 'events' or 'source'"
        )
        return manifest, [], reader.problems, None
    reader.unknown_keys(data, MANIFEST_KEYS, "the manifest")
    _read_version(reader, data)
    _read_settings(reader, data, manifest)
    reader.problems.extend(read_callability(data, manifest))
    events = _read_events(reader, data, manifest)
    source_path = None
    source = reader.mapping(data, "source", "source")
    if source is not None:
        source_path, csv_events_read = read_source(reader, source, manifest)
        events.extend(csv_events_read)
    if "events" not in data and "source" not in data:
        reader.problems.append(
            warning(
                Location(display, data.line),
                "no-events",
                "the manifest has neither events nor source",
            )
        )
    settle_placeholders(reader, data, manifest)
    return manifest, events, reader.problems, source_path


def _read_version(reader: ManifestReader, data: YMap) -> None:
    if "version" not in data:
        reader.fail(
            (data.line, data.column), "version", "the manifest needs 'version: 1' at the top"
        )
    elif str(data["version"]) != "1":
        reader.fail(
            data.value_marks.get("version"),
            "version",
            f"unsupported manifest version {quote(str(data['version']))}; "
            "this acdload reads version 1",
        )


def _read_settings(reader: ManifestReader, data: YMap, manifest: Manifest) -> None:
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
        read_templates(reader, templates, manifest)
    if "key" in data:
        _read_key(reader, data, manifest)
    if data.get("timezone") is not None:
        name = str(data["timezone"])
        found = zone(name)
        if found is None:
            reader.fail(
                data.value_marks.get("timezone"),
                "timezone",
                f"unknown time zone {quote(name)}"
                + (
                    suggest(name, available_timezones())
                    or "; use an IANA name such as Europe/Berlin"
                ),
            )
        else:
            manifest.timezone = found
    if data.get("phone_region") is not None:
        _read_phone_region(reader, data, manifest)


def _read_phone_region(reader: ManifestReader, data: YMap, manifest: Manifest) -> None:
    raw = data["phone_region"]
    why = (
        f"phone_region must be a two-letter country code such as DE, not {describe(raw)}"
        if isinstance(raw, YMap | YList)
        else phones.region_problem(str(raw))
    )
    if why is None:
        manifest.phone_region = str(raw)
    else:
        reader.fail(data.value_marks.get("phone_region"), "phone-region", why)
        manifest.phone_region_unread = True


def _read_key(reader: ManifestReader, data: YMap, manifest: Manifest) -> None:
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
                f"unknown key field {quote(name)}{suggest(name, sorted(KEYABLE_FIELDS))}",
            )
    if names:
        manifest.key = tuple(names)


def _read_events(reader: ManifestReader, data: YMap, manifest: Manifest) -> list[Event]:
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
