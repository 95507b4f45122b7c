"""A base URL with ``user:password@`` is refused before anything is sent or written.

requests would send such a password as Basic auth in place of the bearer token, and the
URL itself would be echoed in messages and stored as the target of plans, journals and
reports. Wherever the URL comes from (``--base-url``, ``ACDLOAD_BASE_URL`` or a configured
target), it is a usage error (exit 2) that points to the token, and the password is never
printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.applying.support import write_csv
from tests.cli_runner import Cli
from tests.hostile.jtel_script import JtelScript, invoke_acdload

PASSWORD = "hunter2-Secret"

CREDENTIALS = [f"bob:{PASSWORD}@", f"{PASSWORD}@", f"bob:{PASSWORD}@@", f"bob:{PASSWORD}%40x@"]


def with_credentials(base_url: str, credentials: str) -> str:
    return base_url.replace("://", f"://{credentials}", 1)


def given(source: str, url: str, directory: Path) -> tuple[list[str], dict[str, str]]:
    """Flags and environment that name ``url`` through ``source``."""
    if source == "--base-url":
        return ["--base-url", url], {}
    if source == "ACDLOAD_BASE_URL":
        return [], {"ACDLOAD_BASE_URL": url}
    (directory / "acdload.toml").write_text(
        f'default_target = "staging"\n\n[targets.staging]\nbase_url = "{url}"\n', "utf-8"
    )
    return [], {}


@pytest.mark.parametrize("credentials", CREDENTIALS)
@pytest.mark.parametrize("source", ["--base-url", "ACDLOAD_BASE_URL", "acdload.toml"])
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_base_url_with_credentials_is_a_usage_error_that_never_shows_them(
    cli: Cli, tmp_path: Path, command: str, source: str, credentials: str
) -> None:
    write_csv(tmp_path / "load.csv", 1)
    with JtelScript() as server:
        flags, env = given(source, with_credentials(server.base_url, credentials), tmp_path)
        extra = ["--yes", "--report", "r.json"] if command == "apply" else ["--out", "p.json"]
        run = invoke_acdload(cli, tmp_path, command, "load.csv", *flags, *extra, **env)

    assert run.returncode == 2, run.output
    assert "user name or password" in run.stderr
    assert "ACDLOAD_TOKEN" in run.stderr.split("hint: ", 1)[1]
    if source == "acdload.toml":
        assert "acdload.toml: base_url in [targets.staging]" in run.stderr
    else:
        assert source in run.stderr
    assert PASSWORD not in run.output
    assert "Traceback" not in run.stderr
    assert server.server.requests == []  # nothing sent, not even to try the password
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "acdload.toml"]
    assert not any(PASSWORD in p.read_text("utf-8", errors="replace") for p in written)


def test_an_at_sign_in_the_path_is_not_taken_for_credentials(cli: Cli, tmp_path: Path) -> None:
    """Only the authority part counts: ``/proxy@eu/rest/...`` is a path."""
    write_csv(tmp_path / "load.csv", 1)
    with JtelScript() as server:
        url = server.base_url.replace("/rest/", "/proxy@eu/rest/")
        run = invoke_acdload(cli, tmp_path, "plan", "load.csv", "--base-url", url)

    assert "user name or password" not in run.stderr
    assert [r.path for r in server.server.requests] == ["/proxy@eu/rest/v1.0/1000/acd/events"]
