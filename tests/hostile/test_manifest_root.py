"""A manifest must not read outside its repository (issue #10).

The attacker writes manifests in a pull request; CI runs acdload on them in a checkout
whose ``.git/config`` holds a credential and whose environment holds the token. Each test
is one way a manifest tried to read something else, run through the real command line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import Result

from tests.cli.support import run_acdload
from tests.cli_runner import Cli
from tests.hostile.server import HostileServer, list_answer, send_json

SECRET = "eC1hY2Nlc3MtdG9rZW46Z2hzX2NvbmZpbmU="
TOKEN = "tok-confine-0123456789-environ"
GIT_CONFIG = (  # as actions/checkout leaves it
    '[core]\n\trepositoryformatversion = 0\n[http "https://github.com/"]\n'
    f"\textraheader = AUTHORIZATION: basic {SECRET}\n"
)
HINT = "move the file inside the root, or pass --root DIR"


def manifest(path: str, header: str = "[core]", delimiter: str = "|") -> str:
    """A PR author's manifest whose ``source`` reads ``path``, each line a Subject."""
    return (
        "version: 1\n"
        "defaults: {AcdEventTypesID: 6, AcdGroupsID: 235, Sender: info@example.com}\n"
        'templates: {UserData: "row {{ index }}"}\n'
        "source:\n"
        f"  path: {json.dumps(path)}\n"
        f"  delimiter: {json.dumps(delimiter)}\n"
        f"  columns: {{{json.dumps(header)}: Subject}}\n"
    )


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CI checkout with a credential in .git/config and a manifests/ folder; the
    working directory."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(GIT_CONFIG, encoding="utf-8")
    (tmp_path / "manifests").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(result: Result | str, where: str, why: str) -> str:
    """The output, after checking it reports the source at ``where`` as ``why``."""
    text = result if isinstance(result, str) else result.output
    assert f"{where}: error: source path " in text, text
    assert why in text and HINT in text and "[source-outside-root]" in text, text
    assert SECRET not in text and TOKEN not in text
    assert "Traceback" not in text
    return text


def test_proc_self_environ_split_at_equals_never_shows_the_token(checkout: Path) -> None:
    (checkout / "manifests" / "env.yaml").write_text(
        manifest("/proc/self/environ", header="ACDLOAD_TOKEN", delimiter="="), encoding="utf-8"
    )
    result = run_acdload(
        "validate", "manifests/env.yaml", cwd=checkout, env={"ACDLOAD_TOKEN": TOKEN}
    )
    assert TOKEN not in result.stdout + result.stderr
    assert result.returncode == 1
    refused(
        result.stdout + result.stderr,
        "manifests/env.yaml:5:9",
        "'/proc/self/environ' is absolute: a manifest reads files only inside its root "
        "(manifests, the manifest's directory)",
    )


def test_git_config_never_reaches_a_redacted_markdown_plan(cli: Cli, checkout: Path) -> None:
    (checkout / "manifests" / "campaign.yaml").write_text(
        manifest("../.git/config"), encoding="utf-8"
    )
    result = cli("plan", "manifests/campaign.yaml", "--offline", "--format", "markdown", "--redact")
    assert SECRET not in result.output
    assert result.exit_code == 1
    assert result.stdout == ""  # no plan, no rendered Subject
    refused(
        result,
        "manifests/campaign.yaml:5:9",
        "'../.git/config' leads outside the manifest root (manifests, the manifest's directory)",
    )


def test_a_symlink_out_of_the_root_is_not_followed(cli: Cli, checkout: Path) -> None:
    (checkout / "manifests" / "rows.csv").symlink_to(checkout / ".git" / "config")
    (checkout / "manifests" / "campaign.yaml").write_text(manifest("rows.csv"), encoding="utf-8")
    result = cli("render", "manifests/campaign.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    refused(
        result,
        "manifests/campaign.yaml:5:9",
        "'rows.csv' is a symbolic link that leads outside the manifest root",
    )


def test_an_absolute_path_is_refused_even_into_the_root(cli: Cli, checkout: Path) -> None:
    rows = checkout / "manifests" / "rows.csv"
    rows.write_text("[core]\nSubject\n", encoding="utf-8")
    (checkout / "manifests" / "campaign.yaml").write_text(manifest(str(rows)), encoding="utf-8")
    result = cli("validate", "manifests/campaign.yaml")
    assert result.exit_code == 1
    refused(result, "manifests/campaign.yaml:5:9", "is absolute")


