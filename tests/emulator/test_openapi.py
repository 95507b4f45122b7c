"""The emulator against its OpenAPI description, by schemathesis.

``schemas/jtel-acd-events.openapi.yaml`` describes the four endpoints and their answers.
schemathesis generates requests from it, valid ones and invalid ones, and checks every
answer: no 5xx (no fault is configured), a documented status, content type and headers,
and a body that matches the description. The run is derandomized and bounded (200
examples per operation), so CI sees the same requests every time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis import Case, checks
from schemathesis.config import SchemathesisConfig

from acdload.emulator import Emulator, EmulatorConfig
from tests.emulator.helpers import SEED_REQUESTS, create, seed_example
from tests.emulator_support import EmulatorHandle, RunningEmulator

DESCRIPTION = Path(__file__).resolve().parents[2] / "schemas" / "jtel-acd-events.openapi.yaml"
# An explicit, empty configuration: no schemathesis.toml of the developer's applies.
SCHEMA = schemathesis.openapi.from_path(DESCRIPTION, config=SchemathesisConfig())
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    """One emulator for every generated request (a fixture per example would be slow).

    It holds jtel's three example events, IDs 1 to 3, so that looking up an ID can find one.
    """
    with Emulator(EmulatorConfig(host="127.0.0.1")) as emulator:
        handle = EmulatorHandle(emulator.base_url, emulator.token, emulator.client_id, None)
        for name in SEED_REQUESTS:
            assert create(handle, seed_example(name)).status_code == 200
        yield emulator


def test_description_is_valid_openapi_3_1() -> None:
    SCHEMA.validate()  # against the OpenAPI 3.1 meta-schema; raises if it is not valid
    document = yaml.safe_load(DESCRIPTION.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1.")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    operations = {result.ok().label for result in SCHEMA.get_all_operations()}
    assert operations == {
        "GET /acd/events",
        "GET /acd/events/event/{AcdEventsID}",
        "GET /acd/events/types",
        "POST /acd/events/create",
    }


def test_description_ships_in_the_package() -> None:
    shipped = resources.files("acdload") / "schemas" / DESCRIPTION.name
    assert shipped.read_text(encoding="utf-8") == DESCRIPTION.read_text(encoding="utf-8")


def test_seed_examples_are_the_described_examples() -> None:
    """The description's request examples are jtel's, so the examples phase sends them."""
    document = yaml.safe_load(DESCRIPTION.read_text(encoding="utf-8"))
    body = document["paths"]["/acd/events/create"]["post"]["requestBody"]
    described = [
        example["value"] for example in body["content"]["application/json"]["examples"].values()
    ]
    assert described == [yaml.safe_load(seed_example(name)) for name in SEED_REQUESTS]


@SCHEMA.parametrize()
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_emulator_conforms_to_the_description(case: Case, served: Emulator) -> None:
    case.call_and_validate(
        base_url=served.base_url,
        headers={"Authorization": f"Bearer {served.token}"},
        checks=CHECKS,
        timeout=10,
    )


def test_an_updated_duplicate_conforms_to_the_description(
    emulator_factory: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    """The one answer generated requests cannot reach: ``Result_`` from a no-duplicates group."""
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups: [{id: 235, no_duplicates: true}]\n", encoding="utf-8")
    handle = emulator_factory(groups=groups)
    ticket = json.loads(seed_example("create-ticket.json"))
    operation = SCHEMA["/acd/events/create"]["POST"]
    answers = [
        operation.Case(body=ticket, media_type="application/json").call_and_validate(
            base_url=handle.base_url, headers=handle.headers, checks=CHECKS, timeout=10
        )
        for _ in range(2)
    ]
    assert "Result_" not in answers[0].json()["records"][0]
    assert answers[1].json()["records"][0]["Result_"] == "UPDATED"
