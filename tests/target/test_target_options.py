"""Opening the target: offline, the embedded emulator, and the plain-http warning."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from acdload.errors import TargetError
from acdload.target.embedded import emulator_token
from acdload.target.open import open_client
from acdload.target.resolve import Target


def test_offline_has_no_client() -> None:
    with open_client(Target(kind="offline")) as client:
        assert client is None


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://10.1.2.3:8080/rest/v1.0/1000", True),
        ("http://jtel.example.com/rest/v1.0/1000", True),
        ("https://jtel.example.com/rest/v1.0/1000", False),
        ("http://127.0.0.1:8080/rest/v1.0/1000", False),
        ("http://localhost:8080/rest/v1.0/1000", False),
    ],
)
def test_warns_before_a_token_goes_unencrypted_to_another_host(url: str, warned: bool) -> None:
    warnings: list[str] = []
    with open_client(Target(url, "s3cret"), on_warning=warnings.append):
        pass  # nothing is sent until the client is used
    assert bool(warnings) is warned
    assert all("s3cret" not in warning for warning in warnings)
    if warned:
        assert "plain http://" in warnings[0]


def test_emulator_token_is_made_once_and_private(tmp_path: Path) -> None:
    token = emulator_token(tmp_path)
    assert stat.S_IMODE((tmp_path / "emulator.token").stat().st_mode) == 0o600
    assert emulator_token(tmp_path) == token


def test_empty_emulator_token_file_is_a_target_error(tmp_path: Path) -> None:
    (tmp_path / "emulator.token").write_text("")
    with pytest.raises(TargetError):
        emulator_token(tmp_path)


def test_emulator_state_that_cannot_be_used_is_a_target_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    (state / "emulator.db").write_text("this is not a database")
    with (
        pytest.raises(TargetError, match="cannot start the embedded emulator"),
        open_client(Target.emulator(state)),
    ):
        pass
