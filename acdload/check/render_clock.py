"""A wall-clock budget for renders, enforced by a watchdog thread.

A template can loop for hours in Python code (two nested ``range(100000)`` loops). A
signal would only reach the main thread, so a watchdog thread raises an exception into
the rendering thread instead; it lands between two bytecodes, which is why the sandbox
also refuses, before they start, the single C calls that would run long
(``template_limits``).
"""

from __future__ import annotations

import ctypes
import os
import threading
import time as clock


class RenderTimeout(Exception):
    """A render outlived its time budget (raised into the rendering thread)."""


class _Watchdog:
    """Raises RenderTimeout in a thread whose render outlives its budget."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, tuple[int, float]] = {}  # thread id -> (generation, deadline)
        self._fired: set[tuple[int, int]] = set()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def arm(self, seconds: float) -> tuple[int, int]:
        tid = threading.get_ident()
        with self._lock:
            self._generation += 1
            self._running[tid] = (self._generation, clock.monotonic() + seconds)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._watch, daemon=True)
                self._thread.start()
            return tid, self._generation

    def disarm(self, tid: int, generation: int) -> None:
        with self._lock:
            self._running.pop(tid, None)
            if (tid, generation) in self._fired:
                self._fired.discard((tid, generation))
                _raise_in(tid, None)  # cancel an exception that has not landed yet

    def stop(self) -> None:
        """End the watching thread while no render runs; the next render starts it again."""
        with self._lock:
            thread, busy = self._thread, bool(self._running)
        if thread is not None and not busy:
            self._stop.set()
            thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            with self._lock:
                now = clock.monotonic()
                for tid, (generation, deadline) in self._running.items():
                    if now > deadline and (tid, generation) not in self._fired:
                        self._fired.add((tid, generation))
                        _raise_in(tid, RenderTimeout)


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )


_WATCHDOG = _Watchdog()


def stop_watchdog() -> None:
    """Leave no thread of acdload's running (before a fork), unless a render is under way."""
    _WATCHDOG.stop()


def _fresh_watchdog() -> None:
    """A forked child must not inherit the lock (perhaps held) or the parent's renders."""
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


os.register_at_fork(after_in_child=_fresh_watchdog)


class time_budget:
    """Let the renders inside run for ``seconds`` of wall time at most.

    A class rather than a generator-based context manager: it is entered once per event.
    """

    __slots__ = ("_armed", "_seconds")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._armed = (0, 0)

    def __enter__(self) -> None:
        self._armed = _WATCHDOG.arm(self._seconds)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        _WATCHDOG.disarm(*self._armed)
        if kind is RenderTimeout and not str(exc):
            raise RenderTimeout(
                f"rendering took longer than {self._seconds:g} s; make the template do less work"
            ) from None
