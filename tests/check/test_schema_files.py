"""The JSON Schemas in schemas/: valid Draft 2020-12, in step with each other, and the
bundled examples valid against the manifest schema and through ``acdload validate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from acdload.check.rules.severities import DEFAULTS
from acdload.manifest.model import KEYABLE_FIELDS
from acdload.manifest.source_section import SOURCE_KEYS
from acdload.manifest.yaml_manifest import MANIFEST_KEYS
from tests.cli_runner import Cli

ROOT = Path(__file__).parent.parent.parent
SCHEMAS = ROOT / "schemas"
EXAMPLES = ROOT / "examples"


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


EVENT = _schema("acd-event.schema.json")
MANIFEST = _schema("manifest.schema.json")
EVENT_FIELDS = list(EVENT["properties"])


@pytest.mark.parametrize("name", ["acd-event.schema.json", "manifest.schema.json"])
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = _schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_manifest_events_and_defaults_name_exactly_the_event_fields() -> None:
    event_item = MANIFEST["properties"]["events"]["items"]["properties"]
    defaults = MANIFEST["properties"]["defaults"]["properties"]
    assert [name for name in event_item if name != "vars"] == EVENT_FIELDS
    assert list(defaults) == EVENT_FIELDS


def test_manifest_field_descriptions_are_the_event_schemas() -> None:
    event_item = MANIFEST["properties"]["events"]["items"]["properties"]
    defaults = MANIFEST["properties"]["defaults"]["properties"]
    for name, node in EVENT["properties"].items():
        assert event_item[name]["description"] == node["description"], name
        assert defaults[name]["description"] == node["description"], name


def test_manifest_field_lists_match_the_event_schema() -> None:
    integers = {n for n, p in EVENT["properties"].items() if p.get("$ref") == "#/$defs/id"}
    integers |= {n for n, p in EVENT["properties"].items() if p.get("type") == "integer"}
    texts = [name for name in EVENT_FIELDS if name not in integers]
    assert list(MANIFEST["properties"]["templates"]["properties"]) == texts
    columns = MANIFEST["properties"]["source"]["properties"]["columns"]["additionalProperties"]
    assert columns["anyOf"][0]["enum"] == EVENT_FIELDS
    assert columns["anyOf"][1]["const"] == "dtAppointment"
    key = MANIFEST["properties"]["key"]
    assert set(key["items"]["enum"]) == KEYABLE_FIELDS
    assert set(key["default"]) <= KEYABLE_FIELDS


def test_manifest_schema_names_exactly_the_keys_the_reader_accepts() -> None:
    assert list(MANIFEST["properties"]) == list(MANIFEST_KEYS)
    assert list(MANIFEST["properties"]["source"]["properties"]) == list(SOURCE_KEYS)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_validates_against_the_manifest_schema(example: Path) -> None:
    # yaml.safe_load is YAML 1.1, as editors are: the examples quote what it would retype.
    document = yaml.safe_load(example.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(MANIFEST).validate(document)


def test_manifest_schema_refuses_what_acdload_refuses() -> None:
    validator = jsonschema.Draft202012Validator(MANIFEST)
    wrong = [
        {"version": 2},
        {"version": 1, "defualts": {}},
        {"version": 1, "events": [{"Subjet": "x"}]},
        {"version": 1, "key": ["nPriority"]},
        {"version": 1, "source": {"path": "a.csv", "columns": {"Mail": "Sendr"}}},
        {"version": 1, "templates": {"nPriority": "{{ 5 }}"}},
        {"version": 1, "phone_region": "Germany"},
        {"version": 1, "source": {"path": "a.csv", "columns": {}, "date_fromat": "%d.%m.%Y"}},
        {"version": 1, "source": {"path": "a.csv", "columns": {"Termin": "dtAppointments"}}},
        {"version": 1, "calling_hours": {"mon-fry": "08:00-20:00"}},
        {"version": 1, "calling_hours": {"mon": "9-17"}},
        {"version": 1, "calling_hours": {"types": ["3"]}},
        {"version": 1, "holidays": "Germany"},
        {"version": 1, "double_booking": "90"},
        {"version": 1, "checks": {"holidays": "off"}},
        {"version": 1, "checks": {"holiday": "warn"}},
    ]
    for document in wrong:
        assert not validator.is_valid(document), document


def test_examples_folder_validates_with_no_problem_through_the_cli(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("validate", "examples", "--now", "2026-11-28T12:00:00")
    assert result.exit_code == 0, result.output
    assert result.stdout == "valid: 0 errors, 0 warnings in 8 events from 3 files\n"


def test_the_callability_keys_in_the_schema_are_the_readers() -> None:
    assert list(MANIFEST["properties"]["checks"]["properties"]) == list(DEFAULTS)
    validator = jsonschema.Draft202012Validator(MANIFEST)
    document = {
        "version": 1,
        "calling_hours": {"mon-fri": "08:00-20:00", "sat, sun": "09:00-14:00", "types": [3]},
        "holidays": "DE-BY",
        "double_booking": "1h30m",
        "checks": {"holiday": False, "double-booked": "off", "already-open": "error"},
    }
    assert validator.is_valid(document), list(validator.iter_errors(document))
