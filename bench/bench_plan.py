"""How long ``acdload plan`` takes for 100,000 events against 100,000 server events.

The time is broken down the way the plan runs:

- fetch: one ``GET /acd/events`` of the whole list (the server has no paging), served by a
  local ``http.server`` process on 127.0.0.1 that answers a pre-built list body;
- parse: ``json.loads`` of that body;
- match: one full ``build_plan`` (index the records by key, then one lookup and one
  field comparison per event) on a generated Prepared-like load, and on its own the
  index build.

The load is callbacks with a Body, unique Sender and UserData. 90% of the events exist
on the server (one in twenty of those with another Subject: drift), 10% are new; one
server record in ten belongs to nothing in the load. Records have the seed's full shape,
EventData included, so Body is parsed out of every matched record. The manifest payloads
are generated directly: reading YAML is the validate benchmark's business.

Matching must take well under a second at full size (the target is 1 s; exit 1 when it
is missed). Figures go to bench/results/plan.json.

    python bench/bench_plan.py            # 100,000 x 100,000
    python bench/bench_plan.py --quick    # 10,000 x 10,000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from servers import serve_answer, server_process  # noqa: E402

from acdload.planning.matching import RecordIndex, build_plan  # noqa: E402
from acdload.target.client import JtelClient  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "plan.json"
KEY = ("AcdEventTypesID", "Sender", "UserData")
TARGET_MATCH_S = 1.0
REPEATS = 5  # best of five: other work on a shared machine only ever adds time


# -- the generated load and server -----------------------------------------------------


def payload(n: int) -> dict[str, Any]:
    sender = f"49170{n:07d}"
    return {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": sender,
        "Receiver": "4930901820",
        "Subject": f"Callback request from {sender} on 2027.03.01 at 09:00",
        "Body": f"Please call back Customer {n} for the Service Desk.\nReason: contract & <renewal>\n",
        "CrmURL": f"https://crm.example.com/case/{n}",
        "UserData": f"CB-{n}",
        "dtAppointmentDate": "2027-03-01",
        "dtAppointmentTime": "09:00",
    }


def record(event_id: int, sent: dict[str, Any]) -> dict[str, Any]:
    """What the jtel server returns for a created event: the seed's field set and order."""
    crm, user = str(sent["CrmURL"]), str(sent["UserData"])
    url = f"<url><urlPath>{escape(crm)}</urlPath><displayName>{escape(user)}</displayName></url>"
    stamp = "2026-11-28T09:00:00.000"
    return {
        "SkillsValue2": None,
        "SkillsValue1": None,
        "ChatConnectorsID": None,
        "UserData": user,
        "SkillsValue3": None,
        "dtReceived": None,
        "AcdGroupsID": sent["AcdGroupsID"],
        "dtRemind": None,
        "EventData": f'<eventData><urls>{url}</urls><body html="true">'
        f"{escape(sent.get('Body') or '')}</body></eventData>",
        "AcdWorkFlowConnectorsID": None,
        "AcdInboxesID": None,
        "ID": event_id,
        "LastAgentTime": 0,
        "CrmURL": crm,
        "WorkFlowMonitorPointsID": None,
        "AcdReplyingTypesID": None,
        "AcdEventTypesID": sent["AcdEventTypesID"],
        "dtModified": stamp,
        "bCloseByForeignSystem": False,
        "Receiver": sent.get("Receiver"),
        "Subject": sent["Subject"],
        "UsersID": sent.get("UsersID"),
        "Sender": sent["Sender"],
        "ForeignSystemNumber": None,
        "dtCreated": stamp,
        "UserData2": None,
        "UserData3": None,
        "SkillsID3": None,
        "SkillsID1": None,
        "SkillsID2": None,
        "AcdEventStatusID": 1,
        "dtLastModified": stamp,
    }


