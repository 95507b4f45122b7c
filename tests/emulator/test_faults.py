"""Injected faults: reproducible with --seed, and each does exactly what it promises."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests

from acdload.emulator import EmulatorConfig, EmulatorConfigError
from acdload.emulator.faults import Fault, FaultPlan
from tests.emulator.helpers import CALLBACK, check_shape, create, get, records
from tests.emulator_support import RunningEmulator

Start = Callable[..., RunningEmulator]


def _outcomes(handle: RunningEmulator, count: int) -> list[int]:
    return [create(handle, {**CALLBACK, "Subject": f"event {i}"}).status_code for i in range(count)]


def test_fail_rate_answers_500_and_stores_nothing(emulator_factory: Start) -> None:
    handle = emulator_factory(fail_rate=0.5, seed=7)
    outcomes = _outcomes(handle, 40)
    assert set(outcomes) == {200, 500}
    stored = records(handle)
    assert len(stored) == outcomes.count(200)
    failed = create(emulator_factory(fail_rate=1.0), CALLBACK)
    assert failed.status_code == 500
    check_shape("error", failed.json())


def test_same_seed_same_faults(emulator_factory: Start) -> None:
    first = _outcomes(emulator_factory(fail_rate=0.5, seed=42), 30)
    again = _outcomes(emulator_factory(fail_rate=0.5, seed=42), 30)
    other = _outcomes(emulator_factory(fail_rate=0.5, seed=43), 30)
    assert first == again
    assert first != other


def test_fault_plan_draws_each_fault_at_its_rate() -> None:
    plan = FaultPlan(fail_rate=0.1, drop_rate=0.2, late_commit_rate=0.3, seed=1)
    draws = [plan.draw() for _ in range(20_000)]
    for fault, rate in (
        (Fault.FAIL, 0.1),
        (Fault.DROP, 0.2),
        (Fault.LATE_COMMIT, 0.3),
        (Fault.NONE, 0.4),
    ):
        assert abs(draws.count(fault) / len(draws) - rate) < 0.02


def test_invalid_creates_are_not_faulted(emulator_factory: Start) -> None:
    handle = emulator_factory(fail_rate=1.0)
    assert create(handle, {**CALLBACK, "Subject": ""}).status_code == 400


def test_drop_rate_stores_then_hangs_up(emulator_factory: Start) -> None:
    handle = emulator_factory(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        create(handle, CALLBACK)
    stored = records(handle)  # reads are never faulted
    assert len(stored) == 1
    assert stored[0]["Subject"] == CALLBACK["Subject"]


def test_late_commit_lands_after_the_client_gave_up(emulator_factory: Start) -> None:
    handle = emulator_factory(late_commit_rate=1.0, late_commit_ms=1000)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        create(handle, CALLBACK, timeout=0.2)
    assert records(handle) == []  # the client checks and finds nothing...
    assert time.monotonic() - started < 1.0
    deadline = time.monotonic() + 5
    while not records(handle) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(records(handle)) == 1  # ...although the event was about to appear


def test_late_commit_answers_a_patient_client(emulator_factory: Start) -> None:
    handle = emulator_factory(late_commit_rate=1.0, late_commit_ms=100)
    started = time.monotonic()
    assert create(handle, CALLBACK).status_code == 200
    assert time.monotonic() - started >= 0.1


def test_stop_commits_held_late_commits_at_once(emulator_factory: Start, tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite3"
    handle = emulator_factory(late_commit_rate=1.0, late_commit_ms=60_000, db=db)
    with pytest.raises(requests.Timeout):
        create(handle, CALLBACK, timeout=0.2)
    started = time.monotonic()
    handle.emulator.stop()
    assert time.monotonic() - started < 5
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (1,)


def test_latency_delays_every_answer(emulator_factory: Start) -> None:
    handle = emulator_factory(latency_ms=150)
    sends: list[Callable[[], requests.Response]] = [
        lambda: create(handle, CALLBACK),
        lambda: get(handle, "/acd/events"),
        lambda: get(handle, "/nope"),
    ]
    for send in sends:
        started = time.monotonic()
        send()
        assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"fail_rate": 1.5}, "--fail-rate"),
        ({"drop_rate": -0.1}, "--drop-rate"),
        ({"late_commit_rate": float("nan")}, "--late-commit-rate"),
        ({"fail_rate": 0.6, "drop_rate": 0.6}, None),
        ({"latency_ms": -1}, "--latency-ms"),
        ({"late_commit_ms": -1}, "--late-commit-ms"),
        ({"port": 70000}, "--port"),
        ({"client_id": 0}, "--client-id"),
        ({"token": "two words"}, "--token"),
        ({"token": ""}, "--token"),
    ],
)
def test_bad_options_are_config_errors(options: dict[str, Any], option: str | None) -> None:
    with pytest.raises(EmulatorConfigError) as caught:
        EmulatorConfig(**options)
    assert caught.value.option == option
