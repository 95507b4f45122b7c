"""Checked against things the emulator did not write: the curl binary and JSON Schemas.

curl sends the seed's example requests as jtel's documentation would (its own HTTP
stack, its own headers); the schemas under ``response-schemas/`` were written from the
seed text, not from the emulator's code, and are checked here against the seed too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.emulator.helpers import (
    CALLBACK,
    SEED_EXAMPLES,
    SEED_REQUESTS,
    check_shape,
    create,
    schema_validators,
    seed_example,
)
from tests.emulator_support import RunningEmulator

CURL = shutil.which("curl") or "/usr/bin/curl"


def _curl(*args: str) -> tuple[int, bytes]:
    """Run curl; return the HTTP status and the body."""
    done = subprocess.run(
        [
            CURL,
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--write-out",
            "\n%{http_code}",
            *args,
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    body, _, status = done.stdout.rpartition(b"\n")
    return int(status), body


@pytest.mark.parametrize("name", SEED_REQUESTS)
def test_curl_sends_the_seed_examples(emulator: RunningEmulator, name: str) -> None:
    status, body = _curl(
        "--request",
        "POST",
        "--header",
        f"Authorization: Bearer {emulator.token}",
        "--header",
        "Content-Type: application/json",
        "--data-binary",
        f"@{SEED_EXAMPLES / name}",
        emulator.url("/acd/events/create"),
    )
    assert status == 200, body
    document = json.loads(body)
    check_shape("create", document)
    sent = json.loads(seed_example(name))
    assert document["records"][0]["Subject"] == sent["Subject"]
    assert document["records"][0].get("Body") is None  # Body only lives in EventData


def test_curl_reads_back_list_one_record_and_types(emulator: RunningEmulator) -> None:
    auth = f"Authorization: Bearer {emulator.token}"
    created = create(emulator, seed_example("create-ticket.json")).json()["records"][0]
    status, body = _curl("--header", auth, emulator.url("/acd/events"))
    assert status == 200
    check_shape("list", json.loads(body))
    status, body = _curl("--header", auth, emulator.url(f"/acd/events/event/{created['ID']}"))
    assert status == 200
    check_shape("one-record", json.loads(body))
    status, body = _curl("--header", auth, emulator.url("/acd/events/types"))
    assert status == 200
    check_shape("types", json.loads(body))


@pytest.mark.parametrize(
    "args", [["--header", "Authorization: Bearer wrong"], []], ids=["wrong-token", "no-token"]
)
def test_curl_sees_401_error_bodies(emulator: RunningEmulator, args: list[str]) -> None:
    status, body = _curl(*args, emulator.url("/acd/events"))
    assert status == 401
    check_shape("error", json.loads(body))


def test_curl_unknown_path_and_id(emulator: RunningEmulator) -> None:
    auth = f"Authorization: Bearer {emulator.token}"
    assert _curl("--header", auth, emulator.url("/acd/nothing")) == (404, b"")
    status, body = _curl("--header", auth, emulator.url("/acd/events/event/12345"))
    assert status == 404
    check_shape("error", json.loads(body))


def test_curl_form_post_is_400(emulator: RunningEmulator) -> None:
    """curl's plain ``-d`` sends application/x-www-form-urlencoded: jtel needs JSON."""
    status, body = _curl(
        "--header",
        f"Authorization: Bearer {emulator.token}",
        "--data",
        json.dumps(CALLBACK),
        emulator.url("/acd/events/create"),
    )
    assert status == 400
    assert json.loads(body)["error"].startswith("Content-Type: ")


def test_schemas_are_valid_draft_2020_12() -> None:
    validators = schema_validators()
    assert set(validators) == {"event", "list", "one-record", "create", "types", "error"}
    for validator in validators.values():
        Draft202012Validator.check_schema(validator.schema)


def test_seed_example_response_matches_the_create_schema() -> None:
    """The schemas describe jtel's own example, so they are not tuned to the emulator."""
    check_shape("create", json.loads(seed_example("create-response.json")))


def _mutations() -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
    def record(document: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = document["records"][0]
        return result

    return [
        ("missing field", lambda d: record(d).pop("ForeignSystemNumber")),
        ("extra field", lambda d: record(d).update(Extra=1)),
        ("timestamp with zone", lambda d: record(d).update(dtCreated="2020-09-15T02:59:32.794Z")),
        ("string ID", lambda d: record(d).update(ID="2039")),
        ("wrong Result_", lambda d: record(d).update(Result_="CREATED")),
        ("missing status", lambda d: d.pop("status")),
        ("count 2", lambda d: d.update(count=2)),
    ]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[m[0] for m in _mutations()])
def test_schemas_reject_wrong_shapes(name: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(seed_example("create-response.json"))
    mutate(document)
    with pytest.raises(AssertionError):
        check_shape("create", document)


def test_every_schema_file_is_used() -> None:
    names = {path.name for path in (Path(__file__).parent / "response-schemas").iterdir()}
    assert names == {f"{kind}.schema.json" for kind in schema_validators()}
