"""A Jinja environment that manifests cannot use to run code, hang, or exhaust memory.

Jinja's immutable sandbox stops attribute tricks (``''.__class__.__mro__``) but limits
neither time nor size: ``'a' * 10**9`` or two nested ``range(100000)`` loops pass it.
So this module adds: size guards on the operators and calls that can build huge values,
an output cap per field, and a wall-clock budget per render enforced by a watchdog thread
that raises into the rendering thread (it works in any thread, unlike a signal).
"""

from __future__ import annotations

import ctypes
import os
import re
import threading
import time as clock
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache, wraps
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.runtime import Context, new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment

SIZE_CAP = 100_000
"""No integer this large may reach an operator or call that builds a value from it."""

_HUGE_WIDTH = re.compile(r"%[-+ #0]*[0-9]{6,}|\{[^{}]*:[^{}]*[0-9]{6,}")


class RenderLimitError(Exception):
    """A template went past the time budget or a size guard."""


class OutputTooLong(RenderLimitError):
    """A template's output went past its field's length limit."""


class RenderTimeout(Exception):
    """A render outlived its time budget (raised into the rendering thread)."""


class TemplateVars(dict[str, Any]):
    """``vars`` as templates see it; named so a missing entry reads ``vars.NAME``."""


class _Undefined(StrictUndefined):
    """Undefined names are errors, with the name as the manifest author wrote it."""

    @property
    def _undefined_message(self) -> str:
        if isinstance(self._undefined_obj, TemplateVars):
            return f"vars.{self._undefined_name} is undefined (define it under vars)"
        return super()._undefined_message


def _too_big(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > SIZE_CAP


def _check_format(text: object) -> None:
    if isinstance(text, str) and _HUGE_WIDTH.search(text):
        raise RenderLimitError("a format width over 100000 characters is not allowed")


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def guard(*args: Any, **kwargs: Any) -> Any:
        if any(map(_too_big, args)) or any(map(_too_big, kwargs.values())):
            raise RenderLimitError(f"an argument over {SIZE_CAP} is not allowed here")
        return func(*args, **kwargs)

    return guard


def _parse_day(value: object) -> date:
    if isinstance(value, date):
        return value
    text = str(value).replace("-", "")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise ValueError(f"date filter: {value!r} is not a yyyy-mm-dd or yyyymmdd date") from None


@lru_cache(maxsize=4096)
def format_date(value: object, fmt: str = "%Y-%m-%d") -> str:
    """``{{ dtAppointmentDate|date('%d.%m.%Y') }}``: a date written either way, reformatted."""
    _check_format(fmt)
    return _parse_day(value).strftime(fmt)


@lru_cache(maxsize=4096)
def format_time(value: object, fmt: str = "%H:%M") -> str:
    """``{{ dtAppointmentTime|time('%H.%M') }}``: a time written hh:mm or hhmm, reformatted."""
    _check_format(fmt)
    text = str(value).replace(":", "")
    try:
        moment = datetime(2000, 1, 1, int(text[:2]), int(text[2:4]))
    except ValueError:
        raise ValueError(f"time filter: {value!r} is not an hh:mm or hhmm time") from None
    return moment.strftime(fmt)


_SIZED_FILTERS = ("center", "indent", "wordwrap", "truncate", "batch", "slice", "format")
"""Built-in filters whose integer arguments size what they build."""


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "//"})

    def __init__(self) -> None:
        super().__init__(
            undefined=_Undefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=lambda value: "" if value is None else value,
        )
        for nondeterministic in ("lipsum", "cycler", "joiner"):
            self.globals.pop(nondeterministic, None)
        self.filters.pop("random", None)
        for name in _SIZED_FILTERS:
            self.filters[name] = _guarded(self.filters[name])
        self.filters["format"] = _guarded_format(self.filters["format"])
        self.filters["date"] = format_date
        self.filters["time"] = format_time

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            _check_format(left)
        elif operator == "**" and _power_too_big(left, right):
            raise RenderLimitError(f"a power with over {SIZE_CAP} bits is not allowed")
        elif operator == "*" and isinstance(left, int | float) and isinstance(right, int | float):
            pass  # plain arithmetic between numbers is bounded
        elif operator == "*" and (
            _too_big(left) or _too_big(right) or _repeat_too_big(left, right)
        ):
            raise RenderLimitError(f"repeating a value to over {SIZE_CAP} items is not allowed")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if any(map(_too_big, args)) or any(map(_too_big, kwargs.values())):
            raise RenderLimitError(f"an argument over {SIZE_CAP} is not allowed here")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(value.__self__)
        return wrapped


def _power_too_big(base: Any, exponent: Any) -> bool:
    if not isinstance(base, int) or not isinstance(exponent, int):
        return _too_big(exponent)
    return exponent > 0 and max(base.bit_length(), 1) * exponent > SIZE_CAP


def _repeat_too_big(left: Any, right: Any) -> bool:
    seq, times = (left, right) if isinstance(right, int) else (right, left)
    return isinstance(times, int) and hasattr(seq, "__len__") and len(seq) * times > SIZE_CAP


def _guarded_format(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def guard(value: Any, *args: Any, **kwargs: Any) -> Any:
        _check_format(value)
        return func(value, *args, **kwargs)

    return guard


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


def render_capped(template: Template, context: dict[str, Any], max_chars: int) -> str:
    """Render at most ``max_chars`` characters; call it inside ``time_budget``.

    ``context`` must already hold the environment's globals (``with_globals``): templates
    only read it (their own assignments go to the render's private scope), so one dict
    serves all templates of an event. The render function is driven directly (not through
    ``generate``, whose error handling only rewrites tracebacks) so the output can be cut
    off as soon as it is too long.
    """
    parts: list[str] = []
    size = 0
    scope = new_context(template.environment, template.name, template.blocks, context, shared=True)
    for chunk in template.root_render_func(scope):
        size += len(chunk)
        if size > max_chars:
            raise OutputTooLong(f"the output is longer than {max_chars} characters")
        parts.append(chunk)
    return "".join(parts)


def with_globals(environment: SandboxEnvironment, variables: dict[str, Any]) -> dict[str, Any]:
    """A render context: the environment's globals (``range``, ``dict``…) under ``variables``."""
    context = dict(environment.globals)
    context.update(variables)
    return context


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
            raise RenderTimeout(f"rendering took longer than {self._seconds:g} s") from None
