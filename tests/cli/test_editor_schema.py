"""Editors: every example manifest names the manifest schema in a ``yaml-language-server``
comment that resolves inside the repository, and that file is what ``acdload schema
manifest`` prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.support import REPO
from tests.cli_runner import Cli

COMMENT = re.compile(r"# yaml-language-server: \$schema=(\S+)\s*$")
NOT_MANIFESTS = REPO / "examples" / "ci"  # CI workflows, not manifests
MANIFESTS = sorted(
    path
    for path in (REPO / "examples").rglob("*")
    if path.suffix in (".yaml", ".yml") and not path.is_relative_to(NOT_MANIFESTS)
)


def test_there_are_example_manifests() -> None:
    assert len(MANIFESTS) >= 3


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: str(p.relative_to(REPO)))
def test_example_manifest_names_the_schema_on_its_first_line(manifest: Path) -> None:
    first = manifest.read_text(encoding="utf-8").splitlines()[0]
    found = COMMENT.match(first)
    assert found, f"{manifest.name}: the first line is not a yaml-language-server $schema comment"
    schema = (manifest.parent / found.group(1)).resolve()
    assert schema.is_relative_to(REPO.resolve()), f"{found.group(1)} is outside the repository"
    assert schema.is_file(), f"{found.group(1)} does not exist"
    assert schema == (REPO / "schemas" / "manifest.schema.json").resolve()


def test_the_schema_editors_load_is_what_acdload_schema_manifest_prints(cli: Cli) -> None:
    printed = cli("schema", "manifest").stdout
    on_disk = (REPO / "schemas" / "manifest.schema.json").read_text(encoding="utf-8")
    assert printed == on_disk
    assert json.loads(printed)["$schema"].startswith("https://json-schema.org/")
