"""A saved plan is applied only as it was planned: every edit of a plan file is refused.

Each case edits a real plan file (made by ``acdload plan --out`` against an emulator that
holds the first event of the manifest), runs the real ``acdload apply PLANFILE --yes``,
and checks what a user sees: exit 1, a message naming the first differing event, and not
one new event on the server. Adding an attack is adding a case to ``TAMPERINGS``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator
from tests.planning.helpers import (
    EVENTS,
    MANIFEST,
    NOW,
    PAYLOADS,
    against,
    create_on_server,
    server_records,
    write_manifest,
)

Document = dict[str, Any]
Tampering = Callable[[Document, Path], None]

OTHER = "other.yaml"
SECRET = "s3cr3t-do-not-print"
NOT_INSIDE = "which is not inside the directory apply runs in"


def exists_to_create(document: Document, folder: Path) -> None:
    document["actions"][0].update(action="create", event_id=None)


def payload_edited(document: Document, folder: Path) -> None:
    document["actions"][1]["payload"]["Subject"] = "Pay now at https://evil.example"


def payload_field_added(document: Document, folder: Path) -> None:
    document["actions"][1]["payload"]["nPriority"] = 9


def key_edited(document: Document, folder: Path) -> None:
    action = document["actions"][1]
    action["key"]["UserData"] = action["payload"]["UserData"] = "CB-9"


def event_added(document: Document, folder: Path) -> None:
    extra = json.loads(json.dumps(document["actions"][2]))
    extra.update(index=3, line=16)
    extra["key"]["UserData"] = extra["payload"]["UserData"] = "CB-4"
    document["actions"].append(extra)


def event_removed(document: Document, folder: Path) -> None:
    del document["actions"][1]


def order_swapped(document: Document, folder: Path) -> None:
    actions = document["actions"]
    actions[1], actions[2] = actions[2], actions[1]


def target_changed(document: Document, folder: Path) -> None:
    document["target"] = "https://jtel.example.com/rest/v1.0/1000"


def key_fields_edited(document: Document, folder: Path) -> None:
    document["key"] = ["Sender"]


def manifests_swapped_with_matching_hash(document: Document, folder: Path) -> None:
    """The plan names another manifest, with a hash an attacker can compute himself."""
    other = ['  - Sender: "+49 170 1234599"\n    UserData: "X-1"\n']
    write_manifest(folder, other, name=OTHER)
    data = (folder / OTHER).read_bytes()
    digest = hashlib.sha256(f"{len(OTHER)}:{OTHER}:{len(data)}:".encode() + data).hexdigest()
    document["manifests"] = {"paths": [OTHER], "files": [OTHER], "sha256": digest}


def _outside(folder: Path) -> Path:
    """A manifest beside the working directory, whose content must never be shown."""
    outside = folder.parent / "outside.yaml"
    outside.write_text(f"version: 1\n{SECRET}: 1\nevents: []\n", encoding="utf-8")
    return outside


def manifest_above(document: Document, folder: Path) -> None:
    _outside(folder)
    document["manifests"]["paths"] = ["../outside.yaml"]


def manifest_absolute(document: Document, folder: Path) -> None:
    document["manifests"]["paths"] = [str(_outside(folder))]


def manifest_through_a_symlink(document: Document, folder: Path) -> None:
    (folder / "link.yaml").symlink_to(_outside(folder))
    document["manifests"]["paths"] = ["link.yaml"]


def manifest_in_a_symlink_loop(document: Document, folder: Path) -> None:
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    document["manifests"]["paths"] = ["loop.yaml"]


TAMPERINGS: dict[str, tuple[Tampering, list[str]]] = {
    "exists-to-create": (
        exists_to_create,
        [f"{MANIFEST}:9", "UserData=CB-1", "action is create in the plan, exists now"],
    ),
    "payload-edited": (
        payload_edited,
        [f"{MANIFEST}:12", "UserData=CB-2", "payload field Subject differs"],
    ),
    "payload-field-added": (
        payload_field_added,
        [f"{MANIFEST}:12", "UserData=CB-2", "payload field nPriority"],
    ),
    "key-edited": (key_edited, [f"{MANIFEST}:12", "UserData=CB-2", "is not in the plan"]),
    "event-added": (event_added, [f"{MANIFEST}:16", "UserData=CB-4", "not in the manifests"]),
    "event-removed": (event_removed, [f"{MANIFEST}:12", "UserData=CB-2", "is not in the plan"]),
    "order-swapped": (
        order_swapped,
        [
            f"{MANIFEST}:12",
            "UserData=CB-2",
            "this event is at position 3 in the plan, 2 in the manifests",
        ],
    ),
    "target-changed": (target_changed, ["made for https://jtel.example.com/rest/v1.0/1000"]),
    "key-fields-edited": (key_fields_edited, ["the plan's key is Sender"]),
    "manifests-swapped": (
        manifests_swapped_with_matching_hash,
        [f"{OTHER}:9", "UserData=X-1", "is not in the plan"],
    ),
    "manifest-above": (manifest_above, ["'../outside.yaml'", NOT_INSIDE]),
    "manifest-absolute": (manifest_absolute, ["outside.yaml'", NOT_INSIDE]),
    "manifest-symlink": (manifest_through_a_symlink, ["'link.yaml'", NOT_INSIDE]),
    "manifest-symlink-loop": (manifest_in_a_symlink_loop, ["'loop.yaml'", NOT_INSIDE]),
}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory plan and apply run in, with the manifest of three callbacks."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    write_manifest(work)
    return work


def saved_plan(cli: Cli, emulator: RunningEmulator, *extra: str) -> Document:
    """A plan of the manifest against ``emulator``, its first event already there."""
    create_on_server(emulator, PAYLOADS[:1])
    options, env = against(emulator)
    result = cli("plan", MANIFEST, *options, "--out", "plan.json", *extra, "--now", NOW, env=env)
    assert result.exit_code == 0, result.output
    document: Document = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    assert [a["action"] for a in document["actions"]] == ["exists", "create", "create"]
    return document


def apply_plan(
    cli: Cli, emulator: RunningEmulator, document: Document | None, *extra: str
) -> Result:
    if document is not None:
        Path("plan.json").write_text(json.dumps(document), encoding="utf-8")
    options, env = against(emulator)
    return cli("apply", "plan.json", *options, "--yes", *extra, "--now", NOW, env=env)


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_a_tampered_plan_is_refused_and_nothing_is_sent(
    cli: Cli, name: str, emulator: RunningEmulator, folder: Path
) -> None:
    tamper, expected = TAMPERINGS[name]
    document = saved_plan(cli, emulator)
    tamper(document, folder)
    before = server_records(emulator)
    result = apply_plan(cli, emulator, document)
    assert result.exit_code == 1, result.output
    message = result.stderr
    assert "Traceback" not in message
    for text in expected:
        assert text in message
    assert "hint:" in message
    assert SECRET not in result.output
    assert server_records(emulator) == before  # not one event sent


def test_an_untampered_plan_still_applies(
    cli: Cli, emulator: RunningEmulator, folder: Path
) -> None:
    saved_plan(cli, emulator)
    result = apply_plan(cli, emulator, None, "--report", "report.json")
    assert result.exit_code == 0, result.output
    records = server_records(emulator)
    assert sorted(r["UserData"] for r in records) == ["CB-1", "CB-2", "CB-3"]
    report = json.loads(Path("report.json").read_text(encoding="utf-8"))
    assert [r["outcome"] for r in report["results"]] == ["exists", "created", "created"]


def test_a_redacted_refusal_masks_the_key(
    cli: Cli, emulator: RunningEmulator, folder: Path
) -> None:
    document = saved_plan(cli, emulator)
    exists_to_create(document, folder)
    result = apply_plan(cli, emulator, document, "--redact")
    assert result.exit_code == 1, result.output
    assert f"{MANIFEST}:9 (AcdEventTypesID=3 Sender=4917******01 UserData=CB-1)" in result.stderr
    assert "491701234501" not in result.output


def test_manifests_that_no_longer_validate_show_their_problems(
    cli: Cli, emulator: RunningEmulator, folder: Path
) -> None:
    saved_plan(cli, emulator)
    broken = '  - Sender: "not a number"\n    UserData: "CB-2"\n'
    write_manifest(folder, [EVENTS[0], broken, EVENTS[2]])
    before = server_records(emulator)
    result = apply_plan(cli, emulator, None)
    assert result.exit_code == 1, result.output
    assert f"{MANIFEST}:12:13: error" in result.stderr and "phone-format" in result.stderr
    assert server_records(emulator) == before


def test_the_plan_is_checked_as_apply_checks_manifests(
    cli: Cli, emulator: RunningEmulator, folder: Path
) -> None:
    """``--strict`` on apply PLANFILE turns a warning the plan accepted into an error
    (``--allow-past``: a past appointment is otherwise expired, not sent at all)."""
    past = (
        '  - Sender: "+49 170 1234502"\n    UserData: "CB-2"\n    dtAppointmentDate: "2026-01-05"\n'
    )
    write_manifest(folder, [EVENTS[0], past, EVENTS[2]])
    saved_plan(cli, emulator, "--allow-past")
    before = server_records(emulator)
    result = apply_plan(cli, emulator, None, "--strict", "--allow-past")
    assert result.exit_code == 1, result.output
    assert f"{MANIFEST}:14:" in result.stderr and "appointment-past" in result.stderr
    assert server_records(emulator) == before
    # The same plan, without --strict:
    assert apply_plan(cli, emulator, None, "--allow-past").exit_code == 0


def test_a_plan_of_a_manifest_now_gone_is_stale(
    cli: Cli, emulator: RunningEmulator, folder: Path
) -> None:
    saved_plan(cli, emulator)
    Path(MANIFEST).unlink()
    result = apply_plan(cli, emulator, None)
    assert result.exit_code == 1, result.output
    assert "stale plan" in result.stderr and f"{MANIFEST}: no such file" in result.stderr


DAMAGED: dict[str, Callable[[Document], Any]] = {
    "actions-not-a-list": lambda d: {**d, "actions": {"0": d["actions"][0]}},
    "action-not-an-object": lambda d: {**d, "actions": ["create"]},
    "line-not-an-integer": lambda d: {**d, "actions": [{**d["actions"][0], "line": "9"}]},
    "line-a-boolean": lambda d: {**d, "actions": [{**d["actions"][0], "line": True}]},
    "payload-not-an-object": lambda d: {**d, "actions": [{**d["actions"][0], "payload": []}]},
    "key-value-not-a-scalar": lambda d: {**d, "actions": [{**d["actions"][0], "key": {"a": []}}]},
    "unknown-action": lambda d: {**d, "actions": [{**d["actions"][0], "action": "delete"}]},
    "paths-a-string": lambda d: {**d, "manifests": {**d["manifests"], "paths": MANIFEST}},
    "no-paths": lambda d: {**d, "manifests": {**d["manifests"], "paths": []}},
    "key-not-strings": lambda d: {**d, "key": [1, 2]},
}


@pytest.mark.parametrize("name", list(DAMAGED))
def test_a_damaged_plan_file_is_a_clear_usage_error(
    cli: Cli, name: str, emulator: RunningEmulator, folder: Path
) -> None:
    document = DAMAGED[name](saved_plan(cli, emulator))
    before = server_records(emulator)
    result = apply_plan(cli, emulator, document)
    assert result.exit_code == 2, result.output
    assert "plan.json is not an acdload plan file: damaged" in result.stderr
    assert "Traceback" not in result.output
    assert server_records(emulator) == before


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[" * 100_000, "not JSON"),
        ('{"format": "acdload-plan", "version": 1, "x": ' + "9" * 5000 + "}", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
    ],
)
def test_a_plan_file_that_is_not_json_is_a_clear_usage_error(
    cli: Cli, text: str | bytes, why: str, emulator: RunningEmulator, folder: Path
) -> None:
    if isinstance(text, bytes):
        Path("plan.json").write_bytes(text)
    else:
        Path("plan.json").write_text(text, encoding="utf-8")
    result = apply_plan(cli, emulator, None)
    assert result.exit_code == 2, result.output
    assert f"plan.json is not an acdload plan file: {why}" in result.stderr
    assert "Traceback" not in result.output
