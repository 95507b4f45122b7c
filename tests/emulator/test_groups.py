"""The --groups file: which groups exist, which forbid duplicates, configuration groups."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from acdload.emulator import EmulatorConfigError, GroupsConfig, load_groups
from tests.emulator.helpers import CALLBACK, check_shape, create, get, records
from tests.emulator_support import RunningEmulator

GROUPS = """\
groups:
  - {id: 235, no_duplicates: true}
  - {id: 300}
  - id: 34
configuration_groups:
  - {id: 12, agent_group: 34}
  - {id: 13, agent_group: 235}
"""


@pytest.fixture
def groups_file(tmp_path: Path) -> Path:
    path = tmp_path / "groups.yaml"
    path.write_text(GROUPS, encoding="utf-8")
    return path


@pytest.fixture
def grouped(emulator_factory: Callable[..., RunningEmulator], groups_file: Path) -> RunningEmulator:
    return emulator_factory(groups=groups_file)


def test_load_groups(groups_file: Path) -> None:
    assert load_groups(groups_file) == GroupsConfig(
        groups={235: True, 300: False, 34: False}, configuration_groups={12: 34, 13: 235}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file must be a mapping"),
        ("- 1\n", "the file must be a mapping"),
        ("groups: [1\n", "not valid YAML"),
        ("groups: 5\n", "'groups' must be a list"),
        ("groups: [5]\n", "groups[0] must be a mapping"),
        ("groups:\n  - {name: x}\n", ":2: groups[0]: unknown key 'name'"),
        ("groups:\n  - {id: 0}\n", ":2: groups[0].id must be a positive integer, got 0"),
        ("groups:\n  - {id: '235'}\n", "groups[0].id must be a positive integer, got '235'"),
        ("groups:\n  - {id: true}\n", "groups[0].id must be a positive integer"),
        ("groups: [{id: 1, no_duplicates: maybe}]\n", "no_duplicates must be true or false"),
        ("groups: [{id: 1}, {id: 1}]\n", "group 1 is listed twice"),
        ("gruops: []\n", "top level: unknown key 'gruops'"),
        ("configuration_groups: [{id: 12}]\n", "configuration_groups[0].agent_group must be"),
        ("configuration_groups: [{id: 12, agent_group: 34}]\n", "34 is not listed under 'groups'"),
        (
            "groups: [{id: 34}]\nconfiguration_groups: [{id: 1, agent_group: 34},"
            " {id: 1, agent_group: 34}]\n",
            "configuration group 1 is listed twice",
        ),
    ],
)
def test_bad_groups_file_says_what_and_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EmulatorConfigError) as caught:
        load_groups(path)
    assert caught.value.option == "--groups"
    assert message in caught.value.message
    assert str(path) in caught.value.message


def test_unreadable_groups_file(tmp_path: Path) -> None:
    with pytest.raises(EmulatorConfigError, match="cannot read"):
        load_groups(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"AcdGroupsID": 999}, "AcdGroupsID"),
        (
            {"AcdGroupsID": None, "AcdConfigurationGroupsID": 99, "AcdAgentGroupsID": 34},
            "AcdConfigurationGroupsID",
        ),
        (
            {"AcdGroupsID": None, "AcdConfigurationGroupsID": 12, "AcdAgentGroupsID": 999},
            "AcdAgentGroupsID",
        ),
    ],
)
def test_unknown_group_is_400(
    grouped: RunningEmulator, change: dict[str, object], field: str
) -> None:
    answer = create(grouped, {**CALLBACK, **change})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{field}: ")
    assert records(grouped) == []


def test_without_groups_file_any_group_exists(emulator: RunningEmulator) -> None:
    assert create(emulator, {**CALLBACK, "AcdGroupsID": 987654}).status_code == 200


def test_configuration_group_goes_to_its_primary_agent_group(grouped: RunningEmulator) -> None:
    body = {
        **CALLBACK,
        "AcdGroupsID": None,
        "AcdConfigurationGroupsID": 12,
        "AcdAgentGroupsID": 300,
    }
    record = create(grouped, body).json()["records"][0]
    assert record["AcdGroupsID"] == 34


def test_without_groups_file_the_agent_group_named_is_the_target(emulator: RunningEmulator) -> None:
    body = {**CALLBACK, "AcdGroupsID": None, "AcdConfigurationGroupsID": 12, "AcdAgentGroupsID": 77}
    assert create(emulator, body).json()["records"][0]["AcdGroupsID"] == 77


def test_duplicate_in_a_no_duplicates_group_updates_the_open_event(
    grouped: RunningEmulator,
) -> None:
    first = create(grouped, CALLBACK).json()["records"][0]
    again = create(grouped, {**CALLBACK, "Subject": "Second <try>", "Body": "other"})
    assert again.status_code == 200
    check_shape("create", again.json())
    updated = again.json()["records"][0]
    assert updated["Result_"] == "UPDATED"
    assert updated["ID"] == first["ID"]
    assert updated["Subject"] == first["Subject"]  # the existing event, not the new one
    assert updated["dtCreated"] == first["dtCreated"]
    assert updated["dtModified"] >= first["dtModified"]
    event_data = ET.fromstring(updated["EventData"])
    assert event_data.findtext("body") == first_body(first)  # the Body stays readable
    comments = [c.text or "" for c in event_data.iterfind("comments/comment")]
    assert len(comments) == 1 and "Second <try>" in comments[0]
    create(grouped, CALLBACK)
    stored = records(grouped)
    assert len(stored) == 1
    assert "Result_" not in stored[0]  # Result_ is part of the answer, not of the event
    assert len(ET.fromstring(stored[0]["EventData"]).findall("comments/comment")) == 2
    assert get(grouped, f"/acd/events/event/{first['ID']}").json()["records"] == stored


def first_body(record: dict[str, object]) -> str | None:
    return ET.fromstring(str(record["EventData"])).findtext("body")


@pytest.mark.parametrize(
    "change",
    [
        {"AcdEventTypesID": 6, "Body": None},  # another type
        {"Sender": "4930999"},  # another sender
        {"UserData": "other"},  # another UserData, when given
        {"AcdGroupsID": 300},  # a group that allows duplicates
    ],
    ids=["type", "sender", "user-data", "group"],
)
def test_what_is_not_a_duplicate(grouped: RunningEmulator, change: dict[str, object]) -> None:
    create(grouped, CALLBACK)
    answer = create(grouped, {**CALLBACK, **change}).json()["records"][0]
    assert "Result_" not in answer
    assert len(records(grouped)) == 2


def test_without_user_data_any_user_data_matches(grouped: RunningEmulator) -> None:
    create(grouped, CALLBACK)
    answer = create(grouped, {**CALLBACK, "UserData": None}).json()["records"][0]
    assert answer["Result_"] == "UPDATED"


def test_duplicates_allowed_in_other_groups(grouped: RunningEmulator) -> None:
    body = {**CALLBACK, "AcdGroupsID": 300}
    ids = {create(grouped, body).json()["records"][0]["ID"] for _ in range(3)}
    assert len(ids) == 3


def test_configuration_group_uses_its_agent_groups_duplicate_rule(grouped: RunningEmulator) -> None:
    create(grouped, CALLBACK)  # into 235, which forbids duplicates
    body = {
        **CALLBACK,
        "AcdGroupsID": None,
        "AcdConfigurationGroupsID": 13,
        "AcdAgentGroupsID": 300,
    }
    assert create(grouped, body).json()["records"][0]["Result_"] == "UPDATED"
