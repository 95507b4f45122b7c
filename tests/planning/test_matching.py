"""Matching a load against server records: create, exists, drift, and what cannot drift."""

from __future__ import annotations

import time
from typing import Any

import pytest

from acdload.planning.matching import RecordIndex, body_of, build_plan, comparable
from tests.planning.fakes import callback, prepared, record


def test_empty_server_plans_every_event_as_create() -> None:
    plan = build_plan(prepared([callback(1), callback(2)]), [], "http://x/rest/v1.0/1")
    assert [a.action for a in plan.actions] == ["create", "create"]
    assert [a.event_id for a in plan.actions] == [None, None]
    assert plan.summary == {"create": 2, "exists": 0, "drift": 0, "expired": 0, "already_open": 0}
    assert plan.pending and not plan.offline


def test_offline_plans_every_event_as_create_and_says_so() -> None:
    plan = build_plan(prepared([callback(1)]), None, None)
    assert plan.offline and plan.target is None
    assert plan.actions[0].action == "create"


def test_action_carries_position_key_and_payload() -> None:
    payload = callback(1)
    action = build_plan(prepared([callback(0), payload]), [], None).actions[1]
    assert (action.index, action.file, action.line) == (1, "load.yaml", 12)
    assert action.key == {"AcdEventTypesID": 3, "Sender": "491701234501", "UserData": "CB-1"}
    assert action.payload == payload
    assert action.changes == {}


def test_equal_record_is_exists_with_its_id() -> None:
    payloads = [callback(1), callback(2)]
    records = [record(7, payloads[1]), record(5, payloads[0])]
    plan = build_plan(prepared(payloads), records, "t")
    assert [(a.action, a.event_id) for a in plan.actions] == [("exists", 5), ("exists", 7)]
    assert not plan.pending


def test_changed_subject_is_drift_with_server_then_manifest() -> None:
    server = record(5, callback(1))
    plan = build_plan(prepared([callback(1, Subject="New subject")]), [server], "t")
    action = plan.actions[0]
    assert action.action == "drift" and action.event_id == 5
    assert action.changes == {"Subject": ["Callback request 1", "New subject"]}
    assert not plan.pending  # drift alone is not a pending change


def test_body_is_read_out_of_event_data_unescaped_with_line_ends_kept() -> None:
    payload = callback(1)
    assert comparable(record(5, payload))["Body"] == payload["Body"]
    plan = build_plan(prepared([callback(1, Body="Other\r\n")]), [record(5, payload)], "t")
    assert plan.actions[0].changes == {"Body": [payload["Body"], "Other\r\n"]}


@pytest.mark.parametrize(
    ("event_data", "body"),
    [
        ('<eventData><urls/><body html="true"></body></eventData>', ""),
        ('<eventData><urls/><body html="true"/></eventData>', ""),
        (
            "<eventData><body>a &amp; b &lt;c&gt; &#13;&#x41;&quot;&apos;</body></eventData>",
            "a & b <c> \rA\"'",
        ),
        ("<eventData><body><![CDATA[x & <y>]]> &amp; z</body></eventData>", "x & <y> & z"),
        (
            '<eventData><body html="true">B</body><comments><comment dtCreated="x">c</comment>'
            "</comments></eventData>",
            "B",
        ),
        ("<eventData><urls></urls></eventData>", None),
        ("not xml at all", None),
        (None, None),
        (42, None),
    ],
)
def test_body_of_tolerates_odd_event_data(event_data: object, body: str | None) -> None:
    assert body_of(event_data) == body


def test_missing_event_data_means_body_cannot_drift() -> None:
    server = record(5, callback(1))
    del server["EventData"]
    plan = build_plan(prepared([callback(1)]), [server], "t")
    assert plan.actions[0].action == "exists"


def test_absent_null_and_empty_are_equal() -> None:
    server = record(5, callback(1, Receiver=None))
    server["Receiver"] = ""
    server["UsersID"] = None
    plan = build_plan(prepared([callback(1, Receiver=None)]), [server], "t")
    assert plan.actions[0].action == "exists"


def test_server_value_where_manifest_has_none_is_drift() -> None:
    server = record(5, callback(1))
    plan = build_plan(prepared([callback(1, Receiver=None)]), [server], "t")
    assert plan.actions[0].changes == {"Receiver": ["4930901820", None]}


def test_numbers_and_their_text_are_equal() -> None:
    server = record(5, callback(1))
    server["AcdGroupsID"] = "235"
    server["AcdEventTypesID"] = "3"
    plan = build_plan(prepared([callback(1)]), [server], "t")
    assert plan.actions[0].action == "exists"


def test_fields_the_record_does_not_carry_never_drift() -> None:
    payload = callback(1, nPriority=80, dtAppointmentDate="2027-03-01", dtAppointmentTime="09:00")
    plan = build_plan(prepared([payload]), [record(5, callback(1))], "t")
    assert plan.actions[0].action == "exists"


def test_configuration_group_events_do_not_compare_acd_groups_id() -> None:
    payload = callback(1, AcdGroupsID=None, AcdConfigurationGroupsID=40, AcdAgentGroupsID=41)
    server = record(5, callback(1, AcdGroupsID=None))
    server["AcdGroupsID"] = 500  # the agent group the configuration group resolved to
    plan = build_plan(prepared([payload]), [server], "t")
    assert plan.actions[0].action == "exists"


def test_acd_groups_id_is_compared_otherwise() -> None:
    server = record(5, callback(1))
    server["AcdGroupsID"] = 236
    plan = build_plan(prepared([callback(1)]), [server], "t")
    assert plan.actions[0].changes == {"AcdGroupsID": [236, 235]}


def test_several_records_with_one_key_match_the_oldest() -> None:
    payload = callback(1)
    newer, oldest, middle = record(9, payload), record(3, payload), record(6, payload)
    oldest["Subject"] = "first"
    plan = build_plan(prepared([payload]), [newer, oldest, middle], "t")
    assert (plan.actions[0].event_id, plan.actions[0].action) == (3, "drift")
    assert plan.shared_keys == 2


def test_custom_key_fields() -> None:
    key = ("AcdEventTypesID", "Subject")
    server = record(5, callback(1, Sender="491709999999"))
    plan = build_plan(prepared([callback(1)], key=key), [server], "t")
    action = plan.actions[0]
    assert action.key == {"AcdEventTypesID": 3, "Subject": "Callback request 1"}
    assert action.changes == {"Sender": ["491709999999", "491701234501"]}


def test_index_match() -> None:
    records: list[dict[str, Any]] = [record(1, callback(1)), record(2, callback(2))]
    index = RecordIndex.build(records, ("AcdEventTypesID", "Sender", "UserData"))
    assert index.match(callback(2)) is records[1]
    assert index.match(callback(3)) is None


def test_matching_is_linear() -> None:
    """20,000 x 20,000 in well under a second (the benchmark measures 100,000 x 100,000)."""
    size = 20_000
    payloads = [callback(n % 100, UserData=f"U{n}") for n in range(size)]
    records = [record(n + 1, p) for n, p in enumerate(payloads)]
    load = prepared(payloads)
    started = time.perf_counter()
    plan = build_plan(load, records, "t")
    elapsed = time.perf_counter() - started
    assert plan.summary["exists"] == size
    assert elapsed < 1.0
