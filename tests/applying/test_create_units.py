"""Every way one create is answered, retried and settled, on a fake clock.

The applier runs for real (its journal too, in ``tmp_path``) against ``FakeJtel``, whose
answers each test scripts, and a ``FakeClock`` whose ``sleep`` only advances time: each
test asserts the waits apply asked for (settle wait, backoff, Retry-After), and runs in
milliseconds. The subprocess tests (``test_kills.py``, ``test_faults.py``) remain the
end-to-end layer; how the run as a whole goes on or stops: ``test_applier_units.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from acdload.applying.applier import ApplyOptions
from acdload.target.backoff import (
    CREATE_FIRST_WAIT,
    LONGEST_BACKOFF,
    READ_FIRST_WAIT,
    RETRY_AFTER_CAP,
    retry_wait,
)
from tests.applying.fake_jtel import (
    SETTLE,
    FakeJtel,
    Step,
    action,
    answered,
    apply,
    created,
    journal_entries,
    kinds,
    no_answer,
    not_sent,
    outcome,
    payload,
    record_answer,
    taking,
)

# -- no clear answer: the settle wait, then the look-up -----------------------------------------


def test_a_create_without_answer_is_looked_up_after_the_settle_wait(
    tmp_path: Path, server: FakeJtel
) -> None:
    """Timed out after 2 s, committed 4.9 s after it arrived: the look-up at once (2 s)
    misses it, the one after the settle wait (5 s) finds it, and nothing is sent twice."""
    server.then(no_answer(2.0, commit_after=4.9))

    run = apply(tmp_path, server, [action(0)])

    [result] = run.results
    assert outcome(result) == ("created", 1001, None, 1)
    assert result.error is None
    assert server.clock.waits == [SETTLE]
    assert (len(server.received), server.lists) == (1, 2)


def test_a_create_without_answer_that_was_stored_is_found_at_once_without_a_wait(
    tmp_path: Path, server: FakeJtel
) -> None:
    """Timed out, but committed before the timeout (the common case of a dropped answer):
    the look-up at once settles it; no settle wait is spent."""
    server.then(no_answer(2.0, commit_after=1.0))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, None, 1)
    assert server.clock.waits == []
    assert (len(server.received), server.lists) == (1, 1)


def test_a_create_that_never_left_is_sent_again_without_a_look_up(
    tmp_path: Path, server: FakeJtel
) -> None:
    """Connection refused (or no such host, or connect timeout): the server cannot have it,
    so there is nothing to look up or settle: backoff, then the same create again."""
    server.then(not_sent())

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, 200, 2)
    assert server.clock.waits == [CREATE_FIRST_WAIT]
    assert server.lists == 0
    assert kinds(tmp_path) == ["start", "sent", "sent", "done", "end"]


def test_a_create_that_never_leaves_gives_up_after_max_attempts_unlooked_up(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(not_sent(), not_sent())

    [result] = apply(tmp_path, server, [action(0)], ApplyOptions(max_attempts=2)).results

    assert outcome(result) == ("failed", None, None, 2)
    assert result.error == "gave up after 2 attempts: not sent: could not connect (ConnectionError)"
    assert server.lists == 0


def test_the_settle_wait_can_be_set(tmp_path: Path, server: FakeJtel) -> None:
    server.then(no_answer(2.0, commit_after=5.0))

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
    # The last attempt too is looked up, waited for and looked up again before it counts
    # as failed.
    assert server.clock.waits == [45.0, 45.0]
    assert server.lists == 4


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


def test_a_5xx_with_retry_after_is_looked_up_at_once_and_again_after_it(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.then(answered(503, retry_after=7.0))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, 200, 2)
    assert server.clock.waits == [7.0]  # and no backoff on top of it
    assert server.lists == 2


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
