"""Apply: send the planned creates in submission order, each exactly once.

Exactly once rests on two things: the server's own records (matched by key) and the
journal of what this and earlier runs sent. How one create is sent, retried and settled
is ``acdload.applying.creates``; this module runs the load: what is sent at all, when the run
stops, and what every event is reported as, whenever it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from acdload.applying.creates import (
    SYSTEM_CLOCK,
    Clock,
    CreateSender,
    Failpoint,
    JtelApi,
    no_failpoint,
)
from acdload.applying.journal import Carried, Journal, JournalError, KeyText, key_text
from acdload.applying.window import Window
from acdload.errors import AcdloadError, TargetError
from acdload.target.answers import Record

OUTCOMES = ("created", "updated", "exists", "drift", "failed", "not_attempted", "expired")
SUCCESS = frozenset({"created", "updated", "exists", "drift", "expired"})
FAILING_STREAK = 5
"""Events failed in a row (after their retries) that mean the server itself is failing."""


class PlannedAction(Protocol):
    """What apply needs of a planned action (``acdload.planning.matching.Action`` or a saved one)."""

    @property
    def index(self) -> int: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def key(self) -> dict[str, Any]: ...
    @property
    def action(self) -> str: ...
    @property
    def event_id(self) -> int | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(slots=True)
class Result:
    """The outcome of one event, in the report's terms."""

    index: int
    file: str
    line: int
    key: dict[str, Any]
    action: str
    outcome: str = "not_attempted"
    event_id: int | None = None
    http_status: int | None = None
    result: str | None = None
    error: str | None = None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    timeout: float = 30.0
    rate: float | None = None  # creates per second at most
    max_failures: int | None = None  # stop after this many failed events
    retry_seconds: float = 120.0  # give up on one event after this long
    max_attempts: int = 6
    parallel: int = 1  # creates in flight at most (--parallel)
    settle_seconds: float | None = (
        None  # wait before checking an unanswered create (default: creates.SETTLE_FACTOR x timeout)
    )


@dataclass(slots=True)
class ApplyRun:
    results: list[Result]
    target_error: AcdloadError | None = None
    """What stopped the run before its end: the target (a TargetError, exit 3) or the journal
    (a JournalError, exit 1); its ``exit_code`` says which."""
    interrupted: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None


Observer = Callable[[Result], None]
ExpiryCheck = Callable[[PlannedAction], str | None]
"""Why an action's appointment has passed now (``planning.expiry.ExpiryAtSend``), or None."""


class EventTypesApi(Protocol):
    """What preflight uses of ``target.client.JtelClient`` (a fake one in the unit tests)."""

    def event_types(self) -> list[Record]: ...


def preflight(client: EventTypesApi, creates: Sequence[PlannedAction]) -> None:
    """Stop before anything is sent when a systematic mistake would fail every create.

    Reading the event types also proves the token works for more than the event list.
    """
    if not creates:
        return
    known = {int(r["ID"]) for r in client.event_types() if r.get("ID") is not None}
    used = {a.payload.get("AcdEventTypesID") for a in creates}
    unknown = sorted(t for t in used if isinstance(t, int) and t not in known)
    if unknown:
        raise AcdloadError(
            f"event type(s) {unknown} do not exist on the server (it has {sorted(known)}); "
            "nothing was sent",
            hint="fix AcdEventTypesID in the manifest",
        )


