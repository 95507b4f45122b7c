"""A fake clock and a fake jtel server with scripted create answers, for apply's unit tests.

The subprocess tests (kills, faults) prove apply end to end against real processes, but
each branch of how one create is retried and settled needs seconds of real waiting there,
and some (a Retry-After of a day, a commit that lands exactly between a timeout and the
look-up) cannot be timed reliably at all. Here time passes only when apply waits or the
fake server says a request took long: ``FakeClock.sleep`` advances the clock and records
the wait, so a test asserts every wait apply asked for, and runs in milliseconds.

``FakeJtel`` has the methods apply uses of ``JtelClient``: ``create``, ``list_events`` and
``get_event``
(``acdload.applying.creates.JtelApi``), and ``event_types`` for the preflight. Its events are what ``list_events`` answers once
they are committed; each create is answered by the next scripted :data:`Step` (a stored
event answered 200 once the script is used up).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acdload.applying.applier import Applier, ApplyOptions, ApplyRun, Result
from acdload.applying.creates import Clock, Failpoint, Sink, no_failpoint
from acdload.applying.journal import Journal
from acdload.errors import TargetError
from acdload.planning.matching import Action, ActionName
from acdload.target.answers import Record
from acdload.target.client import AnswerTimeout, CreateAnswer, NotSent, TransportFailure

KEY_FIELDS = ("AcdEventTypesID", "Sender", "UserData")
TARGET = "https://jtel.example.com/rest/v1.0/1000"
OPTIONS = ApplyOptions(timeout=2.0)
SETTLE = 3.0
"""The settle wait with OPTIONS: 1.5 x the timeout."""
WALL_START = 1_800_000_000.0
"""The fake wall clock at monotonic 0: a date, so journal stamps look like real ones."""


@dataclass
class FakeClock:
    """Monotonic time from 0, a wall clock WALL_START ahead, and waits that take no time."""

    now: float = 0.0
    jitter_value: float = 0.5
    """Backoff's jitter draw: 0.5 is a factor of 1.0, so backoff waits are exact."""
    waits: list[float] = field(default_factory=list)
    on_sleep: Callable[[float], None] | None = None
    """Called on each wait (after the clock advanced): what happens meanwhile."""

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return WALL_START + self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)

    def jitter(self) -> float:
        return self.jitter_value

    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, wall=self.wall, sleep=self.sleep, jitter=self.jitter)


Step = Callable[["FakeJtel", dict[str, Any]], CreateAnswer]
"""One scripted answer to a create: given the server and the payload, it may store the
event, let time pass, answer (a CreateAnswer) or raise (TransportFailure, TargetError)."""


@dataclass
class FakeJtel:
    """The server's events and the creates and look-ups it received."""

    clock: FakeClock
    events: list[tuple[float, Record]] = field(default_factory=list)
    """(committed at, record): ``list_events`` shows a record from that monotonic time."""
    script: deque[Step] = field(default_factory=deque)
    received: list[dict[str, Any]] = field(default_factory=list)
    """The payload of every create, in order (retries included)."""
    lists: int = 0
    gets: list[int] = field(default_factory=list)
    """The ID of every ``get_event`` (a probe), in order."""
    list_failure: TargetError | None = None
    """Raised by ``list_events`` when set: a server that cannot be read any more."""
    next_id: int = 1000
    types: list[Record] = field(default_factory=lambda: [{"ID": 3, "Name": "Callback"}])

    def then(self, *steps: Step) -> FakeJtel:
        self.script.extend(steps)
        return self

    # -- the interface apply uses --------------------------------------------------------

    def create(self, payload: dict[str, Any]) -> CreateAnswer:
        self.received.append(payload)
        step = self.script.popleft() if self.script else created()
        return step(self, payload)

    def list_events(self, start: Callable[[], Sink], progress: object = None) -> Sink:
        """The events stored by now, handed one by one to a fresh sink, as the client's
        streamed read does."""
        self.lists += 1
        if self.list_failure is not None:
            raise self.list_failure
        sink = start()
        for at, record in self.events:
            if at <= self.clock.now:
                sink.add(dict(record))
        return sink

    def get_event(self, event_id: int) -> Record | None:
        self.gets.append(event_id)
        for at, record in self.events:
            if record["ID"] == event_id and at <= self.clock.now:
                return dict(record)
        return None

    def event_types(self) -> list[Record]:
        return [dict(record) for record in self.types]

    # -- what steps do -------------------------------------------------------------------

    def store(self, payload: dict[str, Any], *, after: float = 0.0) -> Record:
        """Store an event ``after`` seconds from now (a late commit when > 0)."""
        self.next_id += 1
        record = {**payload, "ID": self.next_id}
        self.events.append((self.clock.now + after, record))
        return record

    def add(self, **record: Any) -> Record:
        """An event that was on the server before the run (someone else's, or an old one)."""
        return self.store(record)

    @property
    def ids(self) -> list[int]:
        return [int(record["ID"]) for _, record in self.events]


