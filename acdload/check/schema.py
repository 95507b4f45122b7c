"""The JSON Schemas that ship with acdload, and the one place that checks payloads with them.

``schemas/acd-event.schema.json`` is the single source of every rule JSON Schema can state
about a create payload. The rest of acdload reads field facts (which fields exist, which
are integers, their length limits) from it instead of restating them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

SCHEMA_NAMES = ("event", "manifest")
_FILES = {"event": "acd-event.schema.json", "manifest": "manifest.schema.json"}


def schema_text(name: str) -> str:
    """The schema file exactly as shipped (what ``acdload schema`` prints)."""
    return (resources.files("acdload") / "schemas" / _FILES[name]).read_text(encoding="utf-8")


@cache
def load_schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


@dataclass(frozen=True, slots=True)
class EventFields:
    """Facts about event fields, read from the event schema."""

    order: tuple[str, ...]
    integers: frozenset[str]
    max_length: dict[str, int]

    @property
    def texts(self) -> frozenset[str]:
        return frozenset(self.order) - self.integers


@cache
def event_fields() -> EventFields:
    schema = load_schema("event")
    props = {name: _resolve(schema, node) for name, node in schema["properties"].items()}
    return EventFields(
        order=tuple(props),
        integers=frozenset(n for n, p in props.items() if p.get("type") == "integer"),
        max_length={n: p["maxLength"] for n, p in props.items() if "maxLength" in p},
    )


@dataclass(frozen=True, slots=True)
class SchemaFailure:
    field: str | None
    rule: str
    message: str
    across_fields: bool = False  # a rule about how fields combine, not about one value


_KEYWORD_RULES = {
    "type": "type",
    "maxLength": "max-length",
    "minLength": "empty",
    "required": "required",
    "additionalProperties": "unknown-field",
    "minimum": "range",
    "maximum": "range",
    "pattern": "format",
}


# Failures of these keywords mean the same whatever the field, so they keep a generic rule
# name even inside a subschema that names a more specific rule for its pattern or range.
_GENERIC_KEYWORDS = frozenset(
    {"type", "maxLength", "minLength", "required", "additionalProperties"}
)


class EventChecker:
    """Checks create payloads against the event schema; fast when they are valid."""

    def __init__(self) -> None:
        self._schema = load_schema("event")
        self._validator = jsonschema_rs.validator_for(self._schema)

    def check(self, payload: dict[str, Any]) -> list[SchemaFailure]:
        if self._validator.is_valid(payload):
            return []
        return [self._explain(err) for err in self._validator.iter_errors(payload)]

    def _explain(self, err: Any) -> SchemaFailure:
        annotation: dict[str, Any] = {}
        node: Any = self._schema
        for part in err.schema_path:
            node = node[part]
            if isinstance(node, dict) and "x-acdload" in node:
                annotation = node["x-acdload"]
        keyword = str(err.schema_path[-1]) if err.schema_path else ""
        field = str(err.instance_path[0]) if err.instance_path else annotation.get("field")
        if keyword == "required":
            field = str(err.kind.property)
        if keyword in _GENERIC_KEYWORDS or not annotation:
            rule = _KEYWORD_RULES.get(keyword, keyword)
        else:
            rule = annotation["rule"]
        across = not err.instance_path and keyword != "required"
        return SchemaFailure(field, rule, _message(keyword, field, err, annotation), across)


def _message(keyword: str, field: str | None, err: Any, annotation: dict[str, Any]) -> str:
    hint = annotation.get("hint")
    value = err.instance if err.instance_path else None  # else the whole payload
    if keyword == "required":
        return f"{field} is required"
    if keyword == "additionalProperties":
        return f"unknown field {err.kind.unexpected[0]!r}"
    if keyword == "type":
        wanted = "a whole number" if "integer" in str(err.kind.types) else "text"
        return f"{field} must be {wanted}, not {json.dumps(value, ensure_ascii=False)}"
    if keyword == "maxLength":
        return f"{field} is {len(err.instance)} characters long; the limit is {err.kind.limit}"
    if keyword == "minLength":
        return f"{field} is empty; leave it out or give a value"
    if hint:
        shown = (
            ""
            if field is None or value is None
            else f"{field} {json.dumps(value, ensure_ascii=False)}: "
        )
        return f"{shown}{hint}" if keyword != "oneOf" else hint
    return str(err.message)
