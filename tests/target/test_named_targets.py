"""Named targets in ``acdload.toml`` / ``[tool.acdload]``, and which target wins.

Precedence: flags (``--base-url``, ``--target``, ``--emulator``, ``--offline``) > the
environment (``ACDLOAD_BASE_URL``, ``ACDLOAD_TARGET``) > the config's ``default_target``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from acdload.errors import UsageProblem
from acdload.target.config import Config, load_config
from acdload.target.resolve import Target, resolve_target
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator

STAGING = "https://staging.example.com/rest/v1.0/1000"
PROD = "https://jtel.example.com/rest/v1.0/1000"
FLAG_URL = "https://flag.example.com/rest/v1.0/7"
ENV_URL = "https://env.example.com/rest/v1.0/8"

CONFIG = f"""\
default_target = "staging"

[targets.staging]
base_url = "{STAGING}"
token_env = "STAGING_JTEL_TOKEN"

[targets.prod]
base_url = "{PROD}"
"""
TOKENS = {"STAGING_JTEL_TOKEN": "staging-token", "ACDLOAD_TOKEN": "generic-token"}


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def config_file(text: str = CONFIG, name: str = "acdload.toml") -> None:
    Path(name).write_text(text, encoding="utf-8")


def resolve(env: dict[str, str] | None = None, **flags: Any) -> Target:
    options: dict[str, Any] = {
        "base_url": None,
        "emulator": False,
        "offline": False,
        "token_file": None,
        "target": None,
    }
    options.update(flags)
    return resolve_target(environ={**TOKENS, **(env or {})}, **options)


def usage_error(env: dict[str, str] | None = None, **flags: Any) -> UsageProblem:
    with pytest.raises(UsageProblem) as caught:
        resolve(env, **flags)
    return caught.value


# Precedence of the target ------------------------------------------------------------


def test_the_config_default_target_is_used_when_nothing_else_names_one() -> None:
    config_file()
    target = resolve()
    assert (target.base_url, target.token, target.name) == (STAGING, "staging-token", "staging")


def test_acdload_base_url_beats_the_config() -> None:
    config_file()
    target = resolve({"ACDLOAD_BASE_URL": ENV_URL})
    assert (target.base_url, target.token, target.name) == (ENV_URL, "generic-token", None)


def test_acdload_target_beats_the_config_default() -> None:
    config_file()
    target = resolve({"ACDLOAD_TARGET": "prod"})
    assert (target.base_url, target.name) == (PROD, "prod")


def test_the_base_url_flag_beats_the_environment_and_the_config() -> None:
    config_file()
    target = resolve({"ACDLOAD_BASE_URL": ENV_URL, "ACDLOAD_TARGET": "prod"}, base_url=FLAG_URL)
    assert (target.base_url, target.token) == (FLAG_URL, "generic-token")


def test_the_target_flag_beats_the_environment_and_the_config() -> None:
    config_file()
    target = resolve({"ACDLOAD_BASE_URL": ENV_URL, "ACDLOAD_TARGET": "staging"}, target="prod")
    assert (target.base_url, target.name) == (PROD, "prod")


def test_emulator_and_offline_flags_beat_the_environment_and_the_config() -> None:
    config_file()
    env = {"ACDLOAD_BASE_URL": ENV_URL}
    assert resolve(env, emulator=True).kind == "emulator"
    assert resolve(env, offline=True).kind == "offline"


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        ({"base_url": FLAG_URL, "target": "prod"}, "--base-url and --target"),
        ({"target": "prod", "emulator": True}, "--target and --emulator"),
        ({"target": "prod", "offline": True}, "--target and --offline"),
    ],
)
def test_two_target_flags_are_a_usage_error(flags: dict[str, Any], named: str) -> None:
    config_file()
    assert usage_error(**flags).message == f"{named} cannot be used together; choose one target"


def test_both_target_variables_are_a_usage_error() -> None:
    error = usage_error({"ACDLOAD_BASE_URL": ENV_URL, "ACDLOAD_TARGET": "prod"})
    assert error.message == "ACDLOAD_BASE_URL and ACDLOAD_TARGET are both set; choose one target"


def test_configured_targets_without_a_default_are_listed_when_none_is_chosen() -> None:
    config_file(CONFIG.replace('default_target = "staging"\n', ""))
    error = usage_error()
    assert error.message == "no target: nothing says which jtel server to use"
    assert error.hint is not None and "acdload.toml: prod, staging" in error.hint


def test_no_config_and_no_target_is_the_usual_usage_error() -> None:
    error = usage_error()
    assert error.hint is not None and "--target NAME" in error.hint


# Tokens --------------------------------------------------------------------------------


def test_a_target_with_token_env_never_takes_acdload_token() -> None:
    """ACDLOAD_TOKEN may belong to another server: a target naming its variable uses only it."""
    config_file()
    env = {"STAGING_JTEL_TOKEN": ""}
    error = usage_error(env, target="staging")
    assert error.message == f"no token for {STAGING}"
    assert error.hint is not None and error.hint.startswith("set STAGING_JTEL_TOKEN,")


def test_a_target_without_token_env_takes_acdload_token() -> None:
    config_file()
    assert resolve(target="prod").token == "generic-token"


def test_token_file_beats_the_targets_variable() -> None:
    config_file()
    Path("token.txt").write_text("file-token\n", encoding="utf-8")
    assert resolve(target="staging", token_file="token.txt").token == "file-token"


# The config file -----------------------------------------------------------------------


def test_pyproject_tool_acdload_is_read() -> None:
    config_file(
        '[project]\nname = "loads"\n\n[tool.acdload]\ndefault_target = "prod"\n\n'
        f'[tool.acdload.targets.prod]\nbase_url = "{PROD}"\n',
        name="pyproject.toml",
    )
    config = load_config(Path.cwd())
    assert config.source == "pyproject.toml [tool.acdload]"
    assert config.default_target == "prod"
    assert resolve().base_url == PROD


def test_pyproject_without_tool_acdload_is_no_config() -> None:
    config_file('[project]\nname = "loads"\n', name="pyproject.toml")
    assert load_config(Path.cwd()) == Config()


def test_acdload_toml_wins_over_pyproject() -> None:
    config_file()
    config_file(
        f'[tool.acdload.targets.other]\nbase_url = "{PROD}"\n',
        name="pyproject.toml",
    )
    assert sorted(load_config(Path.cwd()).targets) == ["prod", "staging"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            CONFIG.replace("default_target", "default-target"),
            "acdload.toml: unknown key 'default-target' in the top level; "
            "did you mean 'default_target'?",
        ),
        (
            CONFIG.replace("token_env", "token"),
            "acdload.toml: unknown key 'token' in [targets.staging]; did you mean 'token_env'?",
        ),
        (
            CONFIG + "\n[target.other]\nbase_url = 'x'\n",
            "acdload.toml: unknown key 'target' in the top level; did you mean 'targets'?",
        ),
        (
            CONFIG.replace(f'base_url = "{PROD}"', 'url = "x"'),
            "acdload.toml: unknown key 'url' in [targets.prod]",
        ),
        (
            CONFIG.replace(f'base_url = "{PROD}"', ""),
            "acdload.toml: [targets.prod] needs a base_url",
        ),
        (
            CONFIG.replace('"STAGING_JTEL_TOKEN"', '"eyJhbGc.iOiJIUzI1NiJ9"'),
            "acdload.toml: token_env in [targets.staging] is not the name of an environment "
            "variable",
        ),
        (
            CONFIG.replace('"staging"', '"stagin"', 1),
            "acdload.toml: default_target stagin: unknown target; did you mean 'staging'?",
        ),
        ("targets = 3\n", "acdload.toml: [targets] must be a table, not int"),
        ("default_target = [\n", "acdload.toml: invalid TOML: "),
    ],
)
def test_config_mistakes_are_usage_errors(text: str, message: str) -> None:
    config_file(text)
    with pytest.raises(UsageProblem) as caught:
        load_config(Path.cwd())
    assert caught.value.message.startswith(message)


def test_pyproject_mistakes_name_the_table() -> None:
    config_file(
        "[tool.acdload.targets.prod]\nbase_url = 'x'\nbase-url = 'y'\n", name="pyproject.toml"
    )
    with pytest.raises(UsageProblem, match=r"in \[tool\.acdload\.targets\.prod\]; did you mean"):
        load_config(Path.cwd())


def test_an_unknown_target_lists_the_known_ones() -> None:
    config_file()
    error = usage_error(target="stagign")
    assert error.message == "--target stagign: unknown target; did you mean 'staging'?"
    assert error.hint == "the targets in acdload.toml are: prod, staging"


def test_a_target_without_a_config_says_so() -> None:
    error = usage_error(target="staging")
    assert "no targets are configured" in error.message


def test_a_broken_config_does_not_stop_a_run_that_does_not_use_it() -> None:
    config_file("this is not TOML")
    assert resolve(base_url=FLAG_URL).base_url == FLAG_URL
    assert resolve({"ACDLOAD_BASE_URL": ENV_URL}).base_url == ENV_URL
    with pytest.raises(UsageProblem, match="invalid TOML"):
        resolve(target="staging")


def test_a_configured_base_url_is_checked_like_a_flag() -> None:
    config_file(CONFIG.replace(STAGING, "https://staging.example.com/api"))
    assert "is not a jtel base URL" in usage_error().message


# Through the command line --------------------------------------------------------------


MANIFEST = """\
version: 1
defaults: {AcdEventTypesID: 6, AcdGroupsID: 235, Subject: "Ticket {{ UserData }}"}
events:
  - {Sender: info@example.com, UserData: "T-1"}
