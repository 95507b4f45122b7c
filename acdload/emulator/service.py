"""What the emulated server does, apart from HTTP: groups, duplicates, answer bodies.

Answers are built as JSON text around the stored record text, so a list of many events
costs a join, not a decode and re-encode of every record; the list is built in pieces
as its records are read, never whole.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass

from acdload.emulator.config import MAX_ID, GroupsConfig
from acdload.emulator.records import (
    NEW_STATUS,
    append_comment,
    build_record,
    event_types,
    timestamp,
)
from acdload.emulator.store import DuplicateKey, EventStore, Record
from acdload.emulator.validation import CreateRequest, ValidationError, validate_create

__all__ = ["EventService", "ResolvedCreate", "error_body"]


def error_body(status: int, message: str) -> bytes:
    """The documented error body: ``{"status": 400, "error": "reason text"}``."""
    return json.dumps({"status": status, "error": message}).encode()


_LIST_HEAD = b'{"filter": "", "limitStart": 0, "limitPageSize": -1, "records": ['
_LIST_TAIL = '"orderBy": "dtCreated", "ascending": true, "status": 200}'


def _one_record(record_json: str) -> bytes:
    return f'{{"records": [{record_json}], "count": 1, "status": 200}}'.encode()


@dataclass(frozen=True)
class ResolvedCreate:
    """A valid create with its target group settled, ready to be stored."""

    request: CreateRequest
    request_json: str
    group_id: int
    no_duplicates: bool


class EventService:
    """The events of one client account, and the answers the API gives about them."""

    def __init__(self, store: EventStore, client_id: int, groups: GroupsConfig | None) -> None:
        self._store = store
        self._client_id = client_id
        self._groups = groups

    def resolve(self, payload: object) -> ResolvedCreate:
        """Validate a decoded create body against the rules and the known groups.

        Raises :class:`ValidationError` (answered 400) for anything the server refuses.
        """
        request = validate_create(payload)
        group_id = self._target_group(request)
        no_duplicates = self._groups is not None and self._groups.groups[group_id]
        return ResolvedCreate(request, json.dumps(payload), group_id, no_duplicates)

    def _target_group(self, request: CreateRequest) -> int:
        groups = self._groups
        if request.group_id is not None:
            if groups is not None and request.group_id not in groups.groups:
                raise ValidationError("AcdGroupsID", f"there is no ACD group {request.group_id}")
            return request.group_id
        configuration, agent = request.configuration_group_id, request.agent_group_id
        assert configuration is not None and agent is not None  # validate_create saw to it
        if groups is None:
            # Without a groups file there is no mapping: the agent group named is it.
            return agent
        if configuration not in groups.configuration_groups:
            raise ValidationError(
                "AcdConfigurationGroupsID", f"there is no configuration group {configuration}"
            )
        if agent not in groups.groups:
            raise ValidationError("AcdAgentGroupsID", f"there is no agent group {agent}")
        # A configuration group hands its events to its primary agent group.
        return groups.configuration_groups[configuration]

    def create(self, create: ResolvedCreate) -> bytes:
        """Store the event (or update its duplicate) and return the answer body."""
        request = create.request
        key = DuplicateKey(
            client_id=self._client_id,
            event_type=request.event_type,
            group_id=create.group_id,
            sender=request.sender,
            user_data=request.user_data,
            open_status=NEW_STATUS,
        )

        def build(event_id: int) -> Record:
            return build_record(event_id, request, create.group_id, _now())

        def add_comment(record: Record) -> Record:
            stamp = _now()
            record["EventData"] = append_comment(
                record["EventData"], f"Duplicate create request: {request.subject}", stamp
            )
            record["dtModified"] = record["dtLastModified"] = stamp
            return record

        stored = self._store.create(
            key, create.request_json, build, add_comment if create.no_duplicates else None
        )
        if stored.updated:
            return _one_record(json.dumps({**stored.record, "Result_": "UPDATED"}))
        return _one_record(stored.record_json)

    def list_chunks(self) -> Generator[bytes, None, None]:
        """The list answer in pieces, made as the records are read: bounded memory at any size.

        The pieces joined are the whole document, fields in the documented order;
        ``count`` comes after ``records``, so it is counted on the way. Which events
        the list holds is settled here, before the first piece (see ``record_batches``).
        """
        return _list_document(self._store.record_batches(self._client_id))

    def event_body(self, event_id: int) -> bytes | None:
        """The one-record answer for an event, or ``None`` when there is none."""
        if not 1 <= event_id <= MAX_ID:
            return None
        record = self._store.record_json(self._client_id, event_id)
        return None if record is None else _one_record(record)

    @staticmethod
    def types_body() -> bytes:
        types = event_types()
        return json.dumps({"records": types, "count": len(types), "status": 200}).encode()


def _list_document(batches: Iterator[list[str]]) -> Generator[bytes, None, None]:
    yield _LIST_HEAD
    count = 0
    for batch in batches:
        text = ", ".join(batch)
        yield (f", {text}" if count else text).encode()
        count += len(batch)
    yield f'], "count": {count}, {_LIST_TAIL}'.encode()


def _now() -> str:
    return timestamp(datetime.datetime.now())
