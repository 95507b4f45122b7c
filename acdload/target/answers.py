"""Reading the jtel API's answers as documented, and nothing else.

Every answer acdload uses is a JSON object whose ``records`` is a list of objects, each
with an ``ID`` that is a positive 32-bit integer. A server, a proxy or a login page in
front of one can answer anything instead: HTML with status 200, truncated JSON, records
that are not objects, IDs like ``true`` (which Python would take for 1) or ``"12a"``.
Such an answer must never pass for an empty server (plan would create everything again)
or for a successful create, so it is refused here with a reason the caller puts in its
message, in one place for every reader.
"""

from __future__ import annotations

import json
from typing import Any

from acdload.safetext import QUOTE_LIMIT, server_text

Record = dict[str, Any]

MAX_ID = 2**31 - 1
"""jtel IDs are 32-bit database keys: a larger number never names a real event."""


class MalformedAnswer(ValueError):
    """An answer that is not what the API documents; the message says what is wrong."""


NOT_UTF8 = "not UTF-8 text"
LONG_NUMBER = "a number too large to read"
TOO_DEEP = "JSON nested too deeply to read"
NO_RECORDS = 'no "records" list'


def not_json(start: bytes) -> MalformedAnswer:
    """The error for a body that is not JSON, quoting how it ``start``s."""
    return MalformedAnswer(f"not JSON: {snippet(start.decode('utf-8', 'replace'))}")


def not_a_list(kind: str) -> MalformedAnswer:
    """The error for a ``records`` that is ``kind`` ("a JSON object") instead of a list."""
    return MalformedAnswer(f'"records" is {kind}, not a list')


def valid_id(value: Any) -> int | None:
    """``value`` when it is an ID the server could have given (an int from 1 to
    :data:`MAX_ID`, not a bool), else None."""
    if type(value) is int and 0 < value <= MAX_ID:
        return value
    return None


def snippet(text: str) -> str:
    """A short, quoted, escaped and scrubbed piece of what a server sent."""
    return f"'{server_text(text, QUOTE_LIMIT)}'"


_KINDS = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
_EVENT_KINDS = {
    "start_map": "object",
    "start_array": "array",
    "string": "string",
    "boolean": "boolean",
    "null": "null",
    "number": "number",
}


def _kind(value: Any) -> str:
    return "a JSON " + _KINDS.get(type(value), "number")


def event_kind(event: str) -> str:
    """What the JSON value that starts with an ijson ``event`` is, in the words of
    :func:`parse_records`' messages ("a JSON array")."""
    return "a JSON " + _EVENT_KINDS[event]


def _shown(value: Any) -> str:
    """A JSON value as a message shows it: strings quoted and escaped, the rest as JSON."""
    if isinstance(value, str):
        return snippet(value)
    return server_text(json.dumps(value), QUOTE_LIMIT)


def parse_records(content: bytes) -> list[Record]:
    """The records of an answer body; :class:`MalformedAnswer` unless it is a JSON object
    with a ``records`` list of objects that each carry a valid ``ID``."""
    try:
        body = json.loads(content)
    except json.JSONDecodeError:
        raise not_json(content) from None
    except UnicodeDecodeError:
        raise MalformedAnswer(NOT_UTF8) from None
    except ValueError:  # the only other ValueError json raises: int() refusing 4,300+ digits
        raise MalformedAnswer(LONG_NUMBER) from None
    except RecursionError:
        raise MalformedAnswer(TOO_DEEP) from None
    if not isinstance(body, dict):
        raise MalformedAnswer(f"{_kind(body)}, not an object")
    records = body.get("records")
    if records is None:
        raise MalformedAnswer(NO_RECORDS)
    if not isinstance(records, list):
        raise not_a_list(_kind(records))
    for number, record in enumerate(records, start=1):
        check_record(number, record)
    return records


def check_record(number: int, record: Any) -> None:
    """:class:`MalformedAnswer` unless ``record`` (the ``number``-th) is an object with a
    valid ``ID``; the streamed list (``event_list``) checks its records with this too."""
    if not isinstance(record, dict):
        raise MalformedAnswer(f"record {number} is {_kind(record)}, not an object")
    if "ID" not in record:
        raise MalformedAnswer(f"record {number} has no ID")
    if valid_id(record["ID"]) is None:
        raise MalformedAnswer(
            f"record {number} has ID {_shown(record['ID'])}, not a positive integer up to {MAX_ID}"
        )
