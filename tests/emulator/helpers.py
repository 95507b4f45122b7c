"""Shared helpers of the emulator tests: seed examples, requests, answer-shape checks."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import requests
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.emulator_support import EmulatorHandle

HERE = Path(__file__).parent
SEED_EXAMPLES = HERE / "seed-examples"
SCHEMAS = HERE / "response-schemas"
SEED_REQUESTS = ("create-callback.json", "create-callback-for-user.json", "create-ticket.json")

# A valid callback, for tests that change one field at a time.
CALLBACK: dict[str, Any] = {
    "AcdEventTypesID": 3,
    "AcdGroupsID": 235,
    "Sender": "49199123456789",
    "Receiver": "4919900112233",
    "Subject": "Callback request",
    "Body": "Please call back.",
    "CrmURL": "https://www.jtel.de",
    "UserData": "987654",
}


def seed_example(name: str) -> bytes:
    """One of jtel's documented example bodies, byte for byte."""
    return (SEED_EXAMPLES / name).read_bytes()


def create(
    handle: EmulatorHandle,
    body: bytes | dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> requests.Response:
    """POST a create body (JSON-encoded unless given as bytes) with the usual headers."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {**handle.headers, "Content-Type": "application/json", **(headers or {})}
    return requests.post(handle.url("/acd/events/create"), data=data, headers=sent, timeout=timeout)


def get(handle: EmulatorHandle, path: str, *, timeout: float = 10.0) -> requests.Response:
    return requests.get(handle.url(path), headers=handle.headers, timeout=timeout)


def records(handle: EmulatorHandle) -> list[dict[str, Any]]:
    """Every stored record, via the list function."""
    answer = get(handle, "/acd/events")
    assert answer.status_code == 200
    result: list[dict[str, Any]] = answer.json()["records"]
    return result


@cache
def _validators() -> dict[str, Draft202012Validator]:
    schemas = {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in SCHEMAS.glob("*.schema.json")
    }
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return {
        name.removesuffix(".schema.json"): Draft202012Validator(schema, registry=registry)
        for name, schema in schemas.items()
    }


def check_shape(kind: str, document: object) -> None:
    """Assert that an answer matches ``response-schemas/{kind}.schema.json``."""
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in _validators()[kind].iter_errors(document)
    ]
    assert not errors, "\n".join(errors)
    if isinstance(document, dict) and "count" in document and "records" in document:
        assert document["count"] == len(document["records"])


def schema_validators() -> dict[str, Draft202012Validator]:
    return _validators()
