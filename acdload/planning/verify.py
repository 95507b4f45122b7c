"""Whether a saved plan may be applied: only while it is exactly what it says.

A plan file is a claim ("these creates, these payloads, nothing else"), and anyone who
can write the file can change the claim: turn an ``exists`` into a ``create`` (a
duplicate), edit a payload, add an event. So apply never trusts it. :func:`fresh_plan`
makes the plan again, from the manifests the plan names (loaded and validated as
``apply PATH...`` would) and the server's current list, and refuses the saved one unless
every action, key and payload is identical. What the reviewer read is then what is sent.

The staleness checks come first, because they say in familiar terms what changed: a
manifest (its files and hash), the target, the server's events for the planned keys
(their fingerprint). The recomputation is the proof; the checks are only fast answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acdload.errors import StalePlanError
from acdload.planning.expiry import Expiry
from acdload.planning.matching import Action, Plan, build_plan
from acdload.planning.records import Record, RecordIndex, index_of
from acdload.planning.saved import SavedPlan, content_hash, files_read
from acdload.reports.redact import redact
from acdload.safetext import escape, quote

if TYPE_CHECKING:
    from acdload.check.pipeline import Prepared

STALE = "stale plan: plan again"
DIFFERS = "the saved plan is not what its manifests and the server give now"
PLAN_AGAIN = (
    "nothing was sent; make the plan again (acdload plan PATH... --out PLANFILE), review it, "
    "and apply that one"
)
_ABSENT = object()


def _stale(hint: str) -> StalePlanError:
    return StalePlanError(STALE, hint=hint)


def _changed(what: str) -> StalePlanError:
    return _stale(f"the manifests changed since the plan was made: {what}")


def planned_paths(saved: SavedPlan) -> tuple[str, ...]:
    """The manifest paths the plan names, for the loader: each inside the directory apply
    runs in.

    Paths are relative to the directory plan ran in, and apply runs there too. A plan
    file must not reach further than that: a path outside it (``/proc/self/environ``,
    ``../secrets.yaml``) would be read and its content quoted in validation messages.
    """
    here = Path.cwd().resolve()
    for name in saved.manifests.paths:
        if not _inside(name, here):
            raise StalePlanError(
                f"the plan names {quote(name)}, which is not inside the directory apply runs "
                f"in ({here})",
                hint="a saved plan reads manifests only below the directory apply runs in; "
                "plan and apply from a directory that holds the manifests",
            )
        if not Path(name).exists():
            raise _changed(f"{escape(name)}: no such file or directory")
    return saved.manifests.paths


def _inside(name: str, here: Path) -> bool:
    """Whether ``name`` (symlinks followed) is ``here`` or below it."""
    if "\0" in name:
        return False
    try:
        return (here / name).resolve().is_relative_to(here)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False


def check_manifests(saved: SavedPlan, prepared: Prepared) -> None:
    """Refuse the plan when a manifest or CSV source was changed, added or removed.

    Only the files the load read are hashed: the plan's own list of files is compared
    with them, never opened (it could name any file).
    """
    read = files_read(prepared)
    recorded = saved.manifests.files
    known = set(recorded)
    added = [name for name in read if name not in known]
    if added:
        raise _changed(f"{escape(added[0])} is new")
    gone = set(recorded) - set(read)
    if gone:
        raise _changed(f"{escape(min(gone))} is no longer read")
    try:
        current = content_hash(read)
    except OSError as exc:
        raise _changed(f"cannot read {escape(str(exc.filename))} ({exc.strerror})") from None
    if current != saved.manifests.sha256 or tuple(read) != recorded:
        raise _stale("the manifests changed since the plan was made")


def check_target(saved: SavedPlan, target_label: str | None) -> None:
    """Refuse a plan made offline or for another target than the one apply would use."""
    if saved.plan.offline:
        raise _stale(
            "the plan was made with --offline, without reading the server; "
            "plan against the target before applying"
        )
    if saved.target != target_label:
        shown = escape(str(saved.target))
        raise _stale(f"the plan was made for {shown}, not for {target_label}")


def check_server(saved: SavedPlan, index: RecordIndex) -> None:
    """Refuse the plan when the server no longer holds what the plan saw for its keys.

    A planned create whose key now exists would be a duplicate; an ``exists`` or
    ``drift`` event that is gone would never be created. Other changes on the server
    (events of other keys, comments, statuses) do not matter to this plan. ``index`` is
    the server read for the load the plan names; a plan whose key fields are not that
    load's is left to the recomputation, which names the difference.
    """
    if index.key_fields != saved.plan.key_fields or index.fingerprint == saved.records_fingerprint:
        return
    for action in saved.plan.actions:
        where = f"{escape(action.file)}:{action.line}"
        if action.action in ("create", "expired"):  # neither is on the server
            found = index.match(action.payload)
            if found is not None:
                raise _stale(
                    f"the event planned as {action.action} at {where} now exists on the "
                    f"server (event {found.get('ID')})"
                )
        elif action.event_id not in index.ids:
            raise _stale(
                f"event {action.event_id}, planned as {action.action} at {where}, "
                "is no longer on the server"
            )


def fresh_plan(
    saved: SavedPlan,
    prepared: Prepared,
    records: RecordIndex | Iterable[Record] | None,
    target_label: str | None,
    *,
    redacted: bool = False,
    expiry: Expiry | None = None,
) -> Plan:
    """The plan made again from ``prepared`` (the load of :func:`planned_paths`, valid)
    and ``records`` (the server's current list, as ``read_server`` read it for
    ``prepared`` and ``saved.actions``); it is identical to ``saved``.

    Raises :class:`StalePlanError` (exit 1) otherwise: the hint names the first stale
    condition, or the message the first event that differs and how. ``redacted`` masks
    the phone numbers and e-mail addresses of the key it shows (``--redact``). ``expiry``
    is apply's (see :func:`build_plan`): a create whose appointment has passed since the
    plan was made is ``expired`` now, and apply sends less than was reviewed, never more.
    """
    check_manifests(saved, prepared)
    check_target(saved, target_label)
    index = index_of(prepared, records, saved.actions)
    if index is None:
        raise _stale("the server's events are needed to check a plan; none were read")
    check_server(saved, index)
    now = build_plan(prepared, index, target_label, expiry=expiry)
    difference = first_difference(saved.plan, now)
    if difference is not None:
        shown = redact(difference) if redacted else difference
        raise StalePlanError(f"{DIFFERS}: {shown}", hint=PLAN_AGAIN)
    return now


# -- the comparison --------------------------------------------------------------------


def _event(action: Action) -> str:
    """``file:line (key)``, escaped: both the plan file and the manifests are input."""
    key = " ".join(
        f"{escape(str(name))}={escape(str(value))}" for name, value in action.key.items()
    )
    return f"{escape(action.file)}:{action.line} ({key})"


def _key(action: Action) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(action.key.items(), key=lambda item: item[0]))


def _positions(actions: Sequence[Action]) -> dict[tuple[tuple[str, Any], ...], int]:
    positions: dict[tuple[tuple[str, Any], ...], int] = {}
    for number, action in enumerate(actions, 1):
        positions.setdefault(_key(action), number)
    return positions


def _payload_difference(mine: Mapping[str, Any], true: Mapping[str, Any]) -> str:
    for name in sorted(mine.keys() | true.keys()):
        planned, rendered = mine.get(name, _ABSENT), true.get(name, _ABSENT)
        if planned == rendered:
            continue
        field = f"payload field {escape(name)}"
        if rendered is _ABSENT:
            return f"{field} is in the plan, not in the manifests"
        if planned is _ABSENT:
            return f"{field} is in the manifests, not in the plan"
        return f"{field} differs from the manifests"
    return "the payload differs"


def _same_key_difference(mine: Action, true: Action) -> str:
    """How two actions for the same key differ (they do)."""
    if mine.action != true.action:
        found = "" if true.event_id is None else f" (event {true.event_id})"
        return f"action is {mine.action} in the plan, {true.action} now{found}"
    if mine.event_id != true.event_id:
        return f"the server event is {mine.event_id} in the plan, {true.event_id} now"
    if mine.payload != true.payload:
        return _payload_difference(mine.payload, true.payload)
    if mine.changes != true.changes:
        return "the drift the plan shows is not the drift now"
    return f"the plan places it at {escape(mine.file)}:{mine.line}, event {mine.index + 1}"


def _at(saved: Sequence[Action], now: Sequence[Action], number: int) -> str:
    """The first difference, at position ``number`` (from 1) of both lists."""
    mine, true = saved[number - 1], now[number - 1]
    if _key(mine) == _key(true):
        return f"{_event(true)}: {_same_key_difference(mine, true)}"
    planned = _positions(saved).get(_key(true))
    if planned is None:
        return f"{_event(true)}: this event is not in the plan"
    if _key(mine) not in _positions(now):
        return f"the plan's event {number}, {_event(mine)}, is not in the manifests"
    return (
        f"{_event(true)}: this event is at position {planned} in the plan, "
        f"{number} in the manifests"
    )


def _compared(action: Action, now: str) -> dict[str, Any]:
    """What must be equal in the saved plan and now: all but the open events noted (agents
    close events, which changes no action), and a create that has ``expired`` since the
    plan was made (``now``) counts as planned: apply sends less than was reviewed."""
    shown = action.as_dict()
    del shown["already_open"]
    if shown["action"] == "create" and now == "expired":
        shown["action"] = "expired"
    return shown


def first_difference(saved: Plan, now: Plan) -> str | None:
    """The first way ``saved`` is not ``now``, for a message; None when they are identical."""
    if saved.key_fields != now.key_fields:
        return (
            f"the plan's key is {escape(', '.join(saved.key_fields))}, "
            f"the manifests' is {', '.join(now.key_fields)}"
        )
    mine, true = saved.actions, now.actions
    for number, (planned, made) in enumerate(zip(mine, true, strict=False), 1):
        if _compared(planned, made.action) != _compared(made, made.action):
            return _at(mine, true, number)
    if len(mine) > len(true):
        extra = mine[len(true)]
        return f"the plan's event {len(true) + 1}, {_event(extra)}, is not in the manifests"
    if len(true) > len(mine):
        return f"{_event(true[len(mine)])}: this event is not in the plan"
    return None
