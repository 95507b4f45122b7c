"""A small callback manifest, the payloads it renders to, and its plan as JSON.

The payloads are written out here by hand, not taken from ``acdload render``: the tests
create them on the emulator through its HTTP API, so that ``exists`` is decided against
events acdload did not make.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from click.testing import Result

from tests.cli_runner import Cli
from tests.emulator_support import EmulatorHandle

NOW = "2026-12-01T08:00:00"
MANIFEST = "callbacks.yaml"

HEAD = """\
version: 1
defaults:
  AcdEventTypesID: 3
  AcdGroupsID: 235
  CrmURL: https://crm.example.com/case
templates:
  Subject: "Callback request from {{ Sender }}"
events:
"""
EVENTS = [
    '  - Sender: "+49 170 1234501"\n'
    '    UserData: "CB-1"\n'
    '    Body: "Please call back.\\r\\nReason: invoice & <more>\\r\\n"\n',
    '  - Sender: "+49 170 1234502"\n    UserData: "CB-2"\n',
    '  - Sender: "+49 170 1234503"\n    UserData: "CB-3"\n',
]
LINES = [9, 12, 14]  # where each event starts in the manifest

PAYLOADS: list[dict[str, Any]] = [
    {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": "491701234501",
        "Subject": "Callback request from 491701234501",
        "Body": "Please call back.\r\nReason: invoice & <more>\r\n",
        "CrmURL": "https://crm.example.com/case",
        "UserData": "CB-1",
    },
    {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": "491701234502",
        "Subject": "Callback request from 491701234502",
        "CrmURL": "https://crm.example.com/case",
        "UserData": "CB-2",
    },
    {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": "491701234503",
        "Subject": "Callback request from 491701234503",
        "CrmURL": "https://crm.example.com/case",
        "UserData": "CB-3",
    },
]


def write_manifest(directory: Path, events: Sequence[str] = EVENTS, name: str = MANIFEST) -> Path:
    path = directory / name
    path.write_text(HEAD + "".join(events), encoding="utf-8", newline="\n")
    return path


def create_on_server(handle: EmulatorHandle, payloads: Sequence[dict[str, Any]]) -> list[int]:
    """Create events through the emulator's HTTP API (not through acdload); their IDs."""
    ids = []
    for payload in payloads:
        answer = requests.post(
            handle.url("/acd/events/create"),
            data=json.dumps(payload).encode(),
            headers={**handle.headers, "Content-Type": "application/json"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()["records"][0]["ID"])
    return ids


def server_records(handle: EmulatorHandle) -> list[dict[str, Any]]:
    answer = requests.get(handle.url("/acd/events"), headers=handle.headers, timeout=10)
    assert answer.status_code == 200
    records: list[dict[str, Any]] = answer.json()["records"]
    return records


def plan_json(
    run: Cli, *args: str, env: dict[str, str] | None = None
) -> tuple[Result, dict[str, Any]]:
    result = run("plan", *args, "--format", "json", env=env)
    document: dict[str, Any] = json.loads(result.stdout) if result.stdout else {}
    return result, document


def against(handle: EmulatorHandle) -> tuple[list[str], dict[str, str]]:
    """Options and environment that point ``acdload plan`` at an emulator."""
    return ["--base-url", handle.base_url], {"ACDLOAD_TOKEN": handle.token}
