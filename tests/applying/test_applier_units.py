"""How apply runs a load, on a fake clock: what is sent, when the run stops, what every
event is reported as, what the journal keeps, and what a killed run left behind.

As in ``test_create_units.py`` (every way one create is answered and retried), the
applier and its journal run for real against ``FakeJtel`` and a ``FakeClock``: each test
asserts the waits apply asked for, and runs in milliseconds.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from acdload.applying.applier import ApplyOptions, preflight
from acdload.applying.creates import Failpoint
from acdload.applying.journal import JournalError
from acdload.errors import AcdloadError, ExitCode, TargetError
from tests.applying.fake_jtel import (
    OPTIONS,
    SETTLE,
    WALL_START,
    FakeJtel,
    Step,
    action,
    answered,
    apply,
    created,
    journal_entries,
    kinds,
    no_answer,
    outcome,
    payload,
    record_answer,
    refused,
    then_also,
)


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in apply catches it, so the run ends where it is."""


def kill_at(phase: str, request: int = 1) -> Failpoint:
    """A failpoint that ends the run at ``phase`` of its ``request``-th create request."""
    sent = 0

    def failpoint(at: str) -> None:
        nonlocal sent
        sent += at == "before-send"
        if at == phase and sent == request:
            raise Killed

    return failpoint


def fill_disk(tmp_path: Path) -> Callable[[], None]:
    """From then on, the open journal's next write fails as on a full disk (ENOSPC)."""
    path = str((tmp_path / "journal.jsonl").resolve())

    def fill() -> None:
        full = os.open("/dev/full", os.O_WRONLY)
        try:
            for fd in os.listdir("/proc/self/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/self/fd/{fd}") == path:
                        os.dup2(full, int(fd))
        finally:
            os.close(full)

    return fill


# -- a load without trouble ---------------------------------------------------------------------


def test_a_create_answered_with_its_event_is_created_without_a_wait(
    tmp_path: Path, server: FakeJtel
) -> None:
    phases: list[str] = []

    run = apply(tmp_path, server, [action(0)], failpoint=phases.append)

    [result] = run.results
    assert outcome(result) == ("created", 1001, 200, 1)
    assert (result.error, run.target_error, run.interrupted) == (None, None, False)
    assert server.clock.waits == []
    assert (len(server.received), server.lists) == (1, 0)
    assert phases == ["before-send", "in-flight", "after-answer"]
    entries = journal_entries(tmp_path)
    assert [e["kind"] for e in entries] == ["start", "sent", "done", "end"]
    # Every stamp comes from the applier's clock: the journal is on the fake one too.
    assert [e.get("at") for e in entries] == [WALL_START, WALL_START, None, WALL_START]
    assert (run.started, run.finished) == (WALL_START, WALL_START)


def test_creates_are_paced_to_the_rate(tmp_path: Path, server: FakeJtel) -> None:
    run = apply(tmp_path, server, [action(n) for n in range(3)], ApplyOptions(rate=2.0))

    assert [r.outcome for r in run.results] == ["created"] * 3
    assert server.clock.waits == [0.5, 0.5]  # none before the first


def test_events_not_to_create_are_reported_as_planned_and_never_sent(
    tmp_path: Path, server: FakeJtel
) -> None:
    seen: list[int] = []
    actions = [action(0, "exists", 51), action(1, "drift", 52), action(2)]

    run = apply(tmp_path, server, actions, observer=lambda r: seen.append(r.index))

    assert [(r.outcome, r.event_id) for r in run.results] == [
        ("exists", 51),
        ("drift", 52),
        ("created", 1001),
    ]
    assert seen == [0, 1, 2]
    assert len(server.received) == 1


# -- an earlier run's merge ------------------------------------------------------------------------


