"""One create, exactly once: send it, read what the answer means, retry, look the key up.

A create that got no clear answer (timeout, dropped connection, an answer that cannot be
read, 5xx) is never simply sent again: the key is looked up at once (most such events were
stored, and a hit settles them without any wait); only when it is not there is a request
that may still be running on the server given time to finish (the settle wait) and the key
looked up again, and the create is sent again only when the event is still not there. A
request that never left (connection refused, name not resolved, connect timeout) is not
ambiguous: it is sent again after backoff, without a look-up. An answer that names an event this one cannot be (an ID that
is already another event's, an UPDATED record of another type, group or sender) is not
taken at its word either.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from acdload.applying.journal import Journal, KeyText
from acdload.applying.lookup import Lookup, Sink
from acdload.planning.matching import differences
from acdload.safetext import server_text
from acdload.target.answers import Record
from acdload.target.backoff import CREATE_FIRST_WAIT, retry_wait
from acdload.target.client import CreateAnswer, NotSent, TransportFailure
from acdload.target.event_list import ListProgress

if TYPE_CHECKING:
    from acdload.applying.applier import ApplyOptions, PlannedAction, Result

SETTLE_FACTOR = 1.5
"""The default settle wait, in timeouts. A create that timed out may have been waited for a
whole timeout already, so a server that commits it up to 2.5 timeouts after it was sent is
found by the look-up; with a wait of exactly one timeout, a server that takes twice the
timeout (emulator ``--late-commit-ms`` = 2 x ``--timeout``) races the look-up."""
MERGE_FIELDS = ("AcdEventTypesID", "AcdGroupsID", "Sender")
"""What a group that forbids duplicates merges on (docs/emulator.md): an UPDATED answer whose
record differs in one of them is some other event, and this one was not stored."""

DONE, RETRY, AMBIGUOUS = "done", "retry", "ambiguous"
"""What one answer to a create means: settled, send again, or look the key up first."""

Failpoint = Callable[[str], None]
"""Called at three moments of every create request: ``before-send`` (the journal has its
``sent``, the request is not made yet), ``in-flight`` (the request is being made) and
``after-answer`` (the outcome is known, the journal's ``done`` is not written yet). In
production it does nothing; the kill tests put a SIGKILL there
(``tests/applying/failpoint.py``), at the moments a timer in a test cannot hit."""


def no_failpoint(phase: str) -> None:
    """Production's failpoint: nothing happens."""


class JtelApi(Protocol):
    """What apply uses of ``target.client.JtelClient``; the unit tests pass a fake one with
    scripted answers."""

    def create(self, payload: dict[str, Any]) -> CreateAnswer: ...
    def list_events(
        self, start: Callable[[], Sink], progress: ListProgress | None = None
    ) -> Sink: ...
    def get_event(self, event_id: int) -> Record | None: ...


@dataclass(frozen=True, slots=True)
class Clock:
    """Where apply reads the time, waits and draws its jitter: the system's by default.

    The unit tests pass a fake clock whose ``sleep`` only advances its time, so that every
    wait apply decides on is asserted, never spent.
    """

    monotonic: Callable[[], float] = time.monotonic
    """Deadlines, retry budgets and pacing."""
    wall: Callable[[], float] = time.time
    """Journal stamps and the run's start and end: what a later run (another process)
    compares with."""
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    """Backoff's random factor, in [0, 1)."""


SYSTEM_CLOCK = Clock()


class CreateSender:
    """Sends the creates of one run, each recorded in the journal first.

    Shared by every worker of ``--parallel``: each worker thread sends through its own
    client (``use``), while pacing, the IDs claimed and the look-ups are the run's.
    """

    def __init__(
        self,
        client: JtelApi,
        journal: Journal,
        options: ApplyOptions,
        key_fields: tuple[str, ...],
        *,
        clock: Clock,
        failpoint: Failpoint,
    ) -> None:
        self._shared_client = client
        self._local = threading.local()
        self._journal = journal
        self._options = options
        self._lookup = Lookup(key_fields, options.parallel)
        self._pacing = threading.Lock()
        self._clock = clock
        self._failpoint = failpoint
        self._last_send = -math.inf
        self._claimed: dict[int, str] = {}
        """Event ID -> the event of this run that it is (``file:line``): a create answered
        with one of these IDs was not stored as that event."""

    def claim(self, result: Result) -> None:
        """Note that ``result``'s event ID is its event's, and no other's."""
        if result.event_id is not None:
            self._claimed.setdefault(result.event_id, f"{result.file}:{result.line}")
            self._lookup.see(result.event_id)

    def use(self, client: JtelApi) -> None:
        """Send this thread's creates (and look-ups) through ``client``."""
        self._local.client = client

    @property
    def _client(self) -> JtelApi:
        client: JtelApi = getattr(self._local, "client", self._shared_client)
        return client

    def seen(self, event_ids: Iterable[int]) -> None:
        """IDs known to be on the server (the planned ``exists``): probes start above them."""
        for event_id in event_ids:
            self._lookup.see(event_id)

    def _pace(self) -> None:
        """``--rate`` for the whole run: a worker waits here for its turn, holding it."""
        clock = self._clock
        with self._pacing:
            if self._options.rate:
                wait = self._last_send + 1.0 / self._options.rate - clock.monotonic()
                if wait > 0:
                    clock.sleep(wait)
            self._last_send = clock.monotonic()

    def _retry_wait(self, attempt: int, retry_after: float | None, deadline: float) -> float:
        """The wait before sending again (``backoff.retry_wait``), within the event's retry
        budget, which ends at ``deadline``."""
        budget = deadline - self._clock.monotonic()
        return retry_wait(
            attempt, retry_after, first=CREATE_FIRST_WAIT, budget=budget, jitter=self._clock.jitter
        )

    def send(
        self,
        action: PlannedAction,
        result: Result,
        key: KeyText,
        unanswered_since: float | None,
        on_sent: Callable[[], None] = lambda: None,
    ) -> None:
        """``unanswered_since``: when an unfinished earlier run sent this create, no answer
        recorded; it may still land, so it is waited for and looked up before sending again.
        ``on_sent``: called once its first request is about to go (``--parallel`` lets the
        next create start then), or before waiting for an earlier run's request."""
        options, clock = self._options, self._clock
        settle = options.settle_seconds
        if settle is None:
            settle = options.timeout * SETTLE_FACTOR
        if unanswered_since is not None:
            on_sent()  # this wait holds no later create back
            # At most what a request sent just now would need: a journal written under
            # another clock, or tampered with, cannot hold the run for longer.
            pending = unanswered_since + options.timeout + settle - clock.wall()
            found = self._look_up(
                action.key, self._lookup.highest, min(options.timeout + settle, max(0.0, pending))
            )
            if found is not None:
                result.outcome, result.event_id = "created", found
                self.claim(result)
                self._journal.done(action.index, key, result.outcome, result.event_id)
                return
        deadline = clock.monotonic() + options.retry_seconds
        while True:
            self._pace()
            # Before every send, retries too: a resumed run waits from the last one. A send
            # the journal cannot record is not made: this raises JournalError first.
            self._journal.sent(action.index, key, clock.wall())
            result.attempts += 1
            since = self._lookup.highest  # the event will be above it, if it is stored
            on_sent()
            self._failpoint("before-send")
            self._failpoint("in-flight")
            wait: float | None  # before the look-up, or before sending again; None: backoff
            try:
                answer = self._client.create(action.payload)
            except NotSent as exc:
                # Nothing reached the server: nothing to look up, only to send again.
                verdict, wait = RETRY, None
                result.http_status, result.error = None, f"not sent: {exc}"
            except TransportFailure as exc:
                # No answer, or one that cannot be read: the server may have stored it.
                verdict, wait = AMBIGUOUS, settle
                result.http_status, result.error = None, f"no clear answer: {exc}"
            else:
                verdict = self._judge(answer, action, result)
                if verdict == DONE:
                    break
                wait = answer.retry_after
                if wait is not None:
                    wait = self._retry_wait(result.attempts, wait, deadline)
            out_of_time = clock.monotonic() >= deadline or result.attempts >= options.max_attempts
            if verdict == AMBIGUOUS:
                found = self._look_up(action.key, since, wait)
                if found is not None:
                    result.outcome, result.event_id, result.error = "created", found, None
                    break
            if out_of_time:
                result.outcome = "failed"
                result.error = f"gave up after {result.attempts} attempts: {result.error}"
                break
            if verdict == AMBIGUOUS and wait:
                continue  # the wait before its look-up was its wait before sending again
            clock.sleep(
                self._retry_wait(result.attempts, wait if verdict == RETRY else None, deadline)
            )
        self._failpoint("after-answer")
        self.claim(result)
        self._journal.done(action.index, key, result.outcome, result.event_id)

    def _look_up(self, key: dict[str, Any], since: int, settle: float | None) -> int | None:
        """The event of ``key``, looked for at once and, when it is not there and a request
        may still be running on the server, again after ``settle`` seconds; probed for
        above ``since`` first (``lookup.Lookup``)."""
        found = self._find(key, since)
        if found is None and settle:
            self._clock.sleep(settle)
            found = self._find(key, since)
        return found

    def _find(self, key: dict[str, Any], since: int | None) -> int | None:
        return self._lookup.find(self._client, key, since=since, skip=self._claimed.__contains__)

    def _judge(self, answer: CreateAnswer, action: PlannedAction, result: Result) -> str:
        """What an answer means (DONE, RETRY or AMBIGUOUS); a final one is recorded in
        ``result``."""
        result.http_status = answer.status
        record = answer.record
        if answer.status == 200 and record is not None and record.get("ID") is not None:
            event_id = int(record["ID"])
            result.result = answer.result
            if answer.result == "UPDATED":
                return self._merged(event_id, record, action, result)
            owner = self._claimed.get(event_id)
            if owner is not None:
                # A replayed or made-up answer: whether this event was stored, only its key
                # can tell.
                result.error = (
                    f"the server answered event {event_id}, which is already the event of "
                    f"{owner}; this event's key is not on the server"
                )
                return AMBIGUOUS
            result.outcome, result.event_id, result.error = "created", event_id, None
            return DONE
        result.error = answer.error or f"HTTP {answer.status}"
        if answer.status == 409:
            found = self._find(action.key, None)  # a conflict is with an older event: list
            result.outcome = "exists" if found is not None else "failed"
            result.event_id = found
            if found is not None:
                result.error = None
            return DONE
        if answer.status >= 500:
            return AMBIGUOUS
        if answer.status == 429:
            return RETRY
        if answer.status == 200:
            result.error = "the server answered 200 without the created event"
        result.outcome = "failed"
        return DONE

    @staticmethod
    def _merged(
        event_id: int, record: dict[str, Any], action: PlannedAction, result: Result
    ) -> str:
        """An UPDATED answer: the event was merged into ``event_id``, if that is an event it
        could be merged into. One of another type, group or sender is not where this event
        went, however the answer is worded: it is not counted as stored (if it was stored
        after all, the next run's plan finds its key)."""
        changes = differences({n: record[n] for n in MERGE_FIELDS if n in record}, action.payload)
        if changes:
            theirs = ", ".join(
                f"{name} {server_text(str(pair[0]), 60)}" for name, pair in changes.items()
            )
            result.outcome = "failed"
            result.error = (
                f"the server answered UPDATED with event {event_id}, which is not this event "
                f"(it has {theirs}); not counted as stored"
            )
        else:
            result.outcome, result.event_id, result.error = "updated", event_id, None
        return DONE
