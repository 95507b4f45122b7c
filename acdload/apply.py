"""Apply: send the planned creates in submission order, each exactly once.

Exactly once rests on two things: the server's own records (matched by key) and the
journal of what this and earlier runs sent. A create that got no clear answer (timeout,
dropped connection, 5xx) is never simply sent again: acdload first gives a request that
may still be running on the server time to finish, then looks the key up, and only sends
again when the event is not there.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from acdload.client import CreateAnswer, JtelClient, TransportFailure
from acdload.errors import AcdloadError, TargetError
from acdload.journal import Journal, KeyText, key_text
from acdload.plan import key_function

OUTCOMES = ("created", "updated", "exists", "drift", "failed", "not_attempted")
SUCCESS = frozenset({"created", "updated", "exists", "drift"})
FAILING_STREAK = 5
"""Events failed in a row (after their retries) that mean the server itself is failing."""
SETTLE_FACTOR = 1.5
"""The default settle wait, in timeouts. A create that timed out may have been waited for a
whole timeout already, so a server that commits it up to 2.5 timeouts after it was sent is
found by the look-up; with a wait of exactly one timeout, a server that takes twice the
timeout (emulator ``--late-commit-ms`` = 2 x ``--timeout``) races the look-up."""


class PlannedAction(Protocol):
    """What apply needs of a planned action (``acdload.plan.Action`` or a saved one)."""

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
        None  # wait before checking an unanswered create (default: SETTLE_FACTOR x timeout)
    )


@dataclass(slots=True)
class ApplyRun:
    results: list[Result]
    target_error: TargetError | None = None
    interrupted: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None


Observer = Callable[[Result], None]


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


class Lookup:
    """Finds events on the server by key: one full list per look-up (there is no filter).

    Keys are compared exactly as plan compares them (``plan.key_function``), so whether an
    unanswered create "is there" is decided by the same rule that planned it; the oldest
    event wins, as in plan.
    """

    def __init__(self, client: JtelClient, key_fields: tuple[str, ...]) -> None:
        self._client = client
        self._key_of = key_function(key_fields)

    def find(self, key: dict[str, Any]) -> int | None:
        wanted = self._key_of(key)
        found = [
            int(record["ID"])
            for record in self._client.list_events()
            if record.get("ID") is not None and self._key_of(record) == wanted
        ]
        return min(found, default=None)


FAILPOINT_ENV = "ACDLOAD_FAILPOINT"


class Failpoint:
    """A test hook that SIGKILLs this process at one phase of one create (``PHASE:N``).

    The kill tests use it to die at the exact moments a timer cannot hit: just before the
    Nth create is sent (``before-send``), while it is in flight (``in-flight``: the kill
    comes from a timer 50 ms after sending starts, so the server must be slower than that)
    and after its answer but before the journal has it (``after-answer``). Unset, it costs
    one comparison per create.
    """

    def __init__(self, spec: str | None) -> None:
        phase, _, number = (spec or "").partition(":")
        self.phase = phase if number.isdigit() else ""
        self.number = int(number) if number.isdigit() else -1
        self.count = 0

    def hit(self, phase: str) -> None:
        if phase == "before-send":
            self.count += 1
        if phase != self.phase or self.count != self.number:
            return
        if phase == "in-flight":
            threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGKILL)).start()
        else:
            os.kill(os.getpid(), signal.SIGKILL)


class Applier:
    def __init__(
        self,
        client: JtelClient,
        journal: Journal,
        options: ApplyOptions,
        key_fields: tuple[str, ...],
        observer: Observer | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self._client = client
        self._journal = journal
        self._options = options
        self._lookup = Lookup(client, key_fields)
        self._observer = observer or (lambda result: None)
        self._should_stop = should_stop
        self._last_send = 0.0
        self._failpoint = Failpoint(os.environ.get(FAILPOINT_ENV))

    def run(self, actions: Sequence[PlannedAction]) -> ApplyRun:
        results = [Result(a.index, a.file, a.line, a.key, a.action) for a in actions]
        run = ApplyRun(results)
        carried = self._journal.carried()
        self._journal.start()
        failures = streak = 0
        for action, result in zip(actions, results, strict=True):
            if self._should_stop():
                run.interrupted = True
                break
            key = key_text(action.key)
            if action.action != "create":
                self._settle_existing(action, result, key, carried.sent)
                self._observer(result)
                continue
            try:
                self._create(action, result, key, carried.sent_at.get(key))
            except TargetError as exc:
                result.outcome = "failed"
                result.error = exc.message
                run.target_error = exc
                self._observer(result)
                break
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
                    break
                if (
                    self._options.max_failures is not None
                    and failures >= self._options.max_failures
                ):
                    break
            else:
                streak = 0
        else:
            self._journal.end()
        run.finished = time.time()
        return run

    def _settle_existing(
        self,
        action: PlannedAction,
        result: Result,
        key: KeyText,
        carried: dict[KeyText, int | None],
    ) -> None:
        """An event the server already has: ours from an unfinished run, or someone's."""
        result.event_id = action.event_id
        if key in carried and action.action == "exists":
            result.outcome = "created"
            self._journal.carry(key, action.event_id)
        else:
            result.outcome = action.action

    def _pace(self) -> None:
        if self._options.rate:
            wait = self._last_send + 1.0 / self._options.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last_send = time.monotonic()

    def _create(
        self, action: PlannedAction, result: Result, key: KeyText, unanswered_since: float | None
    ) -> None:
        """``unanswered_since``: when an unfinished earlier run sent this create, no answer
        recorded; it may still land, so it is waited for and looked up before sending again."""
        options = self._options
        settle = options.settle_seconds
        if settle is None:
            settle = options.timeout * SETTLE_FACTOR
        if unanswered_since is not None:
            time.sleep(max(0.0, unanswered_since + options.timeout + settle - time.time()))
            found = self._lookup.find(action.key)
            if found is not None:
                result.outcome, result.event_id = "created", found
                self._journal.done(action.index, key, result.outcome, result.event_id)
                return
        deadline = time.monotonic() + options.retry_seconds
        while True:
            self._pace()
            result.attempts += 1
            ambiguous = False
            wait: float | None = None
            # Before every send, retries too: a resumed run waits from the last one.
            self._journal.sent(action.index, key)
            self._failpoint.hit("before-send")
            self._failpoint.hit("in-flight")
            try:
                answer = self._client.create(action.payload)
            except TransportFailure as exc:
                ambiguous, result.http_status, result.error = True, None, f"no answer ({exc})"
                wait = settle
            else:
                if self._settled(answer, action, result):
                    break
                ambiguous = answer.status >= 500
                wait = answer.retry_after
            out_of_time = time.monotonic() >= deadline or result.attempts >= options.max_attempts
            if ambiguous:
                if wait:
                    time.sleep(wait)
                found = self._lookup.find(action.key)
                if found is not None:
                    result.outcome, result.event_id = "created", found
                    result.error = None
                    break
            if out_of_time:
                result.outcome = "failed"
                result.error = f"gave up after {result.attempts} attempts: {result.error}"
                break
            if not ambiguous or not wait:
                _backoff(result.attempts, None if ambiguous else wait)
        self._failpoint.hit("after-answer")
        self._journal.done(action.index, key, result.outcome, result.event_id)

    def _settled(self, answer: CreateAnswer, action: PlannedAction, result: Result) -> bool:
        """Record a final answer; False when the create should be tried again."""
        result.http_status = answer.status
        if (
            answer.status == 200
            and answer.record is not None
            and answer.record.get("ID") is not None
        ):
            result.event_id = int(answer.record["ID"])
            result.result = answer.result
            result.outcome = "updated" if answer.result == "UPDATED" else "created"
            result.error = None
            return True
        result.error = answer.error or f"HTTP {answer.status}"
        if answer.status == 409:
            found = self._lookup.find(action.key)
            result.outcome = "exists" if found is not None else "failed"
            result.event_id = found
            if found is not None:
                result.error = None
            return True
        if answer.status in (429, 503) or answer.status >= 500:
            return False
        if answer.status == 200:
            result.error = "the server answered 200 without the created event"
        result.outcome = "failed"
        return True


def _backoff(attempt: int, retry_after: float | None) -> None:
    if retry_after is not None:
        time.sleep(retry_after)
        return
    time.sleep(min(10.0, 0.1 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5))
