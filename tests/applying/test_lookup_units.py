"""How an unanswered create's event is found: probed for by ID above the highest seen (a hit
is conclusive, checked against the key), the full list only when it is not there, and one
list read for every look-up waiting at that moment."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from acdload.applying.lookup import Lookup, Sink
from acdload.errors import TargetError
from acdload.target.answers import Record
from acdload.target.client import CreateAnswer
from tests.applying.fake_jtel import (
    KEY_FIELDS,
    FakeJtel,
    action,
    apply,
    created,
    no_answer,
    outcome,
    payload,
)


def test_a_stored_create_is_found_by_probing_above_the_highest_id_seen(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.add(**payload(9))  # 1001, planned exists: the highest ID the run has seen
    server.then(no_answer(2.0, commit_after=0.5))  # stored as 1002, the answer lost

    run = apply(tmp_path, server, [action(9, "exists", 1001), action(0)])

    assert outcome(run.results[1]) == ("created", 1002, None, 1)
    assert server.gets == [1002]
    assert server.lists == 0  # no full list: the hit is conclusive
    assert server.clock.waits == []


def test_probes_pass_other_keys_and_skip_this_runs_own_events(
    tmp_path: Path, server: FakeJtel
) -> None:
    """Someone else's event (1003) landed between ours; our own 1002 is not even asked for."""

    def busy(server: FakeJtel, body: dict[str, Any]) -> CreateAnswer:
        server.add(**payload(50))
        return no_answer(2.0, commit_after=0.0)(server, body)

    server.add(**payload(9))
    server.then(created(), busy)

    run = apply(tmp_path, server, [action(9, "exists", 1001), action(0), action(1)])

    assert outcome(run.results[2]) == ("created", 1004, None, 1)
    assert server.gets == [1003, 1004]
    assert server.lists == 0


def test_a_create_not_stored_is_probed_briefly_then_settled_by_the_list(
    tmp_path: Path, server: FakeJtel
) -> None:
    server.add(**payload(9))
    server.then(no_answer(2.0))

    run = apply(tmp_path, server, [action(9, "exists", 1001), action(0)])

    assert outcome(run.results[1]) == ("created", 1002, 200, 2)
    # At once: two misses in a row end the probe, the list proves it absent; after the
    # settle wait the same again; then it is sent again.
    assert server.gets == [1002, 1003, 1002, 1003]
    assert server.lists == 2


def test_without_any_id_seen_there_is_no_probe(tmp_path: Path, server: FakeJtel) -> None:
    server.then(no_answer(2.0, commit_after=0.0))

    [result] = apply(tmp_path, server, [action(0)]).results

    assert outcome(result) == ("created", 1001, None, 1)
    assert (server.gets, server.lists) == ([], 1)


def test_a_probe_hit_with_another_key_at_the_start_id_goes_on_and_is_bounded(
    server: FakeJtel,
) -> None:
    """Starting far below the end (a run that saw old IDs only): every hit is someone
    else's; the probe gives up after its budget and the list decides."""
    for number in range(100, 160):
        server.add(**payload(number))
    server.add(**payload(0))
    lookup = Lookup(KEY_FIELDS)

    found = lookup.find(server, action(0).key, since=1001)

    assert found == 1061
    assert len(server.gets) == 18  # PROBE_REQUESTS + 2 for one create in flight
    assert server.lists == 1
    assert lookup.highest == 1061


class SlowList:
    """A server whose first list read takes until two more look-ups wait behind it."""

    def __init__(self, lookup: Lookup, records: list[Record]) -> None:
        self.lookup = lookup
        self.records = records
        self.lists = 0

    def list_events(self, start: Callable[[], Sink], progress: object = None) -> Sink:
        self.lists += 1
        if self.lists == 1:
            deadline = time.monotonic() + 10
            while len(self.lookup._waiting) < 3 and time.monotonic() < deadline:
                time.sleep(0.001)
        sink = start()
        for record in self.records:
            sink.add(record)
        return sink

    def get_event(self, event_id: int) -> Record | None:
        return None


def test_one_list_read_settles_every_look_up_waiting_when_it_starts() -> None:
    lookup = Lookup(KEY_FIELDS, in_flight=3)
    records = [{**payload(n), "ID": 1001 + n} for n in range(3)]
    server = SlowList(lookup, records)
    found: dict[int, int | None] = {}

    def look(number: int) -> None:
        found[number] = lookup.find(server, action(number).key)

    first = threading.Thread(target=look, args=(0,))
    first.start()
    while server.lists == 0:
        time.sleep(0.001)
    others = [threading.Thread(target=look, args=(n,)) for n in (1, 2)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)

    assert found == {0: 1001, 1: 1002, 2: 1003}
    # The first read began before the others asked; one more read answers both of them.
    assert server.lists == 2


def test_a_server_that_cannot_be_probed_is_asked_for_its_list_only(server: FakeJtel) -> None:
    """A proxy that refuses ``GET .../event/ID``: probes stop for the run, the list decides."""
    refused: list[int] = []

    def get_event(event_id: int) -> Record | None:
        refused.append(event_id)
        raise TargetError("unexpected HTTP 405 for GET /acd/events/event/1002")

    server.add(**payload(0))
    server.get_event = get_event  # type: ignore[method-assign]
    lookup = Lookup(KEY_FIELDS)

    assert lookup.find(server, action(0).key, since=1000) == 1001
    assert lookup.find(server, action(0).key, since=1000) == 1001

    assert refused == [1001]
    assert server.lists == 2