@pytest.mark.parametrize("command", ["validate", "render", "plan", "apply"])
def test_the_root_lets_a_manifest_read_in_the_repository_and_no_further(
    cli: Cli, checkout: Path, command: str
) -> None:
    (checkout / "data").mkdir()
    (checkout / "data" / "rows.csv").write_text("[core]\nCall back\n", encoding="utf-8")
    (checkout / "manifests" / "campaign.yaml").write_text(
        manifest("../data/rows.csv"), encoding="utf-8"
    )
    (checkout / "manifests" / "secret.yaml").write_text(
        manifest("../../outside.csv"), encoding="utf-8"
    )
    (checkout.parent / "outside.csv").write_text("[core]\nnot ours\n", encoding="utf-8")
    extra = {"plan": ["--offline"], "apply": ["--yes", "--emulator"]}.get(command, [])
    alone = cli(command, "manifests/campaign.yaml", *extra)
    assert alone.exit_code == 1
    refused(alone, "manifests/campaign.yaml:5:9", "'../data/rows.csv' leads outside")
    rooted = cli(command, "manifests/", "--root", ".", *extra)
    assert rooted.exit_code == 1
    text = refused(
        rooted,
        "manifests/secret.yaml:5:9",
        f"'../../outside.csv' leads outside the manifest root ({checkout.resolve()})",
    )
    assert "campaign" not in text  # read, and fine
    assert not (checkout / ".acdload" / "emulator.db").exists()  # apply sent nothing
    (checkout / "manifests" / "secret.yaml").unlink()
    assert cli(command, "manifests/", "--root", ".", *extra).exit_code == 0


def test_root_in_the_config_file_is_relative_to_it(cli: Cli, checkout: Path) -> None:
    (checkout / "data").mkdir()
    (checkout / "data" / "rows.csv").write_text("[core]\nCall back\n", encoding="utf-8")
    (checkout / "manifests" / "campaign.yaml").write_text(
        manifest("../data/rows.csv"), encoding="utf-8"
    )
    (checkout / "acdload.toml").write_text('root = "."\n', encoding="utf-8")
    rendered = cli("render", "manifests/campaign.yaml")
    assert rendered.exit_code == 0, rendered.output
    assert json.loads(rendered.stdout)["Subject"] == "Call back"
    (checkout / "acdload.toml").write_text('root = "nowhere"\n', encoding="utf-8")
    broken = cli("render", "manifests/campaign.yaml")
    assert broken.exit_code == 2
    assert "acdload.toml: root 'nowhere' in the top level is not a directory" in broken.output


def test_paths_named_outside_the_root_are_usage_errors(cli: Cli, checkout: Path) -> None:
    (checkout / "manifests" / "campaign.yaml").write_text(
        manifest("../.git/config"), encoding="utf-8"
    )
    result = cli("validate", "manifests/campaign.yaml", "--root", "data")
    assert result.exit_code == 2  # --root must exist
    assert "Directory 'data' does not exist" in result.output
    (checkout / "data").mkdir()
    result = cli("validate", "manifests/campaign.yaml", "--root", "data")
    assert result.exit_code == 2
    assert (
        f"error: manifests/campaign.yaml is outside the manifest root {checkout.resolve() / 'data'}"
        in result.output
    )
    assert SECRET not in result.output


def test_a_symlink_added_to_a_manifest_folder_reads_nothing(cli: Cli, checkout: Path) -> None:
    (checkout / "manifests" / "tickets.csv").symlink_to(checkout / ".git" / "config")
    result = cli("plan", "manifests", "--offline", "--format", "markdown")
    assert result.exit_code == 2
    assert (
        "error: manifests/tickets.csv is a symbolic link that leads outside the manifest "
        f"root {checkout.resolve() / 'manifests'}; it was not read"
    ) in result.output
    assert SECRET not in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_inside_the_root_is_refused_without_blocking(checkout: Path) -> None:
    os.mkfifo(checkout / "manifests" / "rows.csv")
    (checkout / "manifests" / "campaign.yaml").write_text(manifest("rows.csv"), encoding="utf-8")
    os.mkfifo(checkout / "manifests" / "more.csv")  # a manifest of its own, in the folder
    # timeout: a reader blocked on the pipe fails the test instead of hanging it
    result = run_acdload("validate", "manifests", cwd=checkout, timeout=60)
    assert result.returncode == 1
    assert (
        "manifests/campaign.yaml:5:9: error: cannot read source file 'rows.csv': it is a "
        "named pipe (FIFO), not a regular file [source]"
    ) in result.stdout
    assert (
        "manifests/more.csv:1: error: cannot read manifests/more.csv: it is a named pipe "
        "(FIFO), not a regular file [io]"
    ) in result.stdout


def test_a_template_cannot_include_a_file(cli: Cli, checkout: Path) -> None:
    (checkout / "manifests" / "tickets.yaml").write_text(
        "version: 1\n"
        "defaults: {AcdEventTypesID: 6, AcdGroupsID: 235, Sender: info@example.com}\n"
        "templates: {Subject: \"{% include '../.git/config' %}\"}\n"
        "events: [{UserData: T-1}]\n",
        encoding="utf-8",
    )
    result = cli("render", "manifests/tickets.yaml")
    assert result.exit_code == 1
    assert "manifests/tickets.yaml:3:22: error: template for Subject:" in result.output
    assert SECRET not in result.output


def test_apply_sends_nothing_for_a_manifest_that_reads_outside(cli: Cli, checkout: Path) -> None:
    (checkout / "manifests" / "campaign.yaml").write_text(
        manifest("../.git/config"), encoding="utf-8"
    )

    with HostileServer(lambda request, conn: send_json(conn, 200, list_answer([]))) as server:
        result = cli(
            "apply",
            "manifests/campaign.yaml",
            "--yes",
            "--base-url",
            server.base_url,
            env={"ACDLOAD_TOKEN": TOKEN},
        )
    assert result.exit_code == 1
    refused(result, "manifests/campaign.yaml:5:9", "leads outside")
    assert server.requests == []
