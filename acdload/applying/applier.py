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

from acdload.applying.creates import CreateSender
from acdload.applying.failpoint import (
    FAILPOINT_ENV as FAILPOINT_ENV,
)  # the kill tests' hook, kept here
from acdload.applying.journal import Carried, Journal, JournalError, KeyText, key_text
from acdload.errors import AcdloadError, TargetError
from acdload.target.client import JtelClient

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


def preflight(client: JtelClient, creates: Sequence[PlannedAction]) -> None:
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
    def __init__(
        self,
        client: JtelClient,
        journal: Journal,
        options: ApplyOptions,
        key_fields: tuple[str, ...],
        observer: Observer | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        *,
        expired: ExpiryCheck = lambda action: None,
    ) -> None:
        self._journal = journal
        self._options = options
        self._sender = CreateSender(client, journal, options, key_fields)
        self._observer = observer or (lambda result: None)
        self._should_stop = should_stop
        self._expired = expired

    def run(self, actions: Sequence[PlannedAction]) -> ApplyRun:
        results = [Result(a.index, a.file, a.line, a.key, a.action) for a in actions]
        run = ApplyRun(results)
        carried = self._journal.carried()
        self._journal.start()
        failures = streak = 0
        stopped = False
        for action, result in zip(actions, results, strict=True):
            key = key_text(action.key)
            try:
                if action.action != "create" or key in carried.merged:
                    # Never sent, so reported as what it is even once the run has stopped.
                    self._settle_unsent(action, result, key, carried, record=not stopped)
                elif stopped:
                    continue
                elif self._should_stop():
                    run.interrupted = stopped = True
                    continue
                elif (why := self._expired(action)) is not None:  # asked again at send time
                    result.outcome, result.error = "expired", why
                else:
                    self._sender.send(action, result, key, carried.sent_at.get(key))
            except (TargetError, JournalError) as exc:
                _stopped_by(result, exc)
                run.target_error, stopped = exc, True
                self._observer(result)
                continue
            self._observer(result)
            if result.outcome == "failed":
                failures += 1
                streak = (
                    streak + 1 if result.http_status is None or result.http_status >= 500 else 0
                )
                if streak >= FAILING_STREAK:
                    run.target_error = TargetError(
                        f"the server keeps failing: {streak} events in a row failed after their retries",
                        hint="check the server's health, then run the same command again",
                    )
                    stopped = True
                elif self._options.max_failures is not None:
                    stopped = failures >= self._options.max_failures  # only creates get here
            elif action.action == "create":
                streak = 0
        if not stopped:
            self._journal.end()
        run.finished = time.time()
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
