"""``import acdload`` is the documented API: light to import, every name in ``__all__``,
the rest private, and ``help(acdload)`` shows it."""

from __future__ import annotations

import os
import pydoc
import subprocess
import sys
from pathlib import Path

import pytest

import acdload
from tests.emulator_support import REPO_ROOT


def modules_after(statement: str, cwd: Path) -> set[str]:
    """The modules a fresh interpreter holds after ``statement``."""
    probe = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=True,
    )
    return set(done.stdout.split())


def test_import_acdload_loads_nothing_else_of_it(tmp_path: Path) -> None:
    """Every command imports the package first; the emulator's own entry point too."""
    loaded = modules_after("import acdload", tmp_path)
    assert {m for m in loaded if m.startswith("acdload")} == {"acdload"}
    assert not loaded & {"requests", "click", "jinja2", "yaml"}


def test_the_load_stage_needs_no_http_client_and_no_emulator(tmp_path: Path) -> None:
    """What ``validate`` in a pre-commit hook pays for: reading and checking only."""
    loaded = modules_after("import acdload; acdload.load, acdload.Load, acdload.Problem", tmp_path)
    assert "acdload.check.load" in loaded
    assert "requests" not in loaded
    assert not any(m.startswith("acdload.emulator") for m in loaded)


def test_validate_in_a_pre_commit_hook_loads_no_http_client(tmp_path: Path) -> None:
    manifest = REPO_ROOT / "examples" / "callbacks.yaml"
    statement = (
        "from acdload.cli import main\n"
        "try:\n"
        f"    main(['validate', {str(manifest)!r}, '--now', '2026-12-01T08:00:00', '-q'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code"
    )
    loaded = modules_after(f"exec({statement!r})", tmp_path)
    assert "acdload.check.load" in loaded
    assert "requests" not in loaded
    assert not any(m.startswith("acdload.emulator") for m in loaded)


@pytest.mark.parametrize("name", acdload.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(acdload, name) is not None
    assert name in dir(acdload)


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from acdload import *", namespace)
    assert sorted(n for n in namespace if n != "__builtins__") == sorted(acdload.__all__)


def test_a_name_that_is_not_public_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'prepare'"):
        acdload.prepare  # noqa: B018


def test_help_shows_the_documented_api() -> None:
    text = pydoc.plain(pydoc.render_doc(acdload))
    assert "Only the names in ``__all__`` are the API" in text
    assert "docs/python-api.md" in text
    for name in ("load", "plan", "read_plan", "apply"):
        assert f"\n    {name}(" in text, name  # under FUNCTIONS, with its signature
    for name in ("Load", "Plan", "Run", "Target", "AcdloadError", "ExitCode"):
        assert f"class {name}" in text, name
    assert "acdload.emulator" not in text.split("FUNCTIONS")[1]


def test_every_error_is_an_acdload_error_with_an_exit_code() -> None:
    """One hierarchy: whatever the API raises, ``except acdload.AcdloadError`` catches it."""
    values = [getattr(acdload, name) for name in acdload.__all__]
    errors = [v for v in values if isinstance(v, type) and issubclass(v, BaseException)]
    assert len(errors) == 10
    for error in errors:
        assert issubclass(error, acdload.AcdloadError), error
        assert isinstance(error.exit_code, acdload.ExitCode), error
