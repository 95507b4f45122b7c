"""The three functions and the types list answer as the jtel reference describes."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
import requests

from tests.emulator.helpers import (
    CALLBACK,
    SEED_REQUESTS,
    check_shape,
    create,
    get,
    records,
    seed_example,
)
from tests.emulator_support import RunningEmulator

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}")


@pytest.mark.parametrize("name", SEED_REQUESTS)
def test_seed_example_requests_are_accepted_verbatim(emulator: RunningEmulator, name: str) -> None:
    answer = create(emulator, seed_example(name))
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    document = answer.json()
    check_shape("create", document)
    sent = json.loads(seed_example(name))
    record = document["records"][0]
    for field in ("AcdEventTypesID", "AcdGroupsID", "UsersID", "Sender", "Receiver", "Subject"):
        assert record[field] == sent[field]
    assert record["AcdEventStatusID"] == 1
    assert "Result_" not in record


def test_ticket_answer_matches_the_seed_example_response(emulator: RunningEmulator) -> None:
    """Field for field, the seed's example response, except what is the server's to pick."""
    expected = json.loads(seed_example("create-response.json"))
    actual = create(emulator, seed_example("create-ticket.json")).json()
    own = ("ID", "dtCreated", "dtModified", "dtLastModified")
    assert list(actual) == list(expected)
    assert list(actual["records"][0]) == list(expected["records"][0])  # same fields, same order
    assert {k: v for k, v in actual["records"][0].items() if k not in own} == {
        k: v for k, v in expected["records"][0].items() if k not in own
    }
    for field in own[1:]:
        assert TIMESTAMP.fullmatch(actual["records"][0][field])


def test_callback_event_data_carries_the_body_xml_escaped(emulator: RunningEmulator) -> None:
    body = 'Call <b>"Müller & Söhne"</b>\r\nsoon'
    sent = {**CALLBACK, "Body": body, "CrmURL": "https://crm.example/?a=1&b=2", "UserData": "<7>"}
    record = create(emulator, sent).json()["records"][0]
    assert record["EventData"] == (
        "<eventData><urls><url><urlPath>https://crm.example/?a=1&amp;b=2</urlPath>"
        "<displayName>&lt;7&gt;</displayName></url></urls>"
        '<body html="true">Call &lt;b&gt;"Müller &amp; Söhne"&lt;/b&gt;\r\nsoon</body></eventData>'
    )
    parsed = ET.fromstring(record["EventData"])
    assert parsed.findtext("urls/url/urlPath") == sent["CrmURL"]
    assert parsed.findtext("body") == body.replace("\r\n", "\n")  # XML normalises line ends
    assert record["ForeignSystemNumber"] is None  # only tickets have one


def test_event_data_without_crm_url_and_body(emulator: RunningEmulator) -> None:
    sent = {"AcdEventTypesID": 1, "AcdGroupsID": 5, "Sender": "4930123", "Subject": "VM"}
    record = create(emulator, sent).json()["records"][0]
    assert record["EventData"] == '<eventData><urls></urls><body html="true"></body></eventData>'
    assert record["CrmURL"] is None and record["UserData"] is None and record["Receiver"] is None


def test_list_wrapper_has_every_documented_field(emulator: RunningEmulator) -> None:
    empty = get(emulator, "/acd/events").json()
    check_shape("list", empty)
    assert empty == {
        "filter": "",
        "limitStart": 0,
        "limitPageSize": -1,
        "records": [],
        "count": 0,
        "orderBy": "dtCreated",
        "ascending": True,
        "status": 200,
    }
    created = [create(emulator, seed_example(name)).json()["records"][0] for name in SEED_REQUESTS]
    listed = get(emulator, "/acd/events?filter=ignored").json()
    check_shape("list", listed)
    assert listed["count"] == 3
    assert listed["records"] == created  # oldest first, exactly as created


def test_get_by_id(emulator: RunningEmulator) -> None:
    created = create(emulator, CALLBACK).json()["records"][0]
    answer = get(emulator, f"/acd/events/event/{created['ID']}")
    assert answer.status_code == 200
    check_shape("one-record", answer.json())
    assert answer.json() == {"records": [created], "count": 1, "status": 200}


@pytest.mark.parametrize("event_id", ["999", "0", "abc", "99999999999999999999"])
def test_unknown_event_id_is_404_with_a_reason(emulator: RunningEmulator, event_id: str) -> None:
    answer = get(emulator, f"/acd/events/event/{event_id}")
    assert answer.status_code == 404
    check_shape("error", answer.json())
    assert answer.json()["status"] == 404
    assert event_id in answer.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/rest/v1.0/1000",
        "/rest/v1.0/1000/acd",
        "/rest/v2.0/1000/acd/events",
        "/rest/v1.0/1000/acd/events/",
        "/rest/v1.0/1000/acd/events/event/",
        "/rest/v1.0/1000/x",
    ],
)
def test_unknown_paths_are_404_with_an_empty_body(emulator: RunningEmulator, path: str) -> None:
    origin = emulator.base_url.removesuffix("/rest/v1.0/1000")
    answer = requests.get(origin + path, headers=emulator.headers, timeout=10)
    assert answer.status_code == 404
    assert answer.content == b""


def test_wrong_method_is_405(emulator: RunningEmulator) -> None:
    answer = requests.post(emulator.url("/acd/events"), headers=emulator.headers, timeout=10)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET"
    answer = requests.get(emulator.url("/acd/events/create"), headers=emulator.headers, timeout=10)
    assert (answer.status_code, answer.headers["Allow"]) == (405, "POST")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
    ids=["missing", "wrong", "other-scheme", "empty"],
)
@pytest.mark.parametrize("path", ["/acd/events", "/acd/events/event/1", "/acd/events/types"])
def test_bad_token_is_401(emulator: RunningEmulator, headers: dict[str, str], path: str) -> None:
    answer = requests.get(emulator.url(path), headers=headers, timeout=10)
    assert answer.status_code == 401
    check_shape("error", answer.json())
    assert answer.json()["status"] == 401


def test_create_with_bad_token_is_401_and_stores_nothing(emulator: RunningEmulator) -> None:
    answer = create(emulator, CALLBACK, headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert records(emulator) == []


def test_wrong_client_id_is_401(emulator: RunningEmulator) -> None:
    for client in ("1001", "abc"):
        url = emulator.base_url.replace("/1000", f"/{client}") + "/acd/events"
        answer = requests.get(url, headers=emulator.headers, timeout=10)
        assert answer.status_code == 401
        assert client in answer.json()["error"]


def test_event_types(emulator: RunningEmulator) -> None:
    answer = get(emulator, "/acd/events/types")
    assert answer.status_code == 200
    check_shape("types", answer.json())
    assert answer.json() == {
        "records": [
            {"ID": 1, "ShortText": "AcdEventTypes.VoiceMail"},
            {"ID": 2, "ShortText": "AcdEventTypes.Fax"},
            {"ID": 3, "ShortText": "AcdEventTypes.Callback"},
            {"ID": 4, "ShortText": "AcdEventTypes.SMS"},
            {"ID": 5, "ShortText": "AcdEventTypes.Email"},
            {"ID": 6, "ShortText": "AcdEventTypes.Ticket"},
        ],
        "count": 6,
        "status": 200,
    }


def test_timestamps_are_local_time_with_milliseconds(emulator: RunningEmulator) -> None:
    import datetime

    before = datetime.datetime.now().replace(microsecond=0)
    record = create(emulator, CALLBACK).json()["records"][0]
    after = datetime.datetime.now()
    created = datetime.datetime.fromisoformat(record["dtCreated"])
    assert before <= created <= after
    assert record["dtCreated"] == record["dtModified"] == record["dtLastModified"]


def test_keep_alive_connection_serves_many_requests(emulator: RunningEmulator) -> None:
    with requests.Session() as session:
        session.headers.update(emulator.headers)
        for _ in range(5):
            answer = session.post(emulator.url("/acd/events/create"), json=CALLBACK, timeout=10)
            assert answer.status_code == 200
            assert answer.headers.get("Connection") != "close"
        # an error answer that read the whole body keeps the connection usable too
        assert (
            session.post(emulator.url("/acd/events/create"), json={}, timeout=10).status_code == 400
        )
        assert session.get(emulator.url("/acd/events"), timeout=10).json()["count"] == 5
