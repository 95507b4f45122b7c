"""Create bodies: every rule answers 400 naming the field, and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from acdload.emulator import Emulator, EmulatorConfig
from tests.emulator.helpers import CALLBACK, check_shape, create, records
from tests.emulator_support import RunningEmulator

CASES = Path(__file__).parent / "cases"


def _load(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    return cases


def _body(case: dict[str, Any]) -> object:
    if "body" in case:
        return case["body"]
    body = {k: v for k, v in CALLBACK.items() if k not in case.get("remove", [])}
    body.update(case.get("set", {}))
    return body


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningEmulator]:
    """One emulator for the many cases here: none of them depends on another's events."""
    with Emulator(EmulatorConfig()) as emulator:
        yield RunningEmulator(emulator.base_url, emulator.token, emulator.client_id, None, emulator)


def _post(
    shared: RunningEmulator, data: bytes, content_type: str = "application/json"
) -> requests.Response:
    return create(shared, data, headers={"Content-Type": content_type})


def _assert_400(answer: requests.Response, field: str) -> None:
    assert answer.status_code == 400, answer.text
    check_shape("error", answer.json())
    assert answer.json()["status"] == 400
    assert answer.json()["error"].startswith(f"{field}: "), answer.json()["error"]


@pytest.mark.parametrize("case", _load("invalid-creates.yaml"), ids=lambda case: case["name"])
def test_invalid_create_is_400_naming_the_field(
    shared: RunningEmulator, case: dict[str, Any]
) -> None:
    before = len(records(shared))
    _assert_400(_post(shared, json.dumps(_body(case)).encode()), case["field"])
    assert len(records(shared)) == before


@pytest.mark.parametrize("case", _load("valid-creates.yaml"), ids=lambda case: case["name"])
def test_valid_create_is_accepted(shared: RunningEmulator, case: dict[str, Any]) -> None:
    answer = _post(shared, json.dumps(_body(case)).encode())
    assert answer.status_code == 200, answer.text
    check_shape("create", answer.json())


LIMITS = {
    "Subject": 1000,
    "Body": 65536,
    "CrmURL": 2048,
    "Sender": 255,
    "Receiver": 255,
    "UserData": 255,
}


@pytest.mark.parametrize("field", sorted(LIMITS))
def test_length_limits(shared: RunningEmulator, field: str) -> None:
    at_limit = {**CALLBACK, field: "x" * LIMITS[field]}
    assert _post(shared, json.dumps(at_limit).encode()).status_code == 200
    over = {**CALLBACK, field: "x" * (LIMITS[field] + 1)}
    _assert_400(_post(shared, json.dumps(over).encode()), field)


@pytest.mark.parametrize(
    "data",
    [
        b"{",
        b"",
        b"   ",
        b'{"AcdEventTypesID": 3,}',
        b"\xff\xfe{}",
        b'{"nPriority": NaN}',
        b'{"nPriority": Infinity}',
        b"[" * 100_000,
        b'{"nPriority": ' + b"9" * 5000 + b"}",
        "\ufeff{}".encode(),
    ],
    ids=[
        "truncated",
        "empty",
        "blank",
        "trailing-comma",
        "not-utf8",
        "nan",
        "infinity",
        "deep-nesting",
        "huge-integer",
        "bom",
    ],
)
def test_malformed_body_is_400(shared: RunningEmulator, data: bytes) -> None:
    _assert_400(_post(shared, data), "request body")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type_is_400(shared: RunningEmulator, content_type: str) -> None:
    _assert_400(_post(shared, json.dumps(CALLBACK).encode(), content_type), "Content-Type")


def test_content_type_parameters_are_accepted(shared: RunningEmulator) -> None:
    answer = _post(shared, json.dumps(CALLBACK).encode(), "Application/JSON; charset=utf-8")
    assert answer.status_code == 200


def test_body_over_one_mebibyte_is_400(shared: RunningEmulator) -> None:
    valid = json.dumps(CALLBACK).encode()
    exactly = valid + b" " * ((1 << 20) - len(valid))
    assert _post(shared, exactly).status_code == 200
    answer = _post(shared, exactly + b" ")
    _assert_400(answer, "request body")
    assert answer.headers["Connection"] == "close"


def test_far_oversized_body_is_refused_without_a_crash(shared: RunningEmulator) -> None:
    """Beyond what is worth reading, the connection is closed: a 400 or a reset, never a 500."""
    try:
        answer = _post(shared, b" " * (20 << 20))
    except requests.ConnectionError:
        pass
    else:
        _assert_400(answer, "request body")
    assert _post(shared, json.dumps(CALLBACK).encode()).status_code == 200


def test_chunked_body_is_400(shared: RunningEmulator) -> None:
    answer = requests.post(
        shared.url("/acd/events/create"),
        data=iter([json.dumps(CALLBACK).encode()]),  # a generator: requests sends it chunked
        headers={**shared.headers, "Content-Type": "application/json"},
        timeout=10,
    )
    _assert_400(answer, "Transfer-Encoding")
