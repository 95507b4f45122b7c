"""The event list, read as it arrives: one pass over the body, only what is asked kept.

The jtel API has no paging: ``GET /acd/events`` answers with every event the account ever
had, about 1.1 KB of JSON each. A contact centre keeps years of closed events, so a
million of them is a gigabyte of JSON, and four gigabytes of Python objects parsed whole.
Here the body is parsed while it arrives, with ijson on its C backend (yajl2_c), and each
record goes to a sink the moment it is complete, holding only the fields the sink names:
the rest of it is never built. The sink keeps what it needs (plan: the records whose key
the load uses), so memory follows the load, not the account's history.

The answer is checked as :func:`acdload.target.answers.parse_records` checks a small one,
with the same messages: one JSON object (nothing after it), whose ``records`` is a list of
objects, each with a valid ``ID``. A bad record stops the read where it arrives. Values
nested deeper than :data:`MAX_DEPTH` are refused, and nothing here recurses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Set
from typing import Any, Protocol

import ijson

from acdload.target.answers import (
    LONG_NUMBER,
    MAX_ID,
    NO_RECORDS,
    NOT_UTF8,
    TOO_DEEP,
    MalformedAnswer,
    Record,
    check_record,
    event_kind,
    not_a_list,
    not_json,
)

CHUNK = 64 * 1024
"""Bytes per read of the body: ijson's own default; each read costs one Python call."""
MAX_DEPTH = 512
"""The deepest nesting read inside one value; a record of the API nests three levels."""
HEAD_BYTES = 1024
"""The start of the body, kept to quote in a "not JSON" message."""
_BOM = b"\xef\xbb\xbf"  # json.loads reads UTF-8 with one; yajl would call it not JSON
_OPENING = frozenset({"start_map", "start_array"})
_CLOSING = frozenset({"end_map", "end_array"})

Events = Iterator[tuple[str, Any]]
ListProgress = Callable[[int, int], None]
"""Called as the list arrives (once per piece of the body, and with the totals at its end):
bytes and records read so far."""


class RecordSink(Protocol):
    """Where the records of the list go, one by one, each as soon as it is read."""

    @property
    def fields(self) -> Set[str]:
        """The fields to keep of each record (``ID`` is always kept); the others are
        skipped without being built."""
        ...

    def add(self, record: Record) -> None: ...


def read_event_list(
    chunks: Iterable[bytes], sink: RecordSink, progress: ListProgress | None = None
) -> int:
    """Read the list answer arriving in ``chunks`` into ``sink``; the number of records.

    Raises :class:`MalformedAnswer` (saying what is wrong) unless it is the documented
    answer. Whatever reading ``chunks`` raises (a dropped connection) goes through as is.
    """
    return _ListReader(chunks, sink, progress).run()


