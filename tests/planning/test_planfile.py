"""Saved plans: the document, its round trip, mode 0600, and every staleness condition."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import pytest

from acdload.check.pipeline import CheckOptions, Prepared, prepare
from acdload.errors import StalePlanError, UsageProblem
from acdload.planning.saved import SavedPlan, load_plan, records_fingerprint
from acdload.planning.verify import fresh_plan, planned_paths
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

KEY = ("AcdEventTypesID", "Sender", "UserData")


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_manifest(tmp_path)


def save(
    run: Cli, emulator: RunningEmulator, *extra: str, paths: tuple[str, ...] = (MANIFEST,)
) -> Path:
    options, env = against(emulator)
    result = run("plan", *paths, *options, "--out", "plan.json", *extra, env=env)
    assert result.exit_code == 0, result.output
    return Path("plan.json")


def load(saved: SavedPlan) -> Prepared:
    """The load the plan names, as apply reads it."""
    return prepare(list(planned_paths(saved)), CheckOptions(now=datetime.fromisoformat(NOW)))


def stale_hint(emulator: RunningEmulator, path: Path, label: str | None = None) -> str:
    saved = load_plan(path)
    with pytest.raises(StalePlanError) as caught:
        fresh_plan(saved, load(saved), server_records(emulator), label or emulator.base_url)
    assert caught.value.message == "stale plan: plan again"
    assert caught.value.exit_code == 1
    assert caught.value.hint is not None
    return caught.value.hint


def test_plan_file_document_and_mode(run: Cli, emulator: RunningEmulator) -> None:
    ids = create_on_server(emulator, PAYLOADS[:1])
    path = save(run, emulator)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["format"] == "acdload-plan" and document["version"] == 1
    assert document["target"] == emulator.base_url
    assert document["manifests"]["paths"] == [MANIFEST]
    assert document["manifests"]["files"] == [MANIFEST]
    assert len(document["manifests"]["sha256"]) == 64
    assert document["key"] == list(KEY)
    assert document["records"] == {
        "count": 1,
        "fingerprint": records_fingerprint(server_records(emulator), KEY),
    }
    assert document["summary"] == {
        "create": 2,
        "exists": 1,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    assert [a["payload"] for a in document["actions"]] == PAYLOADS
    assert document["actions"][0]["event_id"] == ids[0]
    assert "created" in document


def test_plan_file_round_trips(run: Cli, emulator: RunningEmulator) -> None:
    create_on_server(emulator, PAYLOADS[:1])
    path = save(run, emulator)
    saved = load_plan(path)
    options, env = against(emulator)
    json_out = run("plan", MANIFEST, *options, "--format", "json", env=env)
    assert [a.as_dict() for a in saved.plan.actions] == json.loads(json_out.stdout)["actions"]
    assert saved.target == emulator.base_url
    assert [a.payload for a in saved.creates] == PAYLOADS[1:]
    again = fresh_plan(saved, load(saved), server_records(emulator), emulator.base_url)
    assert again.actions == saved.actions


def test_an_existing_plan_file_is_replaced_and_made_private(
    run: Cli, emulator: RunningEmulator
) -> None:
    Path("plan.json").write_text("old")
    Path("plan.json").chmod(0o644)
    path = save(run, emulator)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_plan(path).plan.summary["create"] == 3


def test_fresh_despite_unrelated_server_changes(run: Cli, emulator: RunningEmulator) -> None:
    path = save(run, emulator)
    other = {**PAYLOADS[0], "Sender": "491709999999", "Subject": "someone else"}
    create_on_server(emulator, [other])
    saved = load_plan(path)
    fresh_plan(saved, load(saved), server_records(emulator), emulator.base_url)


def test_stale_when_a_manifest_changed(run: Cli, emulator: RunningEmulator, tmp_path: Path) -> None:
    path = save(run, emulator)
    write_manifest(tmp_path, EVENTS[:2])
    assert "manifests changed" in stale_hint(emulator, path)


def test_stale_when_a_manifest_is_gone(run: Cli, emulator: RunningEmulator) -> None:
    path = save(run, emulator)
    Path(MANIFEST).unlink()
    assert "manifests changed" in stale_hint(emulator, path)


def test_stale_when_a_file_is_added_to_a_planned_directory(
    run: Cli, emulator: RunningEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "load"
    folder.mkdir()
    write_manifest(folder)
    path = save(run, emulator, paths=("load",))
    write_manifest(folder, ['  - Sender: "+49 170 1234509"\n    UserData: "X"\n'], name="more.yaml")
    assert "load/more.yaml is new" in stale_hint(emulator, path)


def test_stale_when_a_csv_source_changed(
    run: Cli, emulator: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "rows.csv").write_text("phone,ref\n+49 170 1234501,R-1\n")
    (tmp_path / "campaign.yaml").write_text(
        "version: 1\n"
        "defaults: {AcdEventTypesID: 3, AcdGroupsID: 235}\n"
        "templates: {Subject: 'Call {{ Sender }}'}\n"
        "source: {path: rows.csv, columns: {phone: Sender, ref: UserData}}\n"
    )
    path = save(run, emulator, paths=("campaign.yaml",))
    assert load_plan(path).manifests.files == ("campaign.yaml", "rows.csv")
    (tmp_path / "rows.csv").write_text("phone,ref\n+49 170 1234501,R-2\n")
    assert "manifests changed" in stale_hint(emulator, path)


def test_stale_for_another_target(run: Cli, emulator: RunningEmulator) -> None:
    path = save(run, emulator)
    other = "https://jtel.example.com/rest/v1.0/1000"
    hint = stale_hint(emulator, path, label=other)
    assert f"made for {emulator.base_url}, not for {other}" in hint


def test_stale_when_a_planned_create_now_exists(run: Cli, emulator: RunningEmulator) -> None:
    path = save(run, emulator)
    ids = create_on_server(emulator, PAYLOADS[1:2])
    hint = stale_hint(emulator, path)
    assert f"planned as create at {MANIFEST}:12 now exists on the server (event {ids[0]})" in hint


def test_stale_when_an_exists_event_is_gone(run: Cli, emulator: RunningEmulator) -> None:
    ids = create_on_server(emulator, PAYLOADS[:1])
    path = save(run, emulator)
    saved = load_plan(path)
    with pytest.raises(StalePlanError) as caught:
        fresh_plan(saved, load(saved), [], emulator.base_url)  # the server lost every event
    assert f"event {ids[0]}, planned as exists at {MANIFEST}:9, is no longer" in str(
        caught.value.hint
    )


def test_offline_plan_cannot_be_applied(run: Cli) -> None:
    result = run("plan", MANIFEST, "--offline", "--out", "plan.json")
    assert result.exit_code == 0
    saved = load_plan("plan.json")
    assert saved.plan.offline and saved.records_fingerprint is None
    with pytest.raises(StalePlanError) as caught:
        fresh_plan(saved, load(saved), [], "https://jtel.example.com/rest/v1.0/1000")
    assert "--offline" in str(caught.value.hint)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("not json", "not JSON"),
        ('{"format": "something-else"}', '"format": "acdload-plan"'),
        ('{"format": "acdload-plan", "version": 99}', "version 99"),
        ('{"format": "acdload-plan", "version": 1}', "damaged"),
    ],
)
def test_a_file_that_is_not_a_plan_is_a_usage_error(text: str, why: str) -> None:
    Path("bad.json").write_text(text)
    with pytest.raises(UsageProblem) as caught:
        load_plan("bad.json")
    assert why in caught.value.message


def test_out_into_a_missing_directory_is_a_usage_error(run: Cli) -> None:
    result = run("plan", MANIFEST, "--offline", "--out", "no/such/dir/plan.json")
    assert result.exit_code == 2
    assert "cannot write --out" in result.stderr