def generate(size: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``size`` payloads and ``size`` server records (90% match, 10% unrelated)."""
    payloads = [payload(n) for n in range(size)]
    records: list[dict[str, Any]] = []
    for n, sent in enumerate(payloads):
        if n % 10 == 0:
            continue  # 10% not on the server: create
        if n % 20 == 1:
            sent = {**sent, "Subject": "an older wording"}  # drift
        records.append(record(len(records) + 1, sent))
    for n in range(size, size + size - len(records)):
        records.append(record(len(records) + 1, payload(n)))  # someone else's events
    return payloads, records


@dataclass
class Manifest:
    key: tuple[str, ...] = KEY


@dataclass
class Event:
    index: int
    file: str
    line: int
    manifest: Manifest


@dataclass
class Load:
    events: list[Event] = field(default_factory=list)


@dataclass
class PreparedLike:
    """What ``build_plan`` reads of ``pipeline.Prepared``."""

    load: Load
    payloads: list[dict[str, Any]]


def prepared(payloads: list[dict[str, Any]]) -> PreparedLike:
    manifest = Manifest()
    events = [Event(i, "campaign.csv", i + 2, manifest) for i in range(len(payloads))]
    return PreparedLike(Load(events), payloads)


@contextmanager
def list_server(records: list[dict[str, Any]]) -> Iterator[tuple[str, int]]:
    """A server process answering the list of ``records``; yields its URL and body size."""
    body = json.dumps(
        {
            "filter": "",
            "limitStart": 0,
            "limitPageSize": -1,
            "records": records,
            "count": len(records),
            "orderBy": "dtCreated",
            "ascending": True,
            "status": 200,
        }
    ).encode()
    with tempfile.TemporaryDirectory() as scratch:
        body_file = Path(scratch) / "list.json"
        body_file.write_bytes(body)
        with server_process([sys.executable, __file__, "--serve", str(body_file)]) as url:
            yield url, len(body)


# -- measuring -------------------------------------------------------------------------


def timed(function: Callable[[], Any], repeats: int = REPEATS) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times, result


def figures(times: list[float]) -> dict[str, float]:
    return {"best_s": round(min(times), 4), "median_s": round(statistics.median(times), 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 x 10,000 instead")
    parser.add_argument("--size", type=int, default=None, help="events (and records)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_answer(Path(args.serve).read_bytes())
        return 0
    size = args.size or (10_000 if args.quick else 100_000)

    payloads, records = generate(size)
    load = prepared(payloads)
    with list_server(records) as (url, body_bytes):
        session = requests.Session()

        def fetch() -> bytes:
            answer = session.get(url + "/acd/events", timeout=120)
            answer.raise_for_status()
            return answer.content

        fetch_times, body = timed(fetch)
        session.close()
        parse_times, listed = timed(lambda: json.loads(body)["records"])
        with JtelClient(url, "bench-token") as client:
            client_times, _ = timed(
                lambda: client.list_events(lambda: RecordIndex.of_load(load))  # type: ignore[arg-type]
            )
    index_times, _ = timed(lambda: RecordIndex.build(listed, KEY))
    match_times, plan = timed(lambda: build_plan(load, listed, url))  # type: ignore[arg-type]
    summary = plan.summary
    expected_create = (size + 9) // 10
    assert summary["create"] == expected_create, summary
    assert summary["drift"] == len(range(1, size, 20)), summary

    match_best = min(match_times)
    result = {
        "events": size,
        "records": len(listed),
        "list_body_bytes": body_bytes,
        "summary": summary,
        "fetch": figures(fetch_times),
        "parse": figures(parse_times),
        "client_list_events": figures(client_times),
        "index": figures(index_times),
        "match": figures(match_times),
        "match_per_event_us": round(match_best / size * 1e6, 3),
        "target_match_s": TARGET_MATCH_S if size >= 100_000 else None,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"{size:,} events x {len(listed):,} records ({body_bytes / 1e6:.1f} MB list): "
        f"fetch {min(fetch_times):.3f} s, parse {min(parse_times):.3f} s, "
        f"match {match_best:.3f} s (index {min(index_times):.3f} s; "
        f"{result['match_per_event_us']} µs per event); "
        f"JtelClient.list_events {min(client_times):.3f} s. "
        f"{summary['create']} create, {summary['exists']} exists, {summary['drift']} drift. "
        f"-> {RESULTS.relative_to(ROOT)}"
    )
    if size >= 100_000 and match_best >= TARGET_MATCH_S:
        print(f"match took {match_best:.3f} s, over the {TARGET_MATCH_S} s target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
