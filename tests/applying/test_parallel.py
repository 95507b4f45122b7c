"""``apply --parallel N``: creates start in manifest order, at most N in flight, never two of
one Sender at once, events more than N apart made in order, and every key exactly once
through faults, late commits and kills."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from acdload.applying.applier import ApplyOptions
from acdload.planning.matching import Action
from acdload.target.client import CreateAnswer
from tests.applying.fake_jtel import (
    KEY_FIELDS,
    FakeJtel,
    action,
    apply,
    created,
    journal_entries,
    payload,
)
from tests.applying.support import (
    assert_created_exactly_once,
    ids_by_key,
    load_report,
    run_apply,
    server_records,
    start_apply,
    text_of,
    wait_for,
    write_csv,
)
from tests.emulator_support import EmulatorProcess


class Watched:
    """Creates that take real time (10 ms), and who was in flight with whom."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: list[str] = []
        self.most = 0
        self.together: set[str] = set()

    def step(self, server: FakeJtel, body: dict[str, Any]) -> CreateAnswer:
        with self.lock:
            if body["Sender"] in {s for s, _ in map(self._split, self.in_flight)}:
                self.together.add(body["Sender"])
            self.in_flight.append(f"{body['Sender']}|{body['UserData']}")
            self.most = max(self.most, len(self.in_flight))
        time.sleep(0.01)
        with self.lock:
            self.in_flight.remove(f"{body['Sender']}|{body['UserData']}")
            return created()(server, body)

    @staticmethod
    def _split(text: str) -> tuple[str, str]:
        left, right = text.split("|")
        return left, right


def same_sender(number: int, as_number: int) -> Action:
    """Event ``number`` of the customer of event ``as_number``."""
    body = payload(number, Sender=payload(as_number)["Sender"])
    key = {name: body[name] for name in KEY_FIELDS}
    return Action(number, "load.csv", number + 2, key, "create", None, {}, body)


def test_creates_start_in_order_at_most_n_in_flight_never_one_sender_twice(
    tmp_path: Path, server: FakeJtel
) -> None:
    watched = Watched()
    actions = [action(n) for n in range(24)] + [same_sender(n, 0) for n in range(24, 28)]
    server.then(*[watched.step] * len(actions))

    run = apply(tmp_path, server, actions, ApplyOptions(timeout=2.0, parallel=4))

    assert [r.outcome for r in run.results] == ["created"] * 28
    # Started in manifest order: each create's "sent" is written before the next may start
    # (the requests themselves then race only within the window).
    sends = [e["index"] for e in journal_entries(tmp_path) if e["kind"] == "sent"]
    assert sends == list(range(28))
    assert 2 <= watched.most <= 4
    assert watched.together == set()
    assert len(server.events) == 28


def test_events_more_than_n_apart_are_made_in_order(tmp_path: Path, server: FakeJtel) -> None:
    """Event k starts only once event k - N is over, so its ID is higher."""
    lock = threading.Lock()
    rng = random.Random(3)

    def slow(server: FakeJtel, body: dict[str, Any]) -> CreateAnswer:
        time.sleep(rng.uniform(0.0, 0.01))
        with lock:
            return created()(server, body)

    server.then(*[slow] * 30)

    run = apply(tmp_path, server, [action(n) for n in range(30)], ApplyOptions(parallel=3))

    ids = [r.event_id for r in run.results]
    assert all(
        ids[i] < ids[j]  # type: ignore[operator]
        for i in range(30)
        for j in range(i + 4, 30)
    )


# -- end to end, against the emulator -----------------------------------------------------------


def test_parallel_8_through_failures_drops_and_late_commits(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process(
        "--fail-rate", "0.15", "--drop-rate", "0.1", "--late-commit-rate", "0.1",
        "--late-commit-ms", "650", "--latency-ms", "5", "--seed", "11", in_memory=True,
    )  # fmt: skip
    write_csv(tmp_path / "load.csv", 120)

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--timeout", "0.4", "--parallel", "8",
        "--report", "report.json", handle=emulator,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    report = load_report(tmp_path / "report.json")
    assert_created_exactly_once(emulator, report, 120)
    assert [r["line"] for r in report["results"]] == list(range(2, 122))  # manifest order
    assert any(r["http_status"] is None for r in report["results"])  # drops were settled


def test_parallel_8_killed_at_random_moments_then_run_again(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    emulator = emulator_process("--latency-ms", "20", "--drop-rate", "0.05", in_memory=True)
    write_csv(tmp_path / "load.csv", 600)
    args = ("load.csv", "--yes", "--timeout", "0.5", "--parallel", "8", "--report", "r.json")
    rng = random.Random(8)
    kills = 0
    for attempt in range(8):  # killed 8 times, or until a run completes
        stderr = tmp_path / f"run-{attempt}.stderr"
        process = start_apply(tmp_path, *args, handle=emulator, stderr=stderr)
        try:
            assert wait_for(lambda: "plan:" in text_of(stderr), process), text_of(stderr)  # noqa: B023
            try:
                process.wait(rng.uniform(0.05, 0.3))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
        finally:
            code = process.wait(30)
        if code != -signal.SIGKILL:  # the load completed before the kill came
            assert code == 0, text_of(stderr)
            assert kills >= 2
            assert_created_exactly_once(emulator, load_report(tmp_path / "r.json"), 600)
            return
        kills += 1
        duplicated = {k: v for k, v in ids_by_key(server_records(emulator)).items() if len(v) > 1}
        assert not duplicated, f"after kill {kills}: {duplicated}"
    assert kills == 8

    final = run_apply(tmp_path, *args, handle=emulator)

    assert final.returncode == 0, final.stderr[-3000:]
    assert_created_exactly_once(emulator, load_report(tmp_path / "r.json"), 600)


def test_parallel_needs_a_positive_count(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 1)
    done = run_apply(tmp_path, "load.csv", "--yes", "--parallel", "0", token="t")
    assert done.returncode == 2
    assert "--parallel" in done.stderr
