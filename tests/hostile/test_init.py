"""``acdload init`` reads an export that came from somewhere else (issue #14, per #10).

Each ``init_exports/NAME.csv`` is one attack. Without ``NAME.expected`` init must write a
manifest that means exactly the export's mapping: valid YAML, every header a key of
``source.columns`` and nothing more (no header adds a key or ends a comment), and
``validate`` finds nothing but the placeholders left to fill. With ``NAME.expected``
(``exit N``, then lines the output must contain) init must refuse the file clearly.
Attacks that cannot be a committed file (a FIFO, a 100,000-character cell, a name with
escapes) are made by the tests below. Adding an attack is adding a file.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from acdload.check.schema import event_fields
from acdload.manifest.sources import YMap
from acdload.manifest.sources.csv_source import read_csv_text
from acdload.manifest.sources.yaml_source import load_yaml_text
from acdload.manifest.yaml_manifest import MANIFEST_KEYS
from tests.cli_runner import Cli

CASES = Path(__file__).parent / "init_exports"
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")
TARGETS = {*event_fields().order, "dtAppointment"}


def expected(case: Path) -> tuple[int, list[str]] | None:
    path = case.with_suffix(".expected")
    if not path.exists():
        return None
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    code = re.fullmatch(r"exit (\d+)", lines[0])
    assert code, f"{path.name} must start with 'exit N'"
    return int(code.group(1)), lines[1:]


def assert_means_exactly_the_mapping(export: Path, manifest: Path) -> dict[str, object]:
    """The manifest is valid YAML with no key a header put there, and its columns are the
    export's header, in order; returns it."""
    text = manifest.read_text(encoding="utf-8")
    assert not RAW_CONTROL.search(text.replace("\n", "")), f"raw control characters: {text!r}"
    data, problems = load_yaml_text(text, manifest.name)
    assert problems == [], problems
    assert isinstance(data, YMap)
    assert set(data) <= set(MANIFEST_KEYS) - {"events", "vars"}
    loaded = yaml.safe_load(text)  # any YAML reader sees the same keys
    assert set(loaded) == set(data)
    source = data["source"]
    assert isinstance(source, YMap)
    assert set(source) <= {"path", "encoding", "delimiter", "date_format", "time_format",
                           "datetime_format", "columns"}  # fmt: skip
    encoding = str(source["encoding"])
    table, _ = read_csv_text(export.read_bytes().decode(encoding), export.name)
    assert table is not None
    columns = source["columns"]
    assert isinstance(columns, YMap)
    assert list(columns) == list(dict.fromkeys(name for name in table.header if name))
    assert all(
        t is None or str(t) in TARGETS or str(t).startswith("vars.") for t in columns.values()
    )
    assert loaded["source"]["columns"] == {
        k: v if v is None else str(v) for k, v in columns.items()
    }
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("case", sorted(CASES.glob("*.csv")), ids=lambda p: p.name)
def test_hostile_export(cli: Cli, case: Path, tmp_path: Path) -> None:
    export = tmp_path / case.name
    shutil.copy(case, export)
    result = cli("init", str(export), "-v")
    output = result.output
    assert not RAW_CONTROL.search(output), f"a raw control character: {output!r}"
    assert "Traceback" not in output
    refusal = expected(case)
    if refusal is not None:
        code, lines = refusal
        assert result.exit_code == code, output
        for line in lines:
            assert line in output, f"missing: {line}\noutput:\n{output}"
        assert not export.with_suffix(".yaml").exists()
        return
    assert result.exit_code == 0, output
    manifest = export.with_suffix(".yaml")
    assert_means_exactly_the_mapping(export, manifest)
    checked = cli("validate", str(manifest), "--now", "2026-11-28T12:00:00")
    errors = [line for line in checked.stdout.splitlines() if ": error: " in line]
    assert errors, checked.stdout
    assert all(line.endswith("[placeholder]") for line in errors), checked.stdout


def test_a_header_cannot_inject_keys(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    shutil.copy(CASES / "header-newline-injection.csv", export)
    assert cli("init", str(export)).exit_code == 0
    data = assert_means_exactly_the_mapping(export, tmp_path / "export.yaml")
    assert "events" not in data
    assert data["version"] == 1
    source = data["source"]
    assert isinstance(source, dict)
    assert source["path"] == "export.csv"
    assert list(source["columns"]) == [
        "Telefon\nevents: []",
        "Kundennummer",
        "Name\r\nversion: 2\r\nsource: {path: /etc/passwd}",
    ]


def test_a_100000_character_header_and_cells(cli: Cli, tmp_path: Path) -> None:
    long = "x" * 100_000
    export = tmp_path / "export.csv"
    export.write_text(
        f"Telefon,{long},Kundennummer\n+49 170 1234567,{long},{long}\n", encoding="utf-8"
    )
    result = cli("init", str(export), "-v")
    assert result.exit_code == 0, result.output[:2000]
    assert max(len(line) for line in result.output.splitlines()) < 600
    manifest = tmp_path / "export.yaml"
    data = assert_means_exactly_the_mapping(export, manifest)
    source = data["source"]
    assert isinstance(source, dict)
    assert source["columns"][long] is None
    assert source["columns"]["Kundennummer"] is None  # longer than UserData takes
    assert "only 0 of 1 sample values are identifiers of up to 255 characters" in (
        manifest.read_text(encoding="utf-8")
    )


def test_a_fifo_is_refused_without_blocking(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    result = cli("init", str(fifo))  # a blocking read would never return
    assert result.exit_code == 2
    assert f"error: cannot read '{fifo}': it is a named pipe (FIFO), not a regular file" in (
        result.stderr
    )
    assert not (tmp_path / "export.yaml").exists()


def test_an_export_whose_name_has_escapes_is_refused(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "evil\x1b[31m.csv"
    shutil.copy(CASES / "header-terminal-escapes.csv", export)
    result = cli("init", str(export), "-o", str(tmp_path / "m.yaml"))
    assert result.exit_code == 2
    assert "error: the export's name 'evil\\x1b[31m.csv' has control or invisible characters" in (
        result.stderr
    )
    assert not RAW_CONTROL.search(result.output)
    assert not (tmp_path / "m.yaml").exists()


def test_an_export_that_links_out_of_the_manifests_directory_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("Telefon\n+49 170 1234567\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "export.csv").symlink_to(outside / "secret.csv")
    result = cli("init", str(repo / "export.csv"))
    assert result.exit_code == 2
    assert "'export.csv', is a symbolic link that leads outside the manifest root" in (
        result.stderr
    )
    assert not (repo / "export.yaml").exists()


def test_duplicate_and_unnamed_columns_are_told_not_written_twice(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("Telefon;Name;Name;\n+49 170 1234567;a;b;c\n", encoding="utf-8")
    result = cli("init", str(export))
    assert result.exit_code == 0, result.output
    assert "the export itself has problems validate will report" in result.stderr
    assert "column name 'Name' appears twice in the header line (columns 2 and 3)" in (
        result.stderr
    )
    assert "column 4 has no name in the header line" in result.stderr
    text = (tmp_path / "export.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)  # a YAML mapping with a key twice would be refused
    assert list(data["source"]["columns"]) == ["Telefon", "Name"]