class _ListReader:
    """One read of the list: the body as a file for ijson, and the walk over its events."""

    def __init__(
        self, chunks: Iterable[bytes], sink: RecordSink, progress: ListProgress | None
    ) -> None:
        self._chunks = iter(chunks)
        self._sink = sink
        self._progress = progress
        self.head = b""
        self.bytes_read = 0
        self.records = 0

    def read(self, size: int = -1) -> bytes:
        """The next piece of the body (ijson takes pieces of any length); b"" at its end."""
        if size == 0:
            return b""  # ijson asks for nothing first, to learn that this file gives bytes
        for chunk in self._chunks:
            if not self.bytes_read and chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
            if len(self.head) < HEAD_BYTES:
                self.head += chunk[: HEAD_BYTES - len(self.head)]
            self.bytes_read += len(chunk)
            if self._progress is not None:
                self._progress(self.bytes_read, self.records)
            if chunk:
                return chunk
        return b""

    def run(self) -> int:
        # Numbers come as int and float, as json.loads makes them, and yajl itself refuses
        # one beyond 64 bits: with use_float=False ijson 3 makes Python ints of the digits,
        # and one of more than 4,300 digits (which Python refuses) split across two reads
        # crashes its C backend.
        events = ijson.basic_parse(self, buf_size=CHUNK, use_float=True)
        try:
            self._answer(events)
        except ijson.JSONError as exc:
            raise self._refusal(str(exc).partition("\n")[0]) from None  # later lines quote the body
        except StopIteration:  # the parser ended before the answer did
            raise self._refusal("") from None
        if self._progress is not None:
            self._progress(self.bytes_read, self.records)  # the totals
        return self.records

    def _refusal(self, error: str) -> MalformedAnswer:
        """What a parse ``error`` of yajl says about the answer, in parse_records' words."""
        if "invalid bytes in UTF8 string" in error:
            return MalformedAnswer(NOT_UTF8)
        if "overflow" in error:  # an integer beyond 64 bits, or a float beyond 1e308
            return MalformedAnswer(LONG_NUMBER)
        for chunk in self._chunks:  # quote as much of the start as a message shows
            if len(self.head) >= HEAD_BYTES:
                break
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        return not_json(self.head)

    def _answer(self, events: Events) -> None:
        """The whole answer: one object with one ``records`` list, and nothing after it."""
        event, _ = next(events)
        if event != "start_map":
            self._skip(event, events)  # the whole value first: is it JSON at all?
            self._end(events)
            raise MalformedAnswer(f"{event_kind(event)}, not an object")
        listed = False
        for event, name in events:
            if event == "end_map":
                break
            event, _ = next(events)  # the value of the member ``name``
            if name != "records":
                self._skip(event, events)
            elif listed:
                raise MalformedAnswer('"records" is given twice')
            elif event == "start_array":
                listed = True
                self._records(events)
            elif event == "null":
                raise MalformedAnswer(NO_RECORDS)
            else:
                raise not_a_list(event_kind(event))
        if not listed:
            raise MalformedAnswer(NO_RECORDS)
        self._end(events)

    def _records(self, events: Events) -> None:
        """The ``records`` list, each record to the sink with the fields it keeps.

        This loop runs once per field of every event of the account (30 million times for
        a million events), so it does as little as it can for the fields it skips.
        """
        fields = frozenset(self._sink.fields) | {"ID"}
        add = self._sink.add
        for number, (event, value) in enumerate(events, start=1):
            if event == "end_array":
                return
            if event != "start_map":
                raise MalformedAnswer(f"record {number} is {event_kind(event)}, not an object")
            record: Record = {}
            name = ""
            for event, value in events:
                if event == "map_key":
                    name = value
                elif event == "end_map":
                    break
                elif name in fields:
                    if event in _OPENING:
                        value = self._build(event, events)
                    record[name] = value
                elif event in _OPENING:
                    self._skip(event, events)
            ident = record.get("ID")
            if type(ident) is not int or not 0 < ident <= MAX_ID:
                check_record(number, record)  # raises, saying what is wrong with the ID
            add(record)
            self.records = number

    def _skip(self, event: str, events: Events) -> None:
        """Read past the value that starts with ``event``, building nothing of it."""
        if event not in _OPENING:
            return
        depth = 1
        for event, _ in events:
            if event in _OPENING:
                depth += 1
                if depth > MAX_DEPTH:
                    raise MalformedAnswer(TOO_DEEP)
            elif event in _CLOSING:
                depth -= 1
                if not depth:
                    return

    def _build(self, event: str, events: Events) -> Any:
        """The object or array that starts with ``event``, as json.loads would make it."""
        root: Any = {} if event == "start_map" else []
        stack = [root]
        name = ""
        for event, value in events:
            if event == "map_key":
                name = value
                continue
            if event in _CLOSING:
                stack.pop()
                if not stack:
                    break
                continue
            if event == "start_map":
                value = {}
            elif event == "start_array":
                value = []
            top = stack[-1]
            if type(top) is dict:
                top[name] = value
            else:
                top.append(value)
            if event in _OPENING:
                stack.append(value)
                if len(stack) > MAX_DEPTH:
                    raise MalformedAnswer(TOO_DEEP)
        return root

    def _end(self, events: Events) -> None:
        """Read to the end of the body: anything after the answer makes it not JSON (the
        parser raises on it)."""
        if next(events, None) is not None:
            raise not_json(self.head)
