"""``acdload plan`` end to end against the emulator, through click's runner."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from acdload.emulator import Emulator, EmulatorConfig
from acdload.target.embedded import EMULATOR_TOKEN
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator
from tests.planning.helpers import (
    EVENTS,
    LINES,
    MANIFEST,
    PAYLOADS,
    against,
    create_on_server,
    plan_json,
    write_manifest,
)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Manifests are named relative to tmp_path, and --emulator keeps its state there."""
    monkeypatch.chdir(tmp_path)
    write_manifest(tmp_path)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without the waits between them, so an unreachable server fails fast."""
    monkeypatch.setattr("acdload.target.client._backoff", lambda *args, **kwargs: None)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_empty_server_plans_every_event_as_create(run: Cli, emulator: RunningEmulator) -> None:
    options, env = against(emulator)
    result, document = plan_json(run, MANIFEST, *options, env=env)
    assert result.exit_code == 0, result.output
    assert document["target"] == emulator.base_url
    assert document["summary"] == {
        "create": 3,
        "exists": 0,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    assert document["actions"] == [
        {
            "index": index,
            "file": MANIFEST,
            "line": LINES[index],
            "key": {
                "AcdEventTypesID": 3,
                "Sender": payload["Sender"],
                "UserData": payload["UserData"],
            },
            "action": "create",
            "event_id": None,
            "changes": {},
            "payload": payload,
            "already_open": [],
        }
        for index, payload in enumerate(PAYLOADS)
    ]


def test_events_created_through_the_api_plan_as_exists(run: Cli, emulator: RunningEmulator) -> None:
    ids = create_on_server(emulator, PAYLOADS)
    options, env = against(emulator)
    result, document = plan_json(run, MANIFEST, *options, env=env)
    assert result.exit_code == 0, result.output
    assert document["summary"] == {
        "create": 0,
        "exists": 3,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    assert [a["event_id"] for a in document["actions"]] == ids
    assert all(a["changes"] == {} for a in document["actions"])


def test_changed_subject_is_drift_with_the_difference(
    run: Cli, emulator: RunningEmulator, tmp_path: Path
) -> None:
    ids = create_on_server(emulator, PAYLOADS)
    write_manifest(tmp_path, [EVENTS[0], EVENTS[1] + '    Subject: "Call Jonas"\n', EVENTS[2]])
    options, env = against(emulator)
    result, document = plan_json(run, MANIFEST, *options, env=env)
    assert result.exit_code == 0, result.output
    assert document["summary"] == {
        "create": 0,
        "exists": 2,
        "drift": 1,
        "expired": 0,
        "already_open": 0,
    }
    drift = document["actions"][1]
    assert (drift["action"], drift["event_id"]) == ("drift", ids[1])
    assert drift["changes"] == {"Subject": ["Callback request from 491701234502", "Call Jonas"]}

    text = run("plan", MANIFEST, *options, env=env)
    assert text.exit_code == 0
    assert text.stdout.splitlines()[1:] == [
        f"~ drift  {MANIFEST}:12  AcdEventTypesID=3 Sender=491701234502 UserData=CB-2  "
        f'"Call Jonas"  (event {ids[1]})',
        '      Subject: "Callback request from 491701234502" -> "Call Jonas"',
    ]


def test_detailed_exitcode_is_4_with_creates_pending_and_0_without(
    run: Cli, emulator: RunningEmulator, tmp_path: Path
) -> None:
    options, env = against(emulator)
    assert run("plan", MANIFEST, *options, "--detailed-exitcode", env=env).exit_code == 4
    create_on_server(emulator, PAYLOADS)
    assert run("plan", MANIFEST, *options, "--detailed-exitcode", env=env).exit_code == 0
    write_manifest(tmp_path, [EVENTS[0] + '    Subject: "changed"\n', *EVENTS[1:]])
    drifted = run("plan", MANIFEST, *options, "--detailed-exitcode", env=env)
    assert "0 to create, 2 unchanged, 1 drifted" in drifted.stdout
    assert drifted.exit_code == 0  # drift alone is not a pending change


def test_offline_plans_everything_as_create_without_a_server(run: Cli) -> None:
    result, document = plan_json(run, MANIFEST, "--offline")
    assert result.exit_code == 0, result.output
    assert document["target"] is None
    assert document["summary"] == {
        "create": 3,
        "exists": 0,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    text = run("plan", MANIFEST, "--offline", "--detailed-exitcode")
    assert text.exit_code == 4
    assert text.stdout.startswith(
        "3 to create, 0 unchanged, 0 drifted (offline: the server was not read)\n"
    )


def test_emulator_keeps_its_state_in_the_current_directory(run: Cli, tmp_path: Path) -> None:
    first, document = plan_json(run, MANIFEST, "--emulator")
    assert first.exit_code == 0, first.output
    state = tmp_path / ".acdload"
    assert document["target"] == f"emulator:{state}"
    assert document["summary"]["create"] == 3
    token_file = state / EMULATOR_TOKEN
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "emulator.db").stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert token not in first.output

    # Something else creates the events on the same emulator state (apply, later) ...
    config = EmulatorConfig(host="127.0.0.1", port=0, db=state / "emulator.db", token=token)
    with Emulator(config) as emulator:
        handle = RunningEmulator(emulator.base_url, token, 1000, config.db, emulator)
        create_on_server(handle, PAYLOADS[:2])
    # ... and the next --emulator run sees them.
    second, document = plan_json(run, MANIFEST, "--emulator")
    assert second.exit_code == 0, second.output
    assert document["summary"] == {
        "create": 1,
        "exists": 2,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    assert token_file.read_text().strip() == token


def test_token_from_a_file_never_appears_in_output_or_plan_file(
    run: Cli, emulator: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text(emulator.token + "\n")
    args = [MANIFEST, "--base-url", emulator.base_url, "--token-file", "token", "--out", "p.json"]
    for output_format in ("text", "json", "markdown"):
        result = run("plan", *args, "--format", output_format, "-v")
        assert result.exit_code == 0, result.output
        assert emulator.token not in result.output
        assert emulator.token not in (tmp_path / "p.json").read_text()


def test_wrong_token_is_exit_3_with_a_message(run: Cli, emulator: RunningEmulator) -> None:
    result = run("plan", MANIFEST, "--base-url", emulator.base_url, env={"ACDLOAD_TOKEN": "nope"})
    assert result.exit_code == 3
    assert "refused the token (HTTP 401" in result.stderr
    assert "ACDLOAD_TOKEN or --token-file" in result.stderr
    assert result.stdout == ""


def test_wrong_base_url_is_exit_3_with_a_message(run: Cli, emulator: RunningEmulator) -> None:
    wrong = emulator.base_url.replace("/rest/", "/jtel/rest/")
    result = run("plan", MANIFEST, "--base-url", wrong, env={"ACDLOAD_TOKEN": emulator.token})
    assert result.exit_code == 3
    assert "404 with an empty body" in result.stderr
    assert "/rest/v1.0/CLIENTSID" in result.stderr


@pytest.mark.usefixtures("no_backoff")
def test_server_down_is_exit_3_with_a_message(run: Cli) -> None:
    url = f"http://127.0.0.1:{closed_port()}/rest/v1.0/1000"
    result = run("plan", MANIFEST, "--base-url", url, env={"ACDLOAD_TOKEN": "t"})
    assert result.exit_code == 3
    assert f"cannot reach {url}" in result.stderr


def test_base_url_from_the_environment(run: Cli, emulator: RunningEmulator) -> None:
    env = {"ACDLOAD_BASE_URL": emulator.base_url, "ACDLOAD_TOKEN": emulator.token}
    result, document = plan_json(run, MANIFEST, env=env)
    assert result.exit_code == 0, result.output
    assert document["target"] == emulator.base_url


def test_no_target_is_a_usage_error_naming_the_ways_to_give_one(run: Cli) -> None:
    result = run("plan", MANIFEST)
    assert result.exit_code == 2
    for name in ("--base-url", "ACDLOAD_BASE_URL", "--emulator", "--offline"):
        assert name in result.stderr


def test_two_targets_are_a_usage_error(run: Cli) -> None:
    result = run("plan", MANIFEST, "--offline", "--emulator")
    assert result.exit_code == 2
    assert "cannot be used together" in result.stderr


@pytest.mark.usefixtures("no_backoff")
def test_invalid_manifest_is_exit_1_and_nothing_is_fetched(run: Cli, tmp_path: Path) -> None:
    write_manifest(tmp_path, [EVENTS[0], '  - Sender: "+49 170 1234502"\n    Bogus: 1\n'])
    # A fetch would fail with exit 3 (nothing listens there), and --emulator would
    # leave its state behind: exit 1 and no state prove nothing was asked.
    url = f"http://127.0.0.1:{closed_port()}/rest/v1.0/1000"
    result = run("plan", MANIFEST, "--base-url", url, env={"ACDLOAD_TOKEN": "t"})
    assert result.exit_code == 1
    assert f"{MANIFEST}:13" in result.stderr and "Bogus" in result.stderr
    assert result.stdout == ""
    assert run("plan", MANIFEST, "--emulator").exit_code == 1
    assert not (tmp_path / ".acdload").exists()


def test_missing_manifest_is_a_usage_error(run: Cli) -> None:
    assert run("plan", "nothing.yaml", "--offline").exit_code == 2


def test_redact_masks_numbers_in_text_and_markdown_but_not_json(
    run: Cli, emulator: RunningEmulator, tmp_path: Path
) -> None:
    create_on_server(emulator, PAYLOADS[:1])
    write_manifest(tmp_path, [EVENTS[0] + '    Subject: "Call 491701234599"\n', *EVENTS[1:]])
    options, env = against(emulator)
    for output_format in ("text", "markdown"):
        result = run("plan", MANIFEST, *options, "--redact", "--format", output_format, env=env)
        assert result.exit_code == 0
        for number in ("491701234501", "491701234502", "491701234503", "491701234599"):
            assert number not in result.output
        assert "4917******02" in result.stdout
        assert "4917******99" in result.stdout  # the drifted Subject too
    result, document = plan_json(run, MANIFEST, *options, "--redact", env=env)
    assert document["actions"][1]["payload"]["Sender"] == "491701234502"


def test_redact_masks_validation_warnings_too(run: Cli, tmp_path: Path) -> None:
    write_manifest(tmp_path, [EVENTS[0] + '    Receiver: "+49 199 00112233"\n'])
    result = run("plan", MANIFEST, "--offline", "--redact")
    assert result.exit_code == 0
    assert "warning" in result.stderr
    assert "4919900112233" not in result.output


def test_verbose_lists_unchanged_events(run: Cli, emulator: RunningEmulator) -> None:
    create_on_server(emulator, PAYLOADS[:1])
    options, env = against(emulator)
    quiet = run("plan", MANIFEST, *options, env=env).stdout.splitlines()
    loud = run("plan", MANIFEST, *options, "--verbose", env=env).stdout.splitlines()
    assert len(quiet) == 3 and not any(line.startswith("= exists") for line in quiet)
    assert len(loud) == 4 and loud[1].startswith(f"= exists {MANIFEST}:9 ")


def test_no_colour_outside_a_terminal_and_with_no_color(
    run: Cli, emulator: RunningEmulator
) -> None:
    options, env = against(emulator)
    result = run("plan", MANIFEST, *options, env=env)
    assert "\x1b[" not in result.output


def test_help_explains_with_an_example(run: Cli) -> None:
    result = run("plan", "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "acdload plan examples/ --emulator" in result.stdout
    for option in (
        "--base-url",
        "--emulator",
        "--offline",
        "--token-file",
        "--out",
        "--detailed-exitcode",
        "--redact",
        "--verbose",
        "--strict",
        "--format",
    ):
        assert option in result.stdout