# -- steps -----------------------------------------------------------------------------------


def created() -> Step:
    """Stored and answered 200 with the new event."""

    def step(server: FakeJtel, payload: dict[str, Any]) -> CreateAnswer:
        return CreateAnswer(200, server.store(payload), None, None, None)

    return step


def answered(
    status: int,
    error: str | None = None,
    *,
    retry_after: float | None = None,
    stored: bool = False,
) -> Step:
    """An answer without the event (4xx, 5xx); ``stored``: the server stored it anyway."""

    def step(server: FakeJtel, payload: dict[str, Any]) -> CreateAnswer:
        if stored:
            server.store(payload)
        return CreateAnswer(status, None, None, error, retry_after)

    return step


def record_answer(record: Record, result: str | None = None) -> Step:
    """200 with ``record`` as the event, stored or not: ``result="UPDATED"`` for a merge,
    an existing event's record for a replayed answer."""

    def step(server: FakeJtel, payload: dict[str, Any]) -> CreateAnswer:
        return CreateAnswer(200, record, result, None, None)

    return step


def no_answer(
    takes: float, *, commit_after: float | None = None, reason: str | None = None
) -> Step:
    """No answer within ``takes`` seconds (the client's timeout: the time passes); the
    event is stored ``commit_after`` seconds after the request arrived (never if None).
    ``reason`` instead of a timeout: an answer that could not be read."""

    def step(server: FakeJtel, payload: dict[str, Any]) -> CreateAnswer:
        if commit_after is not None:
            server.store(payload, after=commit_after)
        server.clock.now += takes
        if reason is not None:
            raise TransportFailure(reason)
        raise AnswerTimeout(takes)

    return step


def not_sent() -> Step:
    """The request never left (connection refused, no such host, connect timeout)."""

    def step(server: FakeJtel, payload: dict[str, Any]) -> CreateAnswer:
        raise NotSent("could not connect (ConnectionError)")

    return step


def refused(message: str = "the server refused the token (HTTP 401 for POST)") -> Step:
    """An answer that stops the whole run (``raise_for_target``: 401, 403, a redirect)."""

    def step(server: FakeJtel, payload: dict[str, Any]) -> CreateAnswer:
        raise TargetError(message)

    return step


def taking(seconds: float, step: Step) -> Step:
    """``step``, answered ``seconds`` after the request was sent (a slow server)."""

    def slow(server: FakeJtel, payload: dict[str, Any]) -> CreateAnswer:
        server.clock.now += seconds
        return step(server, payload)

    return slow


def then_also(before: Callable[[], None], step: Step) -> Step:
    """``step``, after something else happened meanwhile (the disk filled up ...)."""

    def combined(server: FakeJtel, payload: dict[str, Any]) -> CreateAnswer:
        before()
        return step(server, payload)

    return combined


# -- the load ----------------------------------------------------------------------------------


def payload(number: int, **changes: Any) -> dict[str, Any]:
    """A callback event as a rendered manifest has it (keys U-0, U-1, ...)."""
    return {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": f"49170{1000000 + number}",
        "Subject": f"Callback {number}",
        "UserData": f"U-{number}",
        **changes,
    }


def action(number: int, kind: ActionName = "create", event_id: int | None = None) -> Action:
    """Event ``number`` of the load (``load.csv`` line number + 2), planned as ``kind``."""
    body = payload(number)
    key = {name: body[name] for name in KEY_FIELDS}
    return Action(number, "load.csv", number + 2, key, kind, event_id, {}, body)


# -- running the applier against it -----------------------------------------------------------


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
    """One run of the real Applier against ``server`` on its clock, journal in ``tmp_path``."""
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
    """The journal's line kinds, in order: start, sent, done, end."""
    return [entry["kind"] for entry in journal_entries(tmp_path)]


def outcome(result: Result) -> tuple[str, int | None, int | None, int]:
    return (result.outcome, result.event_id, result.http_status, result.attempts)
