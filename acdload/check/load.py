"""``acdload.load``: read, render and validate a load, as ``acdload validate`` does.

The result is plain data: the located problems, and the events with their file, line,
key and the exact payload apply would send. It keeps the pipeline's own result as well
(``plan`` and ``apply`` need the manifests it read), but only privately: what a caller
relies on is the fields documented here.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from acdload.check.pipeline import CheckOptions, Prepared, prepare
from acdload.errors import AcdloadError, UsageProblem
from acdload.problems import Problem
from acdload.safetext import escape

PathArg = str | os.PathLike[str]


class InvalidLoad(AcdloadError):
    """A load with errors was given to plan or apply: nothing was read or sent (exit 1)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a load: where it was written, its key, and the payload apply sends."""

    index: int  # 0-based position in the load: the order of submission
    file: str  # the file it was written in (a manifest, or the CSV file it names)
    line: int
    key: dict[str, Any]  # the manifest's key fields and their values
    payload: dict[str, Any]  # the create body: defaults applied, templates rendered


class Events(Sequence[Event]):
    """The events of a load, made on access: a load of a million events holds no second
    copy of them."""

    def __init__(self, prepared: Prepared) -> None:
        self._events = prepared.load.events
        self._payloads = prepared.payloads

    def __len__(self) -> int:
        return len(self._events)

    def __repr__(self) -> str:
        return f"<{len(self)} events>"

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [self._event(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("event index out of range")
        return self._event(index)

    def __iter__(self) -> Iterator[Event]:
        return (self._event(i) for i in range(len(self)))

    def _event(self, position: int) -> Event:
        event, payload = self._events[position], self._payloads[position]
        key = {name: payload.get(name) for name in event.manifest.key}
        return Event(event.index, event.file, event.line, key, payload)


@dataclass(slots=True)
class Load:
    """What :func:`load` read: every problem, and every event in submission order."""

    paths: tuple[str, ...]  # as given
    files: list[tuple[str, int]]  # each manifest read, in order, and the events it gave
    events: Events
    problems: list[Problem]  # sorted by file, line, column
    timings: dict[str, float]  # seconds: read, render_check, locate
    _prepared: Prepared = field(repr=False, compare=False)
    strict: bool = field(default=False, kw_only=True)
    """Loaded with ``strict``: plan and apply judge the server's side (``already-open``)
    as validation judged the manifests."""

    @property
    def errors(self) -> int:
        return sum(1 for problem in self.problems if problem.is_error)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    @property
    def valid(self) -> bool:
        """No problem of error severity (warnings allowed; ``strict=True`` makes them
        errors): what ``acdload validate`` exits 0 for."""
        return self.errors == 0


def load(
    paths: PathArg | Iterable[PathArg],
    *,
    strict: bool = False,
    now: datetime | None = None,
    phone_region: str | None = None,
    root: PathArg | None = None,
    jobs: int | None = None,
) -> Load:
    """Read the manifests ``paths`` (files or directories), render and validate them.

    The options are ``acdload validate``'s: ``strict`` makes warnings errors; ``now``
    judges appointments as of that moment (default: the clock; without an offset it is
    read in each manifest's time zone); ``phone_region`` reads national numbers of
    manifests that name no region; ``root`` is the directory manifests may read in (the
    command line reads it from ``acdload.toml``; here it is only what is given: without
    it, each manifest reads only in its own directory). ``jobs`` is the number of
    processes that render (default: one per core, up to 8, for a large load).

    Problems in manifests are in the result, never raised; a path that does not exist
    or holds no manifest, and an option that is wrong, raise :class:`UsageProblem`.
    """
    given = _paths(paths)
    options = CheckOptions(
        now=now if now is not None else datetime.now(UTC),
        strict=strict,
        phone_region=_region(phone_region),
        root=_root(root),
        jobs=_jobs(jobs),
    )
    prepared = prepare(list(given), options)
    counts = Counter(id(event.manifest) for event in prepared.load.events)
    files = [(m.display, counts[id(m)]) for m in prepared.load.manifests]
    return Load(
        given, files, Events(prepared), prepared.problems, prepared.timings, prepared, strict=strict
    )


def require_valid(loaded: Load, stage: str) -> None:
    """Raise :class:`InvalidLoad` unless ``loaded`` is valid: nothing is planned or sent
    from a load with errors (``stage`` says what was not done)."""
    if not loaded.valid:
        first = next(problem for problem in loaded.problems if problem.is_error)
        count = loaded.errors
        raise InvalidLoad(
            f"the load has {count} error{'' if count == 1 else 's'} "
            f"(the first: {first.location}: {first.message}); nothing was {stage}",
            hint="fix the problems in load.problems (acdload validate shows them all)",
        )


def _paths(paths: PathArg | Iterable[PathArg]) -> tuple[str, ...]:
    """One path or many: a single string is one path, never its characters."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    given = tuple(os.fspath(item) for item in items)
    if not given:
        raise UsageProblem("no paths given", hint="name manifest files or directories")
    return given


def _region(phone_region: str | None) -> str | None:
    if phone_region is None:
        return None
    from acdload.check.rules.phones import region_problem

    why = region_problem(phone_region)
    if why is not None:
        raise UsageProblem(f"phone_region: {why}")
    return phone_region


def _root(root: PathArg | None) -> Path | None:
    if root is None:
        return None
    path = Path(root)
    if not path.is_dir():
        raise UsageProblem(f"root {escape(str(root))} is not a directory")
    return path


def _jobs(jobs: int | None) -> int | None:
    if jobs is not None and (isinstance(jobs, bool) or jobs < 1):
        raise UsageProblem(f"jobs={jobs!r}: give a number of processes, 1 or more")
    return jobs
