"""Saved plans (``acdload plan --out PLANFILE``) and the check that they still hold.

A saved plan lets a reviewer approve exactly what apply will send. It is only worth that
while the world it was computed from is unchanged, so it records that world: the
manifests' paths and content hash, the target, the key, and a fingerprint of the server
records. ``check_fresh`` refuses a plan when the manifests changed, when the target is
another one, or when the server's events for the planned keys are no longer what the plan
saw (a planned create's key now exists; an ``exists`` or ``drift`` event is gone).

Plan files hold the payloads, phone numbers included, so they are written readable by
their owner only (mode 0600). They never hold the token.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acdload.errors import StalePlanError, UsageProblem
from acdload.files import replace_private
from acdload.plan import ACTIONS, Action, Plan, Record, RecordIndex, key_function
from acdload.safetext import escape_json

if TYPE_CHECKING:
    from acdload.pipeline import Prepared

FORMAT = "acdload-plan"
VERSION = 1
STALE = "stale plan: plan again"


@dataclass(frozen=True, slots=True)
class ManifestDigest:
    """The manifests a plan was made from: as named, every file read, and their hash."""

    paths: tuple[str, ...]  # the PATH arguments, as given
    files: tuple[str, ...]  # every file read (manifests, then their CSV sources), in order
    sha256: str


def files_read(prepared: Prepared) -> list[str]:
    """Every file the load read, in reading order: each manifest, then its CSV source."""
    files: list[str] = []
    for manifest in prepared.load.manifests:
        for name in (manifest.display, manifest.csv_display):
            if name is not None and name not in files:
                files.append(name)
    return files


def content_hash(files: Iterable[str]) -> str:
    """sha256 over each file's name and bytes, in order (renaming a file changes it too).

    Raises ``OSError`` when a file cannot be read.
    """
    digest = hashlib.sha256()
    for name in files:
        data = Path(name).read_bytes()
        digest.update(f"{len(name)}:{name}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


def digest_manifests(paths: Sequence[str], prepared: Prepared) -> ManifestDigest:
    files = files_read(prepared)
    return ManifestDigest(tuple(paths), tuple(files), content_hash(files))


def records_fingerprint(records: Iterable[Record], key_fields: Sequence[str]) -> str:
    """sha256 over the (ID, key) of every server event, in ID order.

    Only what matching depends on goes in: a record's comments, status or timestamps
    change as agents work, and must not make a plan stale.
    """
    key_of = key_function(key_fields)
    rows = sorted(
        ([record.get("ID"), *key_of(record)] for record in records),
        key=lambda row: (0, row[0], "") if isinstance(row[0], int) else (1, 0, str(row[0])),
    )
    text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# -- writing ---------------------------------------------------------------------------


def plan_document(
    plan: Plan,
    manifests: ManifestDigest,
    records: Sequence[Record] | None,
    *,
    created: datetime | None = None,
) -> dict[str, Any]:
    """The JSON document ``--out`` writes; ``records`` None for an offline plan."""
    moment = created if created is not None else datetime.now(UTC)
    seen = None
    if records is not None:
        seen = {
            "count": len(records),
            "fingerprint": records_fingerprint(records, plan.key_fields),
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": moment.isoformat(timespec="seconds"),
        "target": plan.target,
        "offline": plan.offline,
        "manifests": {
            "paths": list(manifests.paths),
            "files": list(manifests.files),
            "sha256": manifests.sha256,
        },
        "key": list(plan.key_fields),
        "records": seen,
        "summary": plan.summary,
        "actions": [action.as_dict() for action in plan.actions],
    }


def save_plan(path: str | Path, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` atomically, readable by its owner only (0600).

    The file is created 0600 before a byte is written (no moment when others could read
    it), then renamed over ``path``, so a reader never sees half a plan. Like every file
    acdload writes it is scrubbed of credentials, with unsafe characters as JSON escapes
    (``acdload.files``); a failed write is an ``OutputError`` (exit 1).
    """
    text = escape_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
    replace_private(path, text, "--out")


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """A plan read back from a plan file, with what it was computed against."""

    plan: Plan
    created: str
    manifests: ManifestDigest
    records_count: int | None  # None: planned offline
    records_fingerprint: str | None

    @property
    def target(self) -> str | None:
        return self.plan.target

    @property
    def actions(self) -> list[Action]:
        return self.plan.actions

    @property
    def creates(self) -> list[Action]:
        """The events apply sends, in submission order."""
        return self.plan.of("create")


def _not_a_plan(path: str | Path, why: str) -> UsageProblem:
    return UsageProblem(
        f"{path} is not an acdload plan file: {why}",
        hint="make one with: acdload plan PATH... --out PLANFILE",
    )


