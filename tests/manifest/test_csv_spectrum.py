"""csv-spectrum, a public CSV acid test, through acdload's CSV source; and a quoted cell's
line ends kept from the file to the server.

Every case file is read as a load reads a CSV file (bytes, decoding, delimiter detection,
parsing: ``read_csv``), and its rows must equal the case's JSON exactly, line ends inside
quoted cells included. The copy and its licence: ``tests/data/csv-spectrum/README.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acdload.manifest.sources.csv_source import read_csv
from tests.applying.support import server_records
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator

SPECTRUM = Path(__file__).parent.parent / "data" / "csv-spectrum"
CASES = sorted(path.stem for path in (SPECTRUM / "csvs").glob("*.csv"))
SEED_BODY = (
    "This is an automatically generated callback request via the REST API.\r\nCongratulations!\r\n"
)
"""The example Body of the API reference's create request, written with CRLF."""


def test_the_copy_is_complete_and_carries_its_licence() -> None:
    assert len(CASES) == 12
    assert sorted(path.stem for path in (SPECTRUM / "json").glob("*.json")) == CASES
    readme = (SPECTRUM / "README.md").read_text(encoding="utf-8")
    assert "BSD-2-Clause" in readme and "Copyright (c) Max Ogden" in readme
    for name in ("empty_crlf", "newlines_crlf", "simple_crlf"):  # as upstream checks them out
        raw = (SPECTRUM / "csvs" / f"{name}.csv").read_bytes()
        assert raw.count(b"\r\n") == raw.count(b"\n"), name


@pytest.mark.parametrize("name", CASES)
def test_every_case_reads_as_its_json(name: str) -> None:
    expected = json.loads((SPECTRUM / "json" / f"{name}.json").read_text(encoding="utf-8"))
    if name == "location_coordinates":
        # Upstream's expectation is a single object, not a list, and has another phone
        # number than its CSV (1234567890 vs 2095257564): compare with the CSV's number.
        assert isinstance(expected, dict)
        expected = [{**expected, "Contact Phone Number": "2095257564"}]

    table, problems = read_csv(SPECTRUM / "csvs" / f"{name}.csv", f"{name}.csv")

    assert problems == []
    assert table is not None
    assert [dict(zip(table.header, cells, strict=True)) for _, cells in table.rows] == expected


@pytest.mark.parametrize(
    ("name", "lines"), [("quotes_and_newlines", [2, 5]), ("newlines_crlf", [2, 3, 5])]
)
def test_multiline_rows_carry_the_line_where_they_start(name: str, lines: list[int]) -> None:
    table, _ = read_csv(SPECTRUM / "csvs" / f"{name}.csv", f"{name}.csv")
    assert table is not None
    assert [line for line, _ in table.rows] == lines


def test_a_crlf_inside_a_quoted_cell_reaches_the_server_unchanged(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator
) -> None:
    """The reference's own Body (CRLF line ends) in a CSV manifest with CRLF line ends: the
    payload, the server's event and the next plan all keep it."""
    monkeypatch.chdir(tmp_path)
    Path("callbacks.csv").write_bytes(
        (
            "AcdEventTypesID,AcdGroupsID,Sender,UserData,Subject,Body\r\n"
            f'3,235,+49 170 1234567,987654,Callback,"{SEED_BODY}"\r\n'
        ).encode()
    )
    env = {"ACDLOAD_BASE_URL": emulator.base_url, "ACDLOAD_TOKEN": emulator.token}

    def acdload(*args: str) -> str:
        result = cli(*args, env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    assert json.loads(acdload("render", "callbacks.csv"))["Body"] == SEED_BODY
    acdload("apply", "callbacks.csv", "--yes")
    [record] = server_records(emulator)
    assert f'<body html="true">{SEED_BODY}</body>' in record["EventData"]
    assert acdload("plan", "callbacks.csv").startswith("0 to create, 1 unchanged, 0 drifted")
