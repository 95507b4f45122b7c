"""A large account in seconds: realistic events written straight into a database file.

Benchmarks need accounts of 100k to a million events, years of history as a contact
centre keeps it; a million creates over HTTP would take minutes. ``seed_events`` builds
the same records a create would (the create body goes through the server's own
validation and record builder), dates them over the three years before ``SEEDED_UNTIL``
and closes most of them, and inserts them all in one transaction.

The events are a function of ``count`` and ``seed`` alone: the same arguments give the
same database, byte for byte in its records.
"""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Iterator
from pathlib import Path

from acdload.emulator.config import MAX_ID
from acdload.emulator.records import build_record, timestamp
from acdload.emulator.store import EventStore, SeedRow, StoreError
from acdload.emulator.validation import CALLBACK, EVENT_TYPES, TICKET, validate_create

__all__ = ["CLOSED_STATUS", "SEEDED_UNTIL", "SeedError", "seed_events"]

# jtel documents neither its status IDs nor a close function; the emulator treats every
# status but NEW_STATUS as not open, and the seeder uses this one for closed events.
CLOSED_STATUS = 2
# Seeded events are dated before this moment, so events created later sort after them.
SEEDED_UNTIL = datetime.datetime(2026, 1, 1)
_SPAN = datetime.timedelta(days=3 * 365)
_OPEN_SHARE = 0.15
_BY_MAIL = frozenset({5, TICKET})  # Email and Ticket: the Sender is a mail address

# (type, weight): mostly callbacks, as in the projects acdload serves.
_TYPES = ((3, 60), (6, 14), (5, 10), (1, 8), (4, 6), (2, 2))
_GROUPS = (235, 235, 235, 300, 300, 34, 41, 52)
# (country and area code, digits after it): numbers of a length in use in each range.
_PHONE_RANGES = (
    ("49151", 8),
    ("49160", 7),
    ("49170", 7),
    ("49176", 8),
    ("4930", 8),
    ("4989", 8),
    ("43664", 7),
)
_REASONS = (
    "contract renewal",
    "invoice question",
    "move date",
    "technical fault reported by phone",
    "cancellation, wants to talk to a supervisor",
    "new tariff, asked for an offer",
)
_NAMES = ("Anna Schmidt", "Jonas Weber", "Eva Huber", "Murat Yilmaz", "Lena Fischer", "Piotr Nowak")
_TEAMS = ("Service Desk", "Billing", "Retention", "Field Service")


class SeedError(ValueError):
    """The database cannot be seeded; the message says why and what to do."""


def seed_events(db: Path, count: int, *, seed: int = 1, client_id: int = 1000) -> int:
    """Write ``count`` events of account ``client_id`` into the new or empty file ``db``.

    Returns the number written. Raises :class:`SeedError` for a count out of range or a
    file that cannot be used (not SQLite, not writable, already holding events).
    """
    if not 1 <= count <= MAX_ID:
        raise SeedError(f"--count must be between 1 and {MAX_ID}, got {count}")
    if not 1 <= client_id <= MAX_ID:
        raise SeedError(f"--client-id must be a positive integer, got {client_id}")
    try:
        store = EventStore(db)
    except StoreError as err:
        raise SeedError(str(err)) from err
    try:
        return store.seed(_rows(count, seed, client_id))
    except StoreError as err:
        raise SeedError(f"cannot seed {db}: {err}") from err
    finally:
        store.close()


def _rows(count: int, seed: int, client_id: int) -> Iterator[SeedRow]:
    rng = random.Random(seed)
    types = [type_id for type_id, weight in _TYPES for _ in range(weight)]
    customers = max(count // 3, 1)  # a customer calls about three times in three years
    start = SEEDED_UNTIL - _SPAN
    step = _SPAN / count
    for event_id in range(1, count + 1):
        event_type = rng.choice(types)
        group_id = rng.choice(_GROUPS)
        payload = _payload(rng, event_id, event_type, group_id, rng.randrange(customers))
        request = validate_create(payload)  # the server's own rules: a create it accepts
        created = start + step * (event_id - 1)
        record = build_record(event_id, request, group_id, timestamp(created))
        if rng.random() >= _OPEN_SHARE:
            closed = timestamp(created + datetime.timedelta(minutes=rng.randrange(5, 20_000)))
            record["AcdEventStatusID"] = CLOSED_STATUS
            record["dtModified"] = record["dtLastModified"] = closed
        yield SeedRow(
            id=event_id,
            client_id=client_id,
            type_id=event_type,
            group_id=group_id,
            sender=request.sender,
            user_data=request.user_data,
            status_id=record["AcdEventStatusID"],
            request=json.dumps(payload),
            record=json.dumps(record),
        )


def _payload(
    rng: random.Random, event_id: int, event_type: int, group_id: int, customer: int
) -> dict[str, object]:
    """A create body as a client would send it for this customer."""
    by_mail = event_type in _BY_MAIL
    if by_mail:
        sender = f"customer{customer}@example.com"
    else:
        prefix, digits = _PHONE_RANGES[customer % len(_PHONE_RANGES)]
        sender = f"{prefix}{10 ** (digits - 1) + customer}"
    name = _NAMES[customer % len(_NAMES)]
    payload: dict[str, object] = {
        "AcdEventTypesID": event_type,
        "AcdGroupsID": group_id,
        "Sender": sender,
        "Receiver": "support@example.com" if by_mail else "4930901820",
        "CrmURL": f"https://crm.example.com/customers/K-{customer}",
        "UserData": f"{'T' if event_type == TICKET else 'CB'}-{event_id}",
    }
    reason = rng.choice(_REASONS)
    if event_type == CALLBACK:
        payload["Subject"] = f"Callback request from {sender}: {reason}"
        payload["Body"] = (
            f"Please call back {name} for the {rng.choice(_TEAMS)}.\n"
            f"Reason: {reason}\nCustomer number K-{customer}; best reached in the morning."
        )
    else:
        payload["Subject"] = f"{EVENT_TYPES[event_type]} from {name}: {reason}"
    if rng.random() < 0.1:
        payload["UsersID"] = rng.randrange(1, 60)
    return payload
