"""``acdload.plan`` and ``acdload.read_plan``: a plan of a load against a target.

A :class:`Plan` is the matching's plan (one action per event) together with the load it
was made from, so that :func:`acdload.apply` can prove it is still true before it sends
anything: apply makes it again under the target's lock, from the same load and the
server's list read then, and refuses it unless every action, key and payload is the
same (exactly what ``acdload apply PLANFILE`` does with a saved plan).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from acdload.callbacks import Warn, log_warning
from acdload.check.load import Load, PathArg, load, require_valid
from acdload.errors import UsageProblem
from acdload.outputs import check_output_paths
from acdload.planning import matching
from acdload.planning.expiry import expiry_of
from acdload.planning.open_events import already_open_problems
from acdload.planning.records import read_server
from acdload.planning.saved import (
    ManifestDigest,
    SavedPlan,
    digest_manifests,
    load_plan,
    plan_document,
    save_plan,
)
from acdload.planning.verify import planned_paths
from acdload.problems import Problem
from acdload.target.event_list import ListProgress
from acdload.target.open import open_client, tls_verify
from acdload.target.resolve import Target


@dataclass(slots=True)
class Plan(matching.Plan):
    """What apply would do with each event of ``load`` on ``target`` (its label; None
    offline): ``actions`` in submission order, ``summary`` counts per action, ``pending``
    when there is something to create, ``timings`` of the stages, ``problems`` what the
    server's side showed (``already-open``, at the load's severity for it)."""

    load: Load = field(kw_only=True, repr=False, compare=False)
    timings: dict[str, float] = field(default_factory=dict, kw_only=True, compare=False)
    """Seconds: ``list`` (reading the server's events; 0 offline) and ``match``."""
    problems: list[Problem] = field(default_factory=list, kw_only=True, compare=False)
    _saved: SavedPlan | None = field(default=None, kw_only=True, repr=False, compare=False)
    """The plan as a plan file records it: what apply checks the plan against."""


def public_plan(made: matching.Plan, loaded: Load, saved: SavedPlan | None = None) -> Plan:
    """``made`` with the load it was made from (and, when known, its record)."""
    values = {f.name: getattr(made, f.name) for f in fields(matching.Plan)}
    return Plan(**values, load=loaded, _saved=saved)


def saved_form(made: Plan, digest: ManifestDigest | None = None) -> SavedPlan:
    """The record of ``made`` that apply verifies it against: its manifests' digest
    (``digest``, else taken now) and no server fingerprint (so apply compares the planned
    keys with the server's events one by one)."""
    if made._saved is not None:
        return made._saved
    return SavedPlan(
        plan=made,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        manifests=digest or digest_manifests(made.load.paths, made.load._prepared),
        records_count=None,
        records_fingerprint=None,
    )


def plan(
    loaded: Load,
    target: Target | None,
    *,
    timeout: float = 30.0,
    ca_bundle: PathArg | None = None,
    out: PathArg | None = None,
    warn: Warn | None = None,
    list_progress: ListProgress | None = None,
    allow_past: bool = False,
    now: datetime | None = None,
) -> Plan:
    """The plan of a valid load against ``target``'s events: create, exists, drift, or
    expired (a create whose appointment has passed: as of ``now``, else the clock; none
    with ``allow_past``).

    ``target`` None plans offline (nothing is read; every event is a create). ``out``
    also saves the plan to that file (mode 0600) for ``acdload apply PLANFILE`` or
    :func:`read_plan`. ``timeout`` (seconds per request) and ``ca_bundle`` are how the
    server is read; ``warn`` receives warnings (default: the ``acdload`` logger);
    ``list_progress(bytes_read, records_read)`` hears how the read of the server's list
    goes (it streams: a large account's list takes most of a minute). A create whose
    customer has open events on the server lists them (``action.already_open``), and
    ``plan.problems`` holds an ``already-open`` problem for each, at the severity the
    load gives the rule (its ``checks:``, or an error when loaded with ``strict``).

    Raises :class:`InvalidLoad` for a load with errors (nothing is read),
    :class:`UsageProblem` for a bad option or ``out`` path, :class:`TargetError` when
    the server cannot be used.
    """
    check_timeout(timeout)
    require_valid(loaded, "read from the server")
    if out is not None:
        check_output_paths({"--out": os.fspath(out)})
    started = time.perf_counter()
    prepared = loaded._prepared
    with open_client(
        target, timeout=timeout, verify=tls_verify(ca_bundle), on_warning=warn or log_warning
    ) as client:
        records = None if client is None else read_server(client, prepared, list_progress)
    listed = time.perf_counter()
    label = target.label if target else None
    expiry = expiry_of(now, allow_past)
    made = public_plan(matching.build_plan(prepared, records, label, expiry=expiry), loaded)
    made.problems = already_open_problems(made.actions, prepared.load.events, loaded.strict)
    made.timings = {"list": listed - started, "match": time.perf_counter() - listed}
    # The manifests' digest as they are now: apply refuses the plan if they change.
    digest = digest_manifests(loaded.paths, prepared)
    if out is not None:
        save_plan(Path(out), plan_document(made, digest, records))
    made._saved = saved_form(made, digest)
    return made


def read_plan(
    path: PathArg,
    *,
    strict: bool = False,
    now: datetime | None = None,
    phone_region: str | None = None,
    root: PathArg | None = None,
    jobs: int | None = None,
) -> Plan:
    """A plan saved by ``acdload plan --out`` (or ``plan(..., out=)``), with its manifests
    loaded again with the options given (those of :func:`acdload.load`).

    Its actions are what the file says; the file may have been edited, so
    :func:`acdload.apply` proves them against the manifests and the server before it
    sends anything. The manifests are read from the directory this process runs in: a
    plan naming a path outside it raises :class:`StalePlanError`; a file that is not a
    plan raises :class:`UsageProblem`. Check ``plan.load.valid`` before applying.
    """
    saved = load_plan(Path(path))
    loaded = load(
        planned_paths(saved),
        strict=strict,
        now=now,
        phone_region=phone_region,
        root=root,
        jobs=jobs,
    )
    return public_plan(saved.plan, loaded, saved)


def check_timeout(timeout: float) -> None:
    """The shortest wait the command line accepts (``--timeout``) holds here too."""
    if isinstance(timeout, bool) or not timeout >= 0.05:
        raise UsageProblem(f"timeout={timeout!r}: give seconds, 0.05 or more")
