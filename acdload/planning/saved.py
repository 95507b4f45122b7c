"""Saved plans (``acdload plan --out PLANFILE``): the document, writing it, reading it back.

A saved plan lets a reviewer approve exactly what apply will send. It records the world
it was computed from: the manifests' paths and content hash, the target, the key, and a
fingerprint of the server records. Reading one back checks its shape only: anyone who can
write the file can put anything in it, so whether it may be applied is decided by
:mod:`acdload.planning.verify`, which makes the plan again and compares.

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
from typing import TYPE_CHECKING, Any, TypeVar

from acdload.errors import UsageProblem
from acdload.outputs import replace_private
from acdload.planning.matching import ACTIONS, Action, Plan
from acdload.planning.records import Record, RecordIndex
from acdload.safetext import escape, escape_json, quote
from acdload.target.answers import valid_id

if TYPE_CHECKING:
    from acdload.check.pipeline import Prepared

FORMAT = "acdload-plan"
VERSION = 1
T = TypeVar("T")


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
    """The fingerprint of ``records`` (every one of them): see ``RecordIndex.fingerprint``."""
    return RecordIndex.build(records, key_fields).fingerprint


# -- writing ---------------------------------------------------------------------------


def plan_document(
    plan: Plan,
    manifests: ManifestDigest,
    server: RecordIndex | None,
    *,
    created: datetime | None = None,
) -> dict[str, Any]:
    """The JSON document ``--out`` writes; ``server`` (what the plan was made against, as
    ``read_server`` read it) None for an offline plan."""
    moment = created if created is not None else datetime.now(UTC)
    seen = None
    if server is not None:
        seen = {"count": server.count, "fingerprint": server.fingerprint}
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
    (``acdload.outputs``); a failed write is an ``OutputError`` (exit 1).
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
        f"{escape(str(path))} is not an acdload plan file: {why}",
        hint="make one with: acdload plan PATH... --out PLANFILE",
    )


class _Damaged(ValueError):
    """A plan document that is JSON but not of the plan's shape: where, and what is wrong."""


_KINDS = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    dict: "an object",
    list: "a list",
}
_SCALARS = (str, int, float, bool, type(None))


def _field(document: dict[str, Any], name: str, kind: type[T], where: str = "") -> T:
    """``document[name]``, which must be a ``kind`` (and an integer never a boolean).

    A plan file is input like any other: whoever can write it can put anything in it, so
    every value is checked before it is used, and a wrong one names its place.
    """
    if name not in document:
        raise _Damaged(f"{where}{name} is missing")
    value = document[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Damaged(f"{where}{name} is not {_KINDS[kind]}")
    return value


def _optional(document: dict[str, Any], name: str, kind: type[T], where: str = "") -> T | None:
    if document.get(name, 0) is None:
        return None
    return _field(document, name, kind, where)


def _strings(document: dict[str, Any], name: str, where: str = "") -> tuple[str, ...]:
    items = _field(document, name, list, where)
    if not all(isinstance(item, str) for item in items):
        raise _Damaged(f"{where}{name} is not a list of strings")
    return tuple(items)


def _action(item: object, number: int) -> Action:
    where = f"actions[{number}]."
    if not isinstance(item, dict):
        raise _Damaged(f"actions[{number}] is not an object")
    name = _field(item, "action", str, where)
    if name not in ACTIONS:
        raise _Damaged(f"{where}action is {quote(name)}, not one of {', '.join(ACTIONS)}")
    key = _field(item, "key", dict, where)
    if not all(isinstance(value, _SCALARS) for value in key.values()):
        raise _Damaged(f"{where}key holds a value that is not a string or number")
    changes = _field(item, "changes", dict, where)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in changes.values()):
        raise _Damaged(f"{where}changes is not a map of [server, manifest] pairs")
    already_open = item.get("already_open", [])  # absent in plans made before the rule
    if not isinstance(already_open, list) or None in map(valid_id, already_open):
        raise _Damaged(f"{where}already_open is not a list of event IDs")
    return Action(
        index=_field(item, "index", int, where),
        file=_field(item, "file", str, where),
        line=_field(item, "line", int, where),
        key=key,
        action=name,
        event_id=_optional(item, "event_id", int, where),
        changes=changes,
        payload=_field(item, "payload", dict, where),
        already_open=already_open,
    )


def _saved_plan(document: dict[str, Any]) -> SavedPlan:
    manifests = _field(document, "manifests", dict)
    paths = _strings(manifests, "paths", "manifests.")
    if not paths:
        raise _Damaged("manifests.paths is empty")
    seen = _optional(document, "records", dict)
    plan = Plan(
        target=_optional(document, "target", str),
        key_fields=_strings(document, "key"),
        actions=[_action(item, n) for n, item in enumerate(_field(document, "actions", list))],
        offline=_field(document, "offline", bool),
    )
    return SavedPlan(
        plan=plan,
        created=_field(document, "created", str),
        manifests=ManifestDigest(
            paths,
            _strings(manifests, "files", "manifests."),
            _field(manifests, "sha256", str, "manifests."),
        ),
        records_count=None if seen is None else _field(seen, "count", int, "records."),
        records_fingerprint=None if seen is None else _field(seen, "fingerprint", str, "records."),
    )


def load_plan(path: str | Path) -> SavedPlan:
    """Read a plan file; a usage error (exit 2) when it is not one acdload can use.

    Only its shape is checked here; whether its actions are still true is
    :func:`acdload.planning.verify.fresh_plan`'s question.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageProblem(f"cannot read plan file {path}: {exc.strerror}") from None
    except RecursionError:
        raise _not_a_plan(path, "not JSON (nested too deeply)") from None
    except ValueError as exc:  # invalid JSON or UTF-8, an integer too long to read
        raise _not_a_plan(path, f"not JSON ({escape(str(exc))})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _not_a_plan(path, f'no "format": "{FORMAT}"')
    if document.get("version") != VERSION:
        shown = escape(repr(document.get("version")))
        raise _not_a_plan(path, f"version {shown}; this acdload reads version {VERSION}")
    try:
        return _saved_plan(document)
    except _Damaged as exc:
        raise _not_a_plan(path, f"damaged ({exc})") from None