def _action(item: Any) -> Action:
    if item["action"] not in ACTIONS:
        raise ValueError(f"unknown action {item['action']!r}")
    return Action(
        index=int(item["index"]),
        file=str(item["file"]),
        line=int(item["line"]),
        key=dict(item["key"]),
        action=item["action"],
        event_id=item["event_id"],
        changes={name: list(pair) for name, pair in item["changes"].items()},
        payload=dict(item["payload"]),
    )


def load_plan(path: str | Path) -> SavedPlan:
    """Read a plan file; a usage error (exit 2) when it is not one acdload can use."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageProblem(f"cannot read plan file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise _not_a_plan(path, f"not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _not_a_plan(path, f'no "format": "{FORMAT}"')
    if document.get("version") != VERSION:
        raise _not_a_plan(
            path, f"version {document.get('version')!r}; this acdload reads version {VERSION}"
        )
    try:
        manifests = document["manifests"]
        seen = document["records"]
        plan = Plan(
            target=document["target"],
            key_fields=tuple(document["key"]),
            actions=[_action(item) for item in document["actions"]],
            offline=bool(document["offline"]),
        )
        return SavedPlan(
            plan=plan,
            created=str(document["created"]),
            manifests=ManifestDigest(
                tuple(manifests["paths"]), tuple(manifests["files"]), str(manifests["sha256"])
            ),
            records_count=None if seen is None else int(seen["count"]),
            records_fingerprint=None if seen is None else str(seen["fingerprint"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _not_a_plan(path, f"damaged ({type(exc).__name__}: {exc})") from None


# -- staleness -------------------------------------------------------------------------


def _stale(hint: str) -> StalePlanError:
    return StalePlanError(STALE, hint=hint)


def check_manifests(saved: SavedPlan) -> None:
    """Refuse the plan when a manifest or CSV source was changed, added or removed.

    File names are relative to the directory plan ran in, so apply runs there too.
    """
    from acdload.loading import discover  # the loader's own notion of a directory's files

    recorded = set(saved.manifests.files)
    try:
        present = [name for name, _ in discover(list(saved.manifests.paths))]
    except UsageProblem as exc:
        raise _stale(f"the manifests changed since the plan was made: {exc.message}") from None
    added = [name for name in present if name not in recorded]
    if added:
        raise _stale(f"the manifests changed since the plan was made: {added[0]} is new")
    try:
        current = content_hash(saved.manifests.files)
    except OSError as exc:
        raise _stale(
            f"the manifests changed since the plan was made: cannot read {exc.filename} "
            f"({exc.strerror}); run apply in the directory where plan ran"
        ) from None
    if current != saved.manifests.sha256:
        raise _stale("the manifests changed since the plan was made")


def check_target(saved: SavedPlan, target_label: str | None) -> None:
    """Refuse a plan made offline or for another target than the one apply would use."""
    if saved.plan.offline:
        raise _stale(
            "the plan was made with --offline, without reading the server; "
            "plan against the target before applying"
        )
    if saved.target != target_label:
        raise _stale(f"the plan was made for {saved.target}, not for {target_label}")


def check_server(saved: SavedPlan, records: Iterable[Record]) -> None:
    """Refuse the plan when the server no longer holds what the plan saw for its keys.

    A planned create whose key now exists would be a duplicate; an ``exists`` or
    ``drift`` event that is gone would never be created. Other changes on the server
    (events of other keys, comments, statuses) do not matter to this plan.
    """
    listed = list(records)
    if (
        saved.records_fingerprint is not None
        and records_fingerprint(listed, saved.plan.key_fields) == saved.records_fingerprint
    ):
        return
    index = RecordIndex.build(listed, saved.plan.key_fields)
    ids = {record.get("ID") for record in listed}
    for action in saved.plan.actions:
        where = f"{action.file}:{action.line}"
        if action.action == "create":
            found = index.match(action.payload)
            if found is not None:
                raise _stale(
                    f"the event planned as create at {where} now exists on the server "
                    f"(event {found.get('ID')})"
                )
        elif action.event_id not in ids:
            raise _stale(
                f"event {action.event_id}, planned as {action.action} at {where}, "
                "is no longer on the server"
            )


def check_fresh(
    saved: SavedPlan, records: Iterable[Record] | None, target_label: str | None
) -> None:
    """Raise :class:`StalePlanError` (exit 1) unless ``saved`` can still be applied as is.

    ``records`` is the server's current list. The hint names the first condition found:
    the manifests, the target, or the server.
    """
    check_manifests(saved)
    check_target(saved, target_label)
    if records is None:
        raise _stale("the server's events are needed to check a plan; none were read")
    check_server(saved, records)