class Applier:
    """Runs one load against one server.

    ``clock`` (time, waits, jitter) and ``failpoint`` are production's unless a test passes
    its own: a fake clock makes every wait and budget of a run assertable in milliseconds,
    and a failpoint lets the kill tests die at an exact phase of a create.
    ``client_factory``: a new client (a keep-alive connection of its own) for each worker
    of ``options.parallel`` > 1; without it the workers share ``client``.
    ``server_highest``: the highest event ID of the list the plan was made from, where the
    look-up of an unanswered create starts probing (``lookup.Lookup``); 0 when unknown.
    """

    def __init__(
        self,
        client: JtelApi,
        journal: Journal,
        options: ApplyOptions,
        key_fields: tuple[str, ...],
        observer: Observer | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        *,
        clock: Clock = SYSTEM_CLOCK,
        failpoint: Failpoint = no_failpoint,
        server_highest: int = 0,
        client_factory: Callable[[], JtelApi] | None = None,
        expired: ExpiryCheck = lambda action: None,
    ) -> None:
        self._journal = journal
        self._server_highest = server_highest
        self._client_factory = client_factory
        self._options = options
        self._clock = clock
        self._sender = CreateSender(
            client, journal, options, key_fields, clock=clock, failpoint=failpoint
        )
        self._observer = observer or (lambda result: None)
        self._should_stop = should_stop
        self._expired = expired

    def run(self, actions: Sequence[PlannedAction]) -> ApplyRun:
        results = [Result(a.index, a.file, a.line, a.key, a.action) for a in actions]
        run = ApplyRun(results, started=self._clock.wall())
        carried = self._journal.carried()
        self._sender.seen([self._server_highest, *(a.event_id or 0 for a in actions)])
        self._journal.start(run.started)
        with Window(
            self._sender, self._options.parallel, self._client_factory, self._expired
        ) as window:
            tally = _Tally(run, self._options, self._observer)
            for action, result in zip(actions, results, strict=True):
                key = key_text(action.key)
                window.collect(tally.settle)
                if action.action != "create" or key in carried.merged:
                    try:
                        # Never sent, so reported as what it is even once the run has stopped.
                        self._settle_unsent(action, result, key, carried, record=not tally.stopped)
                    except JournalError as exc:
                        tally.stop(result, exc)
                        continue
                    self._observer(result)
                    continue
                window.make_room(action, tally.settle)
                if tally.stopped:
                    continue
                if self._should_stop():
                    run.interrupted = tally.stopped = True
                    continue
                window.start(action, result, key, carried.sent_at.get(key))
            window.drain(tally.settle)
        run.finished = self._clock.wall()
        if not tally.stopped:
            self._journal.end(run.finished)
        return run

    def _settle_unsent(
        self, action: PlannedAction, result: Result, key: KeyText, carried: Carried, record: bool
    ) -> None:
        """An event not sent: the server has it (ours from an unfinished run, or someone's),
        or an earlier run saw it merged into another event. ``record``: write what an
        unfinished run created into this run's journal (not once this run has stopped: it
        will not finish, so the next run still reads the earlier one)."""
        merged = carried.merged.get(key) if action.action == "create" else None
        if merged is not None:
            result.outcome, result.event_id = "exists", merged
            result.error = (
                f"merged into event {merged} (the server answered UPDATED to an earlier run); "
                "not sent again"
            )
        else:
            result.event_id = action.event_id
            if key in carried.sent and action.action == "exists":
                result.outcome = "created"
                if record:
                    self._journal.carry(key, action.event_id)
            else:
                result.outcome = action.action
                if action.action == "expired":
                    result.error = self._expired(action)
        self._sender.claim(result)


def _stopped_by(result: Result, exc: AcdloadError) -> None:
    """Record on the event being settled why the run stopped there."""
    if isinstance(exc, TargetError):
        result.outcome, result.error = "failed", exc.message
    elif result.outcome == "not_attempted":  # the journal could not record its send
        if result.attempts:
            result.outcome = "failed"
            result.error = f"{result.error}; not sent again: {exc.message}"
        else:
            result.error = f"not sent: {exc.message}"


class _Tally:
    """The run's verdict as the creates' outcomes come in (in manifest order): failures,
    the failing streak, and whether the run has stopped."""

    def __init__(self, run: ApplyRun, options: ApplyOptions, observer: Observer) -> None:
        self._run = run
        self._options = options
        self._observer = observer
        self.failures = self.streak = 0
        self.stopped = False

    def stop(self, result: Result, exc: AcdloadError) -> None:
        _stopped_by(result, exc)
        self._run.target_error, self.stopped = exc, True
        self._observer(result)

    def settle(self, result: Result, error: BaseException | None) -> None:
        """One create is over: ``error`` is what stopped it (a TargetError or JournalError)."""
        if isinstance(error, (TargetError, JournalError)):
            self.stop(result, error)
            return
        if error is not None:
            raise error
        self._observer(result)
        if result.outcome != "failed":
            self.streak = 0
            return
        self.failures += 1
        self.streak = (
            self.streak + 1 if result.http_status is None or result.http_status >= 500 else 0
        )
        if self.streak >= FAILING_STREAK:
            self._run.target_error = TargetError(
                f"the server keeps failing: {self.streak} events in a row failed after their retries",
                hint="check the server's health, then run the same command again",
            )
            self.stopped = True
        elif self._options.max_failures is not None and self.failures >= self._options.max_failures:
            self.stopped = True
