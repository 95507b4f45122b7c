"""The schemas and the HTML report's assets ship inside the package: a non-editable install,
run from elsewhere, has them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def test_non_editable_install_ships_the_schemas(tmp_path: Path) -> None:
    target = tmp_path / "site"
    # Built in pip's isolated build environment, as a user's `pip install .` is.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        cwd=tmp_path,
        capture_output=True,
    )
    assert not (target / "acdload" / "schemas").is_symlink()
    assert (target / "acdload" / "schemas" / "jtel-acd-events.openapi.yaml").is_file()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    for name, file in (("event", "acd-event.schema.json"), ("manifest", "manifest.schema.json")):
        shown = subprocess.run(
            [sys.executable, "-m", "acdload", "schema", name],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(shown.stdout) == json.loads((REPO / "schemas" / file).read_text())
    # The HTML report's stylesheet and script ship too.
    (elsewhere / "t.yaml").write_text(
        "version: 1\nevents:\n  - {AcdEventTypesID: 6, AcdGroupsID: 235, Sender: a@example.com, "
        "UserData: T-1, Subject: T}\n",
        encoding="utf-8",
    )
    page = subprocess.run(
        [sys.executable, "-m", "acdload", "plan", "t.yaml", "--offline", "--format", "html"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "#events-table" in page.stdout and "JSON.parse" in page.stdout
    located = subprocess.run(
        [sys.executable, "-c", "import acdload; print(acdload.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(target), "ran the installed copy"