def test_an_event_merged_by_an_earlier_run_is_never_sent_again(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(record_answer({**payload(0), "UserData": "open", "ID": 77}, "UPDATED"))
    apply(tmp_path, server, [action(0)])

    [result] = apply(tmp_path, server, [action(0)]).results

    assert (result.outcome, result.event_id, result.attempts) == ("exists", 77, 0)
    assert result.error == (
        "merged into event 77 (the server answered UPDATED to an earlier run); not sent again"
    )
    assert len(server.received) == 1


# -- when the run stops --------------------------------------------------------------------------


@pytest.mark.parametrize("failing", [answered(500), no_answer(2.0)], ids=["5xx", "no-answer"])
def test_five_events_failing_in_a_row_stop_the_run_as_a_target_error(
    tmp_path: Path, server: FakeJtel, failing: Step
) -> None:
    server.then(*[failing] * 5)

    run = apply(tmp_path, server, [action(n) for n in range(6)], ApplyOptions(max_attempts=1))

    assert [r.outcome for r in run.results] == ["failed"] * 5 + ["not_attempted"]
    assert isinstance(run.target_error, TargetError)
    assert run.target_error.exit_code == ExitCode.TARGET
    assert run.target_error.message == (
        "the server keeps failing: 5 events in a row failed after their retries"
    )
    assert len(server.received) == 5
    assert "end" not in kinds(tmp_path)  # the next run reads this one as unfinished


@pytest.mark.parametrize(
    "breaker", [answered(400, "bad"), created()], ids=["refused-event", "created"]
)
def test_a_refused_or_created_event_breaks_the_failing_streak(
    tmp_path: Path, server: FakeJtel, breaker: Step
) -> None:
    server.then(*[answered(500)] * 4, breaker, *[answered(500)] * 4)

    run = apply(tmp_path, server, [action(n) for n in range(10)], ApplyOptions(max_attempts=1))

    assert run.target_error is None
    assert [r.outcome for r in run.results][-1] == "created"
    assert kinds(tmp_path)[-1] == "end"


def test_max_failures_stops_sending_and_reports_the_rest_as_planned(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(*[answered(400, "bad")] * 3)
    actions = [action(0), action(1), action(2), action(3, "exists", 61)]

    run = apply(tmp_path, server, actions, ApplyOptions(max_failures=2))

    assert [(r.outcome, r.attempts) for r in run.results] == [
        ("failed", 1),
        ("failed", 1),
        ("not_attempted", 0),
        ("exists", 0),
    ]
    assert (run.target_error, run.interrupted) == (None, False)
    assert len(server.received) == 2


def test_should_stop_ends_the_run_before_the_next_create(tmp_path: Path, server: FakeJtel) -> None:
    seen: list[int] = []
    actions = [action(0), action(1), action(2, "exists", 61)]

    run = apply(
        tmp_path,
        server,
        actions,
        observer=lambda r: seen.append(r.index),
        should_stop=lambda: bool(seen),
    )

    assert [r.outcome for r in run.results] == ["created", "not_attempted", "exists"]
    assert run.interrupted
    assert seen == [0, 2]  # an event not sent is not reported as settled
    assert len(server.received) == 1
    assert kinds(tmp_path)[-1] == "done"


def test_a_target_error_stops_the_run_on_the_event_it_struck(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(created(), refused())
    actions = [action(0), action(1), action(2), action(3, "exists", 61)]

    run = apply(tmp_path, server, actions)

    assert [r.outcome for r in run.results] == ["created", "failed", "not_attempted", "exists"]
    assert run.results[1].error == "the server refused the token (HTTP 401 for POST)"
    assert isinstance(run.target_error, TargetError)
    assert len(server.received) == 2


def test_a_look_up_that_fails_stops_the_run(tmp_path: Path, server: FakeJtel) -> None:
    server.then(no_answer(2.0))
    server.list_failure = TargetError("the server keeps failing: HTTP 503 for GET /acd/events")

    run = apply(tmp_path, server, [action(0), action(1)])

    assert [r.outcome for r in run.results] == ["failed", "not_attempted"]
    assert run.results[0].error == "the server keeps failing: HTTP 503 for GET /acd/events"
    assert run.target_error is server.list_failure
    assert server.clock.waits == []  # the look-up comes at once


# -- a journal that cannot be written --------------------------------------------------------------


def test_a_full_disk_before_a_send_sends_nothing_more(tmp_path: Path, server: FakeJtel) -> None:
    fill = fill_disk(tmp_path)

    run = apply(tmp_path, server, [action(0), action(1)], observer=lambda r: fill())

    assert [(r.outcome, r.attempts) for r in run.results] == [
        ("created", 1),
        ("not_attempted", 0),
    ]
    assert isinstance(run.target_error, JournalError)
    assert run.target_error.exit_code == ExitCode.FAILURE
    assert run.results[1].error == (
        f"not sent: cannot write the journal {tmp_path / 'journal.jsonl'}: No space left on device"
    )
    assert len(server.received) == 1


def test_a_full_disk_before_a_retry_fails_the_event_sent_once(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(answered(500))
    fill = fill_disk(tmp_path)
    server.clock.on_sleep = lambda seconds: fill()

    run = apply(tmp_path, server, [action(0), action(1)])

    assert [(r.outcome, r.attempts) for r in run.results] == [
        ("failed", 1),
        ("not_attempted", 0),
    ]
    assert run.results[0].error == (
        f"HTTP 500; not sent again: cannot write the journal {tmp_path / 'journal.jsonl'}: "
        "No space left on device"
    )
    assert len(server.received) == 1


def test_a_full_disk_after_the_answer_keeps_the_created_event(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(then_also(fill_disk(tmp_path), created()))

    run = apply(tmp_path, server, [action(0), action(1)])

    assert [outcome(r) for r in run.results] == [
        ("created", 1001, 200, 1),
        ("not_attempted", None, None, 0),
    ]
    assert run.results[0].error is None
    assert isinstance(run.target_error, JournalError)


# -- what a killed run left behind ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("commit_after", "waits", "sent_again"),
    [(0.5, [], 0), (4.0, [4.0], 0), (None, [4.0], 1)],
    ids=["landed-before", "landed-late", "never-landed"],
)
def test_a_killed_runs_unanswered_create_is_looked_up_then_waited_for(
    tmp_path: Path,
    server: FakeJtel,
    commit_after: float | None,
    waits: list[float],
    sent_again: int,
) -> None:
    """Killed with the create in flight; the next run starts 1 s later and looks the key up
    at once; not there, it waits what is left of timeout + settle wait after that send
    (4 s) and looks again before it sends."""
    with pytest.raises(Killed):
        apply(tmp_path, server, [action(0)], failpoint=kill_at("in-flight"))
    if commit_after is not None:
        server.store(payload(0), after=commit_after)  # the request got there after all
    server.clock.now += 1.0

    [result] = apply(tmp_path, server, [action(0)]).results

    assert server.clock.waits == waits
    assert server.lists == 1 + len(waits)
    assert (result.outcome, result.event_id, result.attempts) == ("created", 1001, sent_again)
    assert len(server.received) == sent_again


def test_a_journal_stamped_in_the_future_holds_the_run_no_longer_than_one_request(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.clock.now = 1e9  # the killed run's clock, far ahead of this one
    with pytest.raises(Killed):
        apply(tmp_path, server, [action(0)], failpoint=kill_at("before-send"))
    server.clock.now = 0.0

    apply(tmp_path, server, [action(0)])

    assert server.clock.waits == [OPTIONS.timeout + SETTLE]


@pytest.mark.parametrize("stopped_first", [False, True])
def test_an_event_a_killed_run_created_is_reported_created_and_carried(
    tmp_path: Path, server: FakeJtel, stopped_first: bool
) -> None:
    """The killed run created event 0; this run's plan finds it (``exists``): it is
    reported ``created`` and written into this run's journal, in case this one dies too;
    not once this run has stopped (it will not finish, so the next run reads the first)."""
    with pytest.raises(Killed):
        apply(tmp_path, server, [action(0), action(1)], failpoint=kill_at("before-send", 2))
    before = len(journal_entries(tmp_path))
    server.clock.now += 100.0
    actions = [action(1), action(0, "exists", 1001)]

    run = apply(tmp_path, server, actions, should_stop=lambda: stopped_first)

    assert (run.results[1].outcome, run.results[1].event_id) == ("created", 1001)
    carried = [e for e in journal_entries(tmp_path)[before:] if e.get("index") == -1]
    assert [e["kind"] for e in carried] == ([] if stopped_first else ["sent", "done"])
    assert run.results[0].outcome == ("not_attempted" if stopped_first else "created")


# -- the preflight ------------------------------------------------------------------------------------


def test_the_preflight_stops_a_load_of_event_types_the_server_lacks(server: FakeJtel) -> None:
    creates = [action(0), action(1)]
    creates[1].payload["AcdEventTypesID"] = 9

    with pytest.raises(AcdloadError) as raised:
        preflight(server, creates)

    assert raised.value.message == (
        "event type(s) [9] do not exist on the server (it has [3]); nothing was sent"
    )
    assert raised.value.hint == "fix AcdEventTypesID in the manifest"
    assert server.received == []


def test_the_preflight_passes_known_types_and_reads_nothing_without_creates(
    server: FakeJtel,
) -> None:
    server.types.append({"Name": "no ID"})
    preflight(server, [action(0)])
    server.types = []  # would refuse type 3: not read at all
    preflight(server, [])
