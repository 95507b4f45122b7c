"""acdload: declare jtel ACD events in manifests, then validate, render, plan and apply them.

The Python API is one call per stage, plain dataclasses in and out; the ``acdload``
command is a thin layer over it::

    import acdload

    load = acdload.load(["manifests/"], phone_region="DE")  # read, render, validate
    if not load.valid:
        for problem in load.problems:                       # located: file:line:column
            print(problem.location, problem.message)
    target = acdload.Target.from_env()   # or Target(base_url, token), Target.emulator()
    plan = acdload.plan(load, target)    # or offline: acdload.plan(load, None)
    run = acdload.apply(plan, target, on_result=print)      # journal, lock, reports
    print(run.summary, run.exit_code)

Stages: :func:`load` -> :class:`Load` (its :class:`Event` s and :class:`Problem` s);
:func:`plan` / :func:`read_plan` -> :class:`Plan` (its :class:`Action` s);
:func:`apply` -> :class:`Run` (its :class:`Result` s). Servers: :class:`Target`.
Errors: :class:`AcdloadError` and its subclasses, each with an ``exit_code``
(:class:`ExitCode`), a ``message`` and a ``hint``. Nothing prints; warnings go to the
``warn`` callback or the ``acdload`` logger. docs/python-api.md documents every name.

Only the names in ``__all__`` are the API. Every module below this package is private
and may move or change between releases.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from acdload.applying.applier import Result
    from acdload.applying.journal import JournalError, LockHeld
    from acdload.applying.run import Run, apply
    from acdload.check.load import Event, InvalidLoad, Load, load
    from acdload.errors import (
        AcdloadError,
        Cancelled,
        ExitCode,
        StalePlanError,
        TargetError,
        UsageProblem,
    )
    from acdload.outputs import OutputError
    from acdload.planning.make import Plan, plan, read_plan
    from acdload.planning.matching import Action
    from acdload.planning.open_events import AlreadyOpenError
    from acdload.problems import Location, Problem, Severity
    from acdload.target.resolve import Target

_PUBLIC = {
    "load": "acdload.check.load",
    "Load": "acdload.check.load",
    "Event": "acdload.check.load",
    "InvalidLoad": "acdload.check.load",
    "plan": "acdload.planning.make",
    "read_plan": "acdload.planning.make",
    "Plan": "acdload.planning.make",
    "Action": "acdload.planning.matching",
    "apply": "acdload.applying.run",
    "Run": "acdload.applying.run",
    "Result": "acdload.applying.applier",
    "Target": "acdload.target.resolve",
    "Problem": "acdload.problems",
    "Location": "acdload.problems",
    "Severity": "acdload.problems",
    "AcdloadError": "acdload.errors",
    "UsageProblem": "acdload.errors",
    "Cancelled": "acdload.errors",
    "TargetError": "acdload.errors",
    "StalePlanError": "acdload.errors",
    "ExitCode": "acdload.errors",
    "OutputError": "acdload.outputs",
    "LockHeld": "acdload.applying.journal",
    "JournalError": "acdload.applying.journal",
    "AlreadyOpenError": "acdload.planning.open_events",
}
"""Each public name and the module that holds it, imported on first use: ``import acdload``
(which every command does, ``validate`` in a pre-commit hook too) loads no stage, no HTTP
client and no emulator."""

__all__ = [
    "AcdloadError",
    "Action",
    "AlreadyOpenError",
    "Cancelled",
    "Event",
    "ExitCode",
    "InvalidLoad",
    "JournalError",
    "Load",
    "Location",
    "LockHeld",
    "OutputError",
    "Plan",
    "Problem",
    "Result",
    "Run",
    "Severity",
    "StalePlanError",
    "Target",
    "TargetError",
    "UsageProblem",
    "__version__",
    "apply",
    "load",
    "plan",
    "read_plan",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'acdload' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