"""


def test_plan_and_apply_use_a_named_target(cli: Cli, emulator: RunningEmulator) -> None:
    config_file(
        f'[targets.local]\nbase_url = "{emulator.base_url}"\ntoken_env = "LOCAL_JTEL_TOKEN"\n'
    )
    Path("tickets.yaml").write_text(MANIFEST, encoding="utf-8")
    env = {"LOCAL_JTEL_TOKEN": emulator.token, "ACDLOAD_TOKEN": "not-this-one"}
    planned = cli("plan", "tickets.yaml", "--target", "local", "--timeout", "5", env=env)
    assert planned.exit_code == 0, planned.output
    assert planned.stdout.startswith(
        f"1 to create, 0 unchanged, 0 drifted (target: {emulator.base_url})"
    )
    applied = cli("apply", "tickets.yaml", "--yes", "--target", "local", env=env)
    assert applied.exit_code == 0, applied.output
    replanned = cli("plan", "tickets.yaml", env={**env, "ACDLOAD_TARGET": "local"})
    assert replanned.stdout.startswith("0 to create, 1 unchanged")


def test_base_url_with_target_on_the_command_line_exits_2(cli: Cli) -> None:
    config_file()
    Path("tickets.yaml").write_text(MANIFEST, encoding="utf-8")
    result = cli("plan", "tickets.yaml", "--base-url", FLAG_URL, "--target", "prod")
    assert result.exit_code == 2
    assert "--base-url and --target cannot be used together" in result.stderr


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_plan_and_apply_share_the_target_options(cli: Cli, command: str) -> None:
    shown = cli(command, "--help").stdout
    for option in (
        "--base-url",
        "--target",
        "--emulator",
        "--token-file",
        "--timeout",
        "--ca-bundle",
    ):
        assert option in shown


def test_a_missing_ca_bundle_is_a_usage_error(cli: Cli) -> None:
    Path("tickets.yaml").write_text(MANIFEST, encoding="utf-8")
    result = cli("plan", "tickets.yaml", "--base-url", FLAG_URL, "--ca-bundle", "nope.pem")
    assert result.exit_code == 2
    assert "'--ca-bundle'" in result.stderr
