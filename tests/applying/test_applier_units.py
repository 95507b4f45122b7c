"""Every branch of how apply sends, retries and settles a create, with a fake clock.

The applier runs for real (its journal too, in ``tmp_path``) against ``FakeJtel``, whose
answers each test scripts, and a ``FakeClock`` whose ``sleep`` only advances time: each
test asserts the waits apply asked for, and runs in milliseconds. The subprocess tests
(``test_kills.py``, ``test_faults.py``) remain the end-to-end layer.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from acdload.applying.applier import Applier, ApplyOptions, ApplyRun, Result, preflight
from acdload.applying.creates import Failpoint, no_failpoint
from acdload.applying.journal import Journal, JournalError
from acdload.errors import AcdloadError, ExitCode, TargetError
from acdload.planning.matching import Action
from acdload.target.backoff import (
    CREATE_FIRST_WAIT,
    LONGEST_BACKOFF,
    READ_FIRST_WAIT,
    RETRY_AFTER_CAP,
    retry_wait,
)
from tests.applying.fake_jtel import (
    KEY_FIELDS,
    WALL_START,
    FakeClock,
    FakeJtel,
    Step,
    action,
    answered,
    created,
    no_answer,
    payload,
    record_answer,
    refused,
    taking,
    then_also,
)

TARGET = "https://jtel.example.com/rest/v1.0/1000"
OPTIONS = ApplyOptions(timeout=2.0)  # settle wait: 1.5 x 2 = 3 s
SETTLE = 3.0


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in apply catches it, so the run ends where it is."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> FakeJtel:
    return FakeJtel(clock)


def apply(
    tmp_path: Path,
    server: FakeJtel,
    actions: Sequence[Action],
    options: ApplyOptions = OPTIONS,
    *,
    observer: Callable[[Result], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    failpoint: Failpoint = no_failpoint,
) -> ApplyRun:
    """One run of the real Applier against ``server``, journal in ``tmp_path``."""
    with Journal(tmp_path / "journal.jsonl", TARGET) as journal:
        applier = Applier(
            server,
            journal,
            options,
            KEY_FIELDS,
            observer,
            should_stop,
            clock=server.clock.clock(),
            failpoint=failpoint,
        )
        return applier.run(actions)


def journal_entries(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "journal.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def kinds(tmp_path: Path) -> list[str]:
    return [entry["kind"] for entry in journal_entries(tmp_path)]


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


def outcome(result: Result) -> tuple[str, int | None, int | None, int]:
    return (result.outcome, result.event_id, result.http_status, result.attempts)


# -- answered at once ------------------------------------------------------------------------


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


# -- no clear answer: the settle wait, then the look-up -----------------------------------------


def test_a_create_without_answer_is_looked_up_after_the_settle_wait(
    tmp_path: Path, server: FakeJtel
) -> None:
    """Timed out after 2 s, committed 4.9 s after it arrived: the look-up comes at 5 s
    (timeout + settle wait), finds it, and nothing is sent twice."""
    server.then(no_answer(2.0, commit_after=4.9))

    run = apply(tmp_path, server, [action(0)])

    [result] = run.results
    assert outcome(result) == ("created", 1001, None, 1)
    assert result.error is None
    assert server.clock.waits == [SETTLE]
    assert (len(server.received), server.lists) == (1, 1)


def test_the_settle_wait_can_be_set(tmp_path: Path, server: FakeJtel) -> None:
    server.then(no_answer(2.0, commit_after=0.0))

    apply(tmp_path, server, [action(0)], ApplyOptions(timeout=2.0, settle_seconds=10.0))

    assert server.clock.waits == [10.0]


def test_a_create_without_answer_not_on_the_server_is_sent_again_after_the_settle_wait(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(no_answer(2.0))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, 200, 2)
    assert server.clock.waits == [SETTLE]  # the settle wait stands in for the backoff
    assert kinds(tmp_path) == ["start", "sent", "sent", "done", "end"]


def test_without_a_settle_wait_the_look_up_is_immediate_and_backoff_follows(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(no_answer(0.5))

    [result] = apply(
        tmp_path, server, [action(0)], ApplyOptions(timeout=0.5, settle_seconds=0.0)
    ).results

    assert outcome(result) == ("created", 1001, 200, 2)
    assert server.clock.waits == [CREATE_FIRST_WAIT]
    assert server.lists == 1


def test_an_unreadable_answer_is_settled_like_a_timeout_and_gives_up_after_max_attempts(
    tmp_path: Path, server: FakeJtel
) -> None:
    unreadable = no_answer(0.0, reason="unreadable answer: not JSON: '<html>'")
    server.then(unreadable, unreadable)

    [result] = apply(tmp_path, server, [action(0)], ApplyOptions(max_attempts=2)).results

    assert outcome(result) == ("failed", None, None, 2)
    assert result.error == (
        "gave up after 2 attempts: no clear answer: unreadable answer: not JSON: '<html>'"
    )
    # The last attempt too is waited for and looked up before it counts as failed.
    assert server.clock.waits == [45.0, 45.0]
    assert server.lists == 2


# -- 5xx: ambiguous -------------------------------------------------------------------------------


def test_a_5xx_is_looked_up_at_once_and_found_is_created(tmp_path: Path, server: FakeJtel) -> None:
    server.then(answered(500, "internal error", stored=True))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, 500, 1)
    assert result.error is None
    assert server.clock.waits == []
    assert server.lists == 1


def test_5xx_not_stored_back_off_doubling_between_look_ups(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(answered(500), answered(502), answered(500))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, 200, 4)
    assert server.clock.waits == [0.1, 0.2, 0.4]
    assert server.lists == 3


def test_a_5xx_with_retry_after_waits_for_it_before_the_look_up(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(answered(503, retry_after=7.0))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, 200, 2)
    assert server.clock.waits == [7.0]  # and no backoff on top of it
    assert server.lists == 1


def test_a_5xx_every_time_gives_up_after_max_attempts(tmp_path: Path, server: FakeJtel) -> None:
    server.then(*[answered(500)] * 6)

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("failed", None, 500, 6)
    assert result.error == "gave up after 6 attempts: HTTP 500"
    assert server.clock.waits == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert (len(server.received), server.lists) == (6, 6)


def test_backoff_doubles_up_to_its_longest_wait(tmp_path: Path, server: FakeJtel) -> None:
    server.then(*[answered(500)] * 9)

    apply(tmp_path, server, [action(0)], ApplyOptions(max_attempts=9))

    assert server.clock.waits == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, LONGEST_BACKOFF]


def test_the_retry_budget_ends_the_retries(tmp_path: Path, server: FakeJtel) -> None:
    """A server that takes 30 s to answer 500: after 120 s the event has had its chances."""
    server.then(*[taking(30.0, answered(500))] * 6)

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("failed", None, 500, 4)  # 4 x 30 s + backoff > 120 s
    assert result.error == "gave up after 4 attempts: HTTP 500"


# -- 429: sent again after Retry-After (capped) or backoff -------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [
        (None, CREATE_FIRST_WAIT),  # no header (or one that is no delay): backoff
        (0.0, 0.0),
        (7.0, 7.0),
        (99999.0, RETRY_AFTER_CAP),  # 28 hours asked: capped
    ],
)
def test_a_429_is_sent_again_after_what_it_asked_for(
    tmp_path: Path, server: FakeJtel, retry_after: float | None, waited: float
) -> None:
    server.then(answered(429, "slow down", retry_after=retry_after))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, 200, 2)
    assert server.clock.waits == [waited]
    assert server.lists == 0  # a 429 stored nothing: no look-up


def test_retry_after_never_waits_beyond_the_retry_budget(tmp_path: Path, server: FakeJtel) -> None:
    server.then(answered(429, "slow down", retry_after=30.0), answered(429, "slow down"))

    [result] = apply(tmp_path, server, [action(0)], ApplyOptions(retry_seconds=5.0)).results

    assert outcome(result) == ("failed", None, 429, 2)
    assert result.error == "gave up after 2 attempts: slow down"
    assert server.clock.waits == [5.0]


# -- 409, 4xx, 200 without the event -----------------------------------------------------------


def test_a_409_is_exists_with_the_oldest_event_of_its_key(tmp_path: Path, server: FakeJtel) -> None:
    server.events.append((0.0, {"UserData": "U-0"}))  # no ID: not an event it can be
    server.add(**payload(0))
    server.add(**payload(0))
    server.then(answered(409, "already exists"))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("exists", 1001, 409, 1)
    assert result.error is None


def test_a_409_whose_key_is_not_there_is_failed(tmp_path: Path, server: FakeJtel) -> None:
    server.then(answered(409, "already exists"))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("failed", None, 409, 1)
    assert result.error == "already exists"


@pytest.mark.parametrize(
    ("step", "error"),
    [
        (answered(400, "Sender: invalid number"), "Sender: invalid number"),
        (answered(422), "HTTP 422"),
        (answered(200), "the server answered 200 without the created event"),
        (record_answer({"Subject": "no ID"}), "the server answered 200 without the created event"),
    ],
)
def test_an_answer_that_refuses_the_event_is_failed_and_the_run_goes_on(
    tmp_path: Path, server: FakeJtel, step: Step, error: str
) -> None:
    server.then(step)

    run = apply(tmp_path, server, [action(0), action(1)])

    assert [r.outcome for r in run.results] == ["failed", "created"]
    assert (run.results[0].error, run.results[0].attempts) == (error, 1)
    assert server.clock.waits == []
    assert run.target_error is None


# -- UPDATED: merged into an existing event -----------------------------------------------------


def test_updated_into_an_event_of_the_same_type_group_and_sender_is_updated(
    tmp_path: Path, server: FakeJtel
) -> None:
    merged_into = {**payload(0), "UserData": "someone else's", "ID": 77}
    server.then(record_answer(merged_into, "UPDATED"))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("updated", 77, 200, 1)
    assert (result.result, result.error) == ("UPDATED", None)
    assert journal_entries(tmp_path)[2]["outcome"] == "updated"


def test_updated_into_an_event_of_another_sender_is_failed_naming_it(
    tmp_path: Path, server: FakeJtel
) -> None:
    other = {"ID": 77, "AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": "49\x1b[2J1700"}
    server.then(record_answer(other, "UPDATED"))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("failed", None, 200, 1)
    assert result.error == (
        "the server answered UPDATED with event 77, which is not this event "
        "(it has Sender 49\\x1b[2J1700); not counted as stored"
    )


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


# -- an ID that is already another event's -----------------------------------------------------


def test_an_answer_naming_another_events_id_is_looked_up_and_sent_again(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(created(), record_answer({**payload(0), "ID": 1001}))

    run = apply(tmp_path, server, [action(0), action(1)])

    assert [outcome(r) for r in run.results] == [
        ("created", 1001, 200, 1),
        ("created", 1002, 200, 2),
    ]
    assert server.clock.waits == [CREATE_FIRST_WAIT]
    assert server.lists == 1


def test_an_answer_that_keeps_naming_an_existing_event_gives_up(
    tmp_path: Path, server: FakeJtel
) -> None:
    replayed = record_answer({**payload(0), "ID": 51})
    server.then(replayed, replayed)

    run = apply(
        tmp_path, server, [action(0, "exists", 51), action(1)], ApplyOptions(max_attempts=2)
    )

    assert outcome(run.results[1]) == ("failed", None, 200, 2)
    assert run.results[1].error == (
        "gave up after 2 attempts: the server answered event 51, which is already the event "
        "of load.csv:2; this event's key is not on the server"
    )


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
    assert server.clock.waits == [SETTLE]


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
    ("commit_after", "sent_again"), [(4.0, 0), (None, 1)], ids=["landed", "never-landed"]
)
def test_a_killed_runs_unanswered_create_is_waited_for_then_looked_up(
    tmp_path: Path, server: FakeJtel, commit_after: float | None, sent_again: int
) -> None:
    """Killed with the create in flight; the next run starts 1 s later and waits what is
    left of timeout + settle wait after that send (4 s) before it looks the key up."""
    with pytest.raises(Killed):
        apply(tmp_path, server, [action(0)], failpoint=kill_at("in-flight"))
    if commit_after is not None:
        server.store(payload(0), after=commit_after)  # the request got there after all
    server.clock.now += 1.0

    [result] = apply(tmp_path, server, [action(0)]).results

    assert server.clock.waits == [4.0]
    assert server.lists == 1
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


# -- the one backoff rule of reads and creates --------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "first", "jitter", "seconds"),
    [
        (1, READ_FIRST_WAIT, 0.5, 0.5),
        (2, READ_FIRST_WAIT, 0.5, 1.0),
        (3, READ_FIRST_WAIT, 0.5, 2.0),
        (1, CREATE_FIRST_WAIT, 0.5, 0.1),
        (5, CREATE_FIRST_WAIT, 0.5, 1.6),
        (1, CREATE_FIRST_WAIT, 0.0, 0.05),  # jitter: x0.5 ...
        (1, CREATE_FIRST_WAIT, 0.999, 0.1499),  # ... to x1.5
        (30, READ_FIRST_WAIT, 0.5, LONGEST_BACKOFF),
    ],
)
def test_backoff_doubles_from_its_first_wait_with_jitter(
    attempt: int, first: float, jitter: float, seconds: float
) -> None:
    assert retry_wait(attempt, first=first, jitter=lambda: jitter) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("retry_after", "budget", "seconds"),
    [(7.0, 100.0, 7.0), (99999.0, 1e9, RETRY_AFTER_CAP), (30.0, 5.0, 5.0), (30.0, -1.0, 0.0)],
)
def test_retry_after_is_waited_up_to_its_cap_and_the_budget(
    retry_after: float, budget: float, seconds: float
) -> None:
    assert retry_wait(3, retry_after, first=READ_FIRST_WAIT, budget=budget) == seconds
