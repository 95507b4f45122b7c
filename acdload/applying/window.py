"""``--parallel N``: up to N creates in flight, started in manifest order, order kept.

A create at position k of the load starts only when the create at position k - N is over,
and never while a create of the same Sender (the same customer) is in flight. So creates
*start* in manifest order, at most N are in flight, and any two creates more than N apart
are made in manifest order exactly. Outcomes are settled (reported, counted towards
``--max-failures`` and the failing streak) in the order the creates started, on the
caller's thread, so reports and progress read as with N = 1. With N = 1 each create is
sent on the caller's thread and settled before the next: today's strict order.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acdload.applying.journal import JournalError, KeyText
from acdload.errors import TargetError

if TYPE_CHECKING:
    from acdload.applying.applier import ExpiryCheck, PlannedAction, Result
    from acdload.applying.creates import CreateSender, JtelApi

Settle = Callable[["Result", BaseException | None], None]
"""Called with each create's result once it is over, and what stopped it, if anything."""


@dataclass(frozen=True, slots=True)
class _Flight:
    position: int
    sender: Any
    result: Result
    future: Future[None]


class Window:
    """The creates in flight; ``parallel`` worker threads, each with its own client."""

    def __init__(
        self,
        sender: CreateSender,
        parallel: int,
        client_factory: Callable[[], JtelApi] | None,
        expired: ExpiryCheck = lambda action: None,
    ) -> None:
        self._sender = sender
        self._expired = expired
        self._parallel = max(1, parallel)
        self._factory = client_factory
        self._clients: list[JtelApi] = []
        self._clients_lock = threading.Lock()
        self._pool = (
            ThreadPoolExecutor(self._parallel, "acdload-create", initializer=self._worker)
            if self._parallel > 1
            else None
        )
        self._flight: deque[_Flight] = deque()
        self._turn = threading.Condition()
        self._next = 0
        """The position of the create whose turn it is to send its first request."""
        self._started = 0

    def __enter__(self) -> Window:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # in-flight requests finish; nothing new starts
        for client in self._clients:
            getattr(client, "close", lambda: None)()

    def _worker(self) -> None:
        if self._factory is not None:
            client = self._factory()
            with self._clients_lock:
                self._clients.append(client)
            self._sender.use(client)

    def collect(self, settle: Settle) -> None:
        """Settle the creates that are over at the head of the window, without waiting."""
        while self._flight and self._flight[0].future.done():
            self._settle_oldest(settle)

    def make_room(self, action: PlannedAction, settle: Settle) -> None:
        """Wait, settling outcomes in start order, until ``action`` may start."""
        self.collect(settle)
        sender = action.payload.get("Sender")
        while self._flight and (
            self._flight[0].position <= self._started - self._parallel
            or (sender is not None and any(f.sender == sender for f in self._flight))
        ):
            self._settle_oldest(settle)

    def start(
        self, action: PlannedAction, result: Result, key: KeyText, unanswered_since: float | None
    ) -> None:
        args = (action, result, key, unanswered_since)
        if self._pool is not None:
            future = self._pool.submit(self._send_in_turn, self._started, *args)
        else:
            future = Future()
            try:
                self._send(*args)
            except (TargetError, JournalError) as exc:
                future.set_exception(exc)
            else:
                future.set_result(None)
        self._flight.append(_Flight(self._started, action.payload.get("Sender"), result, future))
        self._started += 1

    def _send_in_turn(
        self,
        position: int,
        action: PlannedAction,
        result: Result,
        key: KeyText,
        unanswered_since: float | None,
    ) -> None:
        """Send, once every create before it has sent its first request: so creates start
        (journal ``sent``, pacing, request) in manifest order whatever the threads do."""
        with self._turn:
            self._turn.wait_for(lambda: self._next >= position)

        def pass_on() -> None:
            with self._turn:
                if self._next == position:
                    self._next += 1
                    self._turn.notify_all()

        try:
            self._send(action, result, key, unanswered_since, pass_on)
        finally:
            pass_on()

    def _send(
        self,
        action: PlannedAction,
        result: Result,
        key: KeyText,
        unanswered_since: float | None,
        on_sent: Callable[[], None] = lambda: None,
    ) -> None:
        """Send, unless the appointment has passed by now: asked here, in the create's
        turn, because a create may wait in the window while others are sent."""
        why = self._expired(action)
        if why is not None:
            result.outcome, result.error = "expired", why
            return
        self._sender.send(action, result, key, unanswered_since, on_sent)

    def drain(self, settle: Settle) -> None:
        """Wait for every create in flight and settle it."""
        while self._flight:
            self._settle_oldest(settle)

    def _settle_oldest(self, settle: Settle) -> None:
        flight = self._flight.popleft()
        settle(flight.result, flight.future.exception())
