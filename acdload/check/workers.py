"""Render and check the events of a large load on every core.

Phone number checks and template renders cost tens of microseconds per event, and every
event is independent of the others, so a large load is split into one contiguous slice
per core. The slices are handed to forked children (which inherit the parsed load, so
nothing has to be sent to them) and only the payloads and issues come back.

A template that runs out of time costs a whole second per event, so a load stops being
rendered after a few timeouts, counted across all processes: 100,000 events of a template
that loops for hours would otherwise take 100,000 seconds to report.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any, NamedTuple

from acdload.check.payloads import PayloadChecker
from acdload.check.render import FieldIssue, render_event
from acdload.check.render_clock import stop_watchdog
from acdload.gc_pause import collector_paused
from acdload.manifest.model import Event

PARALLEL_MIN_EVENTS = 5_000
"""Below this, starting a second process costs more than it saves."""

STOP_AFTER_TIMEOUTS = 3
"""Template timeouts after which the rest of a load is not rendered."""


class Outcome(NamedTuple):
    payloads: list[dict[str, Any]]
    """One per event, in order (empty for an event not rendered)."""
    flagged: list[tuple[int, list[FieldIssue]]]
    """(position, issues) for the events that have any."""
    skipped: list[int]
    """Positions of the events not rendered: the load stopped after too many timeouts."""


class _Timeouts:
    """Template timeouts of one load, shared with the forked children that render it."""

    def __init__(self, context: BaseContext | None = None) -> None:
        self._count = ctypes.c_int(0) if context is None else context.RawValue(ctypes.c_int, 0)
        self._lock: AbstractContextManager[Any] = (
            nullcontext() if context is None else context.Lock()
        )

    def add(self) -> None:
        with self._lock:
            self._count.value += 1

    @property
    def too_many(self) -> bool:
        return self._count.value >= STOP_AFTER_TIMEOUTS


def _run_slice(events: Sequence[Event], now: datetime, timeouts: _Timeouts) -> Outcome:
    checker = PayloadChecker(now)
    outcome = Outcome([], [], [])
    for position, event in enumerate(events):
        if timeouts.too_many:
            outcome.skipped.extend(range(position, len(events)))
            outcome.payloads.extend({} for _ in outcome.skipped)
            break
        rendered = render_event(event)
        if rendered.timed_out:
            timeouts.add()
        checker.check(rendered)
        outcome.payloads.append(rendered.payload)
        if rendered.issues:
            outcome.flagged.append((position, rendered.issues))
    return outcome


def _child(events: Sequence[Event], now: datetime, timeouts: _Timeouts, pipe: Connection) -> None:
    outcome = _run_slice(events, now, timeouts)
    pipe.send_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    pipe.close()


def _can_fork() -> bool:
    # Forking a process that runs other threads can copy a lock in a held state. The render
    # watchdog of an earlier load is acdload's own and is stopped first; a host's threads
    # (a server in a test run, say) mean staying on one core.
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    stop_watchdog()
    return threading.active_count() == 1


def jobs_for(count: int) -> int:
    if count < PARALLEL_MIN_EVENTS or not _can_fork():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def render_and_check(events: Sequence[Event], now: datetime, jobs: int | None = None) -> Outcome:
    """Payloads for all ``events`` in order, the issues of those that have any, and the
    events not rendered."""
    jobs = jobs_for(len(events)) if jobs is None else jobs
    # The parsed load is long-lived and acyclic: keep the collector from re-scanning it
    # (and, in forked children, from copying every page of it while scanning).
    gc.freeze()
    try:
        with collector_paused():
            return _render_and_check(events, now, jobs)
    finally:
        gc.unfreeze()


def _render_and_check(events: Sequence[Event], now: datetime, jobs: int) -> Outcome:
    if jobs <= 1:
        return _run_slice(events, now, _Timeouts())
    size = -(-len(events) // jobs)
    slices = [events[start : start + size] for start in range(0, len(events), size)]
    context = multiprocessing.get_context("fork")
    timeouts = _Timeouts(context)
    children = []
    for part in slices[1:]:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(part, now, timeouts, send), daemon=True)
        process.start()
        send.close()
        children.append((process, receive))
    outcome = _run_slice(slices[0], now, timeouts)
    offset = len(slices[0])
    for (process, receive), part in zip(children, slices[1:], strict=True):
        try:
            more: Outcome = pickle.loads(receive.recv_bytes())
        except EOFError:
            process.join()
            more = _run_slice(part, now, timeouts)  # the child died: do it here
        receive.close()
        process.join()
        outcome.payloads.extend(more.payloads)
        outcome.flagged.extend((offset + position, issues) for position, issues in more.flagged)
        outcome.skipped.extend(offset + position for position in more.skipped)
        offset += len(part)
    return outcome
