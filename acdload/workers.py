"""Render and check the events of a large load on every core.

Phone number checks and template renders cost tens of microseconds per event, and every
event is independent of the others, so a large load is split into one contiguous slice
per core. The slices are handed to forked children (which inherit the parsed load, so
nothing has to be sent to them) and only the payloads and issues come back.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import threading
from collections.abc import Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from acdload.collector import collector_paused
from acdload.model import Event
from acdload.render import FieldIssue, render_event
from acdload.render_clock import stop_watchdog
from acdload.validate import PayloadChecker

PARALLEL_MIN_EVENTS = 5_000
"""Below this, starting a second process costs more than it saves."""

Outcome = tuple[list[dict[str, Any]], list[tuple[int, list[FieldIssue]]]]
"""Payloads of a slice, and (position in the slice, issues) for the events that have any."""


def _run_slice(events: Sequence[Event], now: datetime) -> Outcome:
    checker = PayloadChecker(now)
    payloads: list[dict[str, Any]] = []
    flagged: list[tuple[int, list[FieldIssue]]] = []
    for position, event in enumerate(events):
        rendered = render_event(event)
        checker.check(rendered)
        payloads.append(rendered.payload)
        if rendered.issues:
            flagged.append((position, rendered.issues))
    return payloads, flagged


def _child(events: Sequence[Event], now: datetime, pipe: Connection) -> None:
    pipe.send_bytes(pickle.dumps(_run_slice(events, now), protocol=pickle.HIGHEST_PROTOCOL))
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
    """Payloads for all ``events`` in order, and the issues of those that have any."""
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
        return _run_slice(events, now)
    size = -(-len(events) // jobs)
    slices = [events[start : start + size] for start in range(0, len(events), size)]
    context = multiprocessing.get_context("fork")
    children = []
    for part in slices[1:]:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(part, now, send), daemon=True)
        process.start()
        send.close()
        children.append((process, receive))
    payloads, flagged = _run_slice(slices[0], now)
    offset = len(slices[0])
    for (process, receive), part in zip(children, slices[1:], strict=True):
        try:
            more_payloads, more_flagged = pickle.loads(receive.recv_bytes())
        except EOFError:
            process.join()
            more_payloads, more_flagged = _run_slice(part, now)  # the child died: do it here
        receive.close()
        process.join()
        payloads.extend(more_payloads)
        flagged.extend((offset + position, issues) for position, issues in more_flagged)
        offset += len(part)
    return payloads, flagged
