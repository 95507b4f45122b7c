"""What acdload apply costs on top of the round trips it cannot avoid, measured in one run.

In-order submission is bounded by one round trip per event, so acdload's own work per
event (journal lines flushed before and after every create, the progress observer, the
report) must stay small next to it. Each measurement gets a fresh emulator process
(in-memory database) on 127.0.0.1, so each starts empty:

(a) ``acdload.apply`` (the public API: the lock, the list read, the plan, the event types
    check, every create journaled, an ``on_result`` callback and the JSON report; reading
    the CSV manifest with ``acdload.load`` beforehand is not timed) against a bare loop of
    ``requests.Session().post`` sending the same payloads: target >= 0.85;
(b) the same against a bare ``http.client`` keep-alive loop (reported, no target); and
    against a ``requests`` loop whose session reads the environment once, as
    ``JtelClient``'s does: the difference is acdload's own cost per event;
(c) with the emulator at ``--latency-ms 20``: acdload's rate against the ideal of one
    event per round trip, the round trip measured with the bare ``http.client`` loop on
    the same emulator (and, for reference, against 1 / 20 ms): target >= 0.95;
(d) peak memory (``VmHWM``) of a whole apply (``acdload.load`` then ``acdload.apply``,
    as the ``acdload apply`` command runs them) in a child process at two load sizes; the
    growth per event beyond a fixed base: target <= about 3 KB per event.
(e)-(g) ``--parallel 8`` against ``--parallel 1`` at 20 ms; 5,000 creates at 50 ms
    extrapolated to 100,000; dropped creates against a seeded 300,000-event account against
    the same apply with no faults (bench/apply_scale.py says how, and the targets).

Throughput figures are the best of ``--repeat`` runs (methods interleaved). Figures go to
bench/results/apply.json; exit 1 when a target is missed.

    python bench/bench_apply.py              # 5,000 creates; memory at 5,000 and 50,000
    python bench/bench_apply.py --quick      # 1,000 creates; memory at 1,000 and 5,000;
                                             # (e)-(g) at 200 / 500 creates, 30,000 seeded
    python bench/bench_apply.py --profile    # also: cProfile of one acdload run
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import http.client
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import apply_scale  # noqa: E402
import requests  # noqa: E402
from servers import server_process  # noqa: E402

import acdload  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "apply.json"
TOKEN = "bench-token"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # before every appointment of the load
LATENCY_MS = 20
TARGET_VS_REQUESTS = 0.85
TARGET_VS_ROUND_TRIP = 0.95
TARGET_KB_PER_EVENT = 3.0


def payload(number: int) -> dict[str, Any]:
    """A callback as ``acdload render`` makes it (phone normalised, texts filled in)."""
    return {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": f"49170{1000000 + number}",
        "Receiver": "4930901820",
        "Subject": f"Callback request from 49170{1000000 + number} on 2027.03.01 at 09:00",
        "Body": f"Please call back customer {number} for the Service Desk.\r\nReason: invoice",
        "CrmURL": f"https://crm.example.com/customers/K-{number}",
        "UserData": f"K-{number}",
        "nPriority": 50,
        "dtAppointmentDate": "2027-03-01",
        "dtAppointmentTime": "09:00",
    }


def emulator(*options: str) -> AbstractContextManager[str]:
    """A fresh emulator process (in-memory database); yields its base URL."""
    return server_process([sys.executable, "-m", "acdload.emulator", "--token", TOKEN, *options])


def count_events(base_url: str) -> int:
    with requests.Session() as session:
        answer = session.get(
            base_url + "/acd/events", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
        )
        return int(answer.json()["count"])


def check_stored(base_url: str, count: int, name: str) -> None:
    """A run that left the server with other than ``count`` events measured nothing."""
    stored = count_events(base_url)
    if stored != count:
        raise RuntimeError(f"{name}: the emulator holds {stored} events, not {count}")


# -- the three clients -------------------------------------------------------------------


def write_load(directory: Path, payloads: Sequence[dict[str, Any]]) -> Path:
    """The payloads as a standalone CSV manifest (what ``acdload render`` gives back)."""
    manifest = directory / "load.csv"
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(payloads[0]))
        writer.writeheader()
        writer.writerows(payloads)
    return manifest


def timed_apply(
    base_url: str, payloads: list[dict[str, Any]], **options: Any
) -> tuple[float, acdload.Run]:
    """Seconds of ``acdload.apply`` creating ``payloads`` (JSON report included), and its run.

    ``options`` go to ``acdload.apply`` (``parallel``); every event must come out created.
    """
    with tempfile.TemporaryDirectory() as scratch:
        load = acdload.load([str(write_load(Path(scratch), payloads))], now=NOW)
        if not load.valid or len(load.events) != len(payloads):
            raise RuntimeError(f"acdload: the generated load is not valid: {load.problems[:3]}")
        outcomes: Counter[str] = Counter()
        started = time.perf_counter()
        run = acdload.apply(
            load,
            acdload.Target(base_url, TOKEN),
            state_dir=scratch,
            report=str(Path(scratch) / "report.json"),
            on_result=lambda result: outcomes.update((result.outcome,)),
            **options,
        )
        seconds = time.perf_counter() - started
    failed = [r for r in run.results if r.outcome != "created"]
    if failed or outcomes["created"] != len(payloads):
        raise RuntimeError(f"acdload: {len(failed)} events not created: {failed[:1]}")
    return seconds, run


def run_acdload(base_url: str, payloads: list[dict[str, Any]]) -> float:
    """Seconds of ``acdload.apply`` creating ``payloads`` in strict order (parallel 1)."""
    return timed_apply(base_url, payloads)[0]


def run_requests(base_url: str, payloads: list[dict[str, Any]], trust_env: bool = True) -> float:
    """Seconds for a bare ``requests.Session().post`` loop sending the same payloads."""
    url = base_url + "/acd/events/create"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with requests.Session() as session:
        session.trust_env = trust_env
        started = time.perf_counter()
        for item in payloads:
            answer = session.post(url, data=json.dumps(item).encode(), headers=headers, timeout=30)
            if answer.status_code != 200:
                raise RuntimeError(f"requests: create answered {answer.status_code}")
        return time.perf_counter() - started


def run_http_client(base_url: str, payloads: list[dict[str, Any]]) -> float:
    """Seconds for a bare ``http.client`` keep-alive loop sending the same payloads."""
    parts = urlsplit(base_url)
    path = parts.path + "/acd/events/create"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        started = time.perf_counter()
        for item in payloads:
            connection.request("POST", path, json.dumps(item).encode(), headers)
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"http.client: create answered {answer.status}")
        return time.perf_counter() - started
    finally:
        connection.close()


CLIENTS: dict[str, Callable[[str, list[dict[str, Any]]], float]] = {
    "acdload apply": run_acdload,
    "requests loop": run_requests,
    # The session as JtelClient sets it up: the environment read once, not per request.
    "requests, trust_env off": lambda url, payloads: run_requests(url, payloads, False),
    "http.client loop": run_http_client,
}


def best_rates(
    count: int, repeat: int, options: tuple[str, ...] = ()
) -> dict[str, dict[str, float]]:
    """Creates per second of each client (best of ``repeat``), a fresh emulator each time."""
    payloads = [payload(n) for n in range(count)]
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, client in CLIENTS.items():
            with emulator(*options) as url:
                seconds = client(url, payloads)
                check_stored(url, count, name)
            best[name] = min(best.get(name, float("inf")), seconds)
    return {
        name: {"creates_per_s": round(count / s, 1), "ms_per_create": round(1000 * s / count, 3)}
        for name, s in best.items()
    }


# -- memory ------------------------------------------------------------------------------


def own_peak_kb() -> int:
    """This process's peak resident set in KB since it started (``VmHWM``).

    Not ``ru_maxrss``: Linux carries it over from the parent at fork, so a child of this
    benchmark (which holds every payload of its throughput runs) would report the parent's
    size whenever that is the larger.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux


def memory_child(manifest: str, base_url: str, out: str) -> None:
    """In a child process: a whole apply as the command runs it, then its peak RSS (KB)."""
    load = acdload.load([manifest], now=NOW)
    run = acdload.apply(load, acdload.Target(base_url, TOKEN), report=out)
    peak_kb = own_peak_kb()
    Path(out + ".peak").write_text(json.dumps({"code": int(run.exit_code), "peak_kb": peak_kb}))


def peak_memory_kb(count: int) -> int:
    with tempfile.TemporaryDirectory() as scratch, emulator() as url:
        manifest = write_load(Path(scratch), [payload(n) for n in range(count)])
        out = str(Path(scratch) / "report.json")
        subprocess.run(
            [sys.executable, __file__, "--memory-child", str(manifest), url, out],
            check=True,
            cwd=scratch,
        )
        result = json.loads(Path(out + ".peak").read_text())
        if result["code"] not in (0, None):
            raise RuntimeError(f"apply of {count} events exited {result['code']}")
        if count_events(url) != count:
            raise RuntimeError(f"apply of {count} events did not create them all")
        return int(result["peak_kb"])


def profile_acdload(count: int) -> str:
    payloads = [payload(n) for n in range(count)]
    profiler = cProfile.Profile()
    with emulator() as url:
        profiler.enable()
        run_acdload(url, payloads)
        profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
    return text.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 creates; memory to 5,000")
    parser.add_argument("--count", type=int, help="creates per throughput run (default 5000)")
    parser.add_argument("--repeat", type=int, help="runs per client, best kept (default 3)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of acdload")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    count = args.count or (1000 if args.quick else 5000)
    repeat = args.repeat or (1 if args.quick else 3)
    latency_count = 200 if args.quick else 500
    sizes = (1000, 5000) if args.quick else (5000, 50000)
    started = time.perf_counter()

    rates = best_rates(count, repeat)
    ours = rates["acdload apply"]["creates_per_s"]
    vs_requests = ours / rates["requests loop"]["creates_per_s"]
    vs_http_client = ours / rates["http.client loop"]["creates_per_s"]
    own_ms = (
        rates["acdload apply"]["ms_per_create"] - rates["requests, trust_env off"]["ms_per_create"]
    )

    slow = best_rates(latency_count, 1, ("--latency-ms", str(LATENCY_MS)))
    slow_ours = slow["acdload apply"]["creates_per_s"]
    round_trip_ms = slow["http.client loop"]["ms_per_create"]
    vs_round_trip = slow_ours * round_trip_ms / 1000
    vs_latency = slow_ours * LATENCY_MS / 1000

    peaks = {size: peak_memory_kb(size) for size in sizes}
    small, large = sizes
    kb_per_event = (peaks[large] - peaks[small]) / (large - small)
    base_kb = peaks[small] - kb_per_event * small
    with tempfile.TemporaryDirectory() as scratch:
        scale = apply_scale.measure(args.quick, Path(scratch), sys.modules[__name__])
    seconds = time.perf_counter() - started

    print(f"{count} sequential creates to the emulator on 127.0.0.1 (best of {repeat})")
    print(f"{'client':<26}{'creates/s':>11}{'ms/create':>11}")
    for name, figure in rates.items():
        print(f"{name:<26}{figure['creates_per_s']:>11.0f}{figure['ms_per_create']:>11.3f}")
    print(f"acdload / requests loop:    {vs_requests:.3f}  (target >= {TARGET_VS_REQUESTS})")
    print(f"acdload / http.client loop: {vs_http_client:.3f}")
    print(f"acdload's own cost (journal, callback, report): {own_ms:.3f} ms per event")
    print(f"\n{latency_count} creates, emulator --latency-ms {LATENCY_MS}")
    for name, figure in slow.items():
        print(f"{name:<26}{figure['creates_per_s']:>11.1f}{figure['ms_per_create']:>11.3f}")
    print(
        f"acdload / one event per round trip ({round_trip_ms:.2f} ms): {vs_round_trip:.3f}"
        f"  (target >= {TARGET_VS_ROUND_TRIP}); vs 1/{LATENCY_MS} ms: {vs_latency:.3f}"
    )
    print("\npeak memory of a whole apply (load and planning included), VmHWM")
    for size, peak in peaks.items():
        print(f"{size:>7} events: {peak / 1024:8.1f} MB")
    print(
        f"beyond a base of {base_kb / 1024:.1f} MB: {kb_per_event:.2f} KB per event"
        f"  (target <= {TARGET_KB_PER_EVENT})"
    )
    apply_scale.print_figures(scale)
    met = {
        "vs_requests": vs_requests >= TARGET_VS_REQUESTS,
        "vs_round_trip": vs_round_trip >= TARGET_VS_ROUND_TRIP,
        "kb_per_event": kb_per_event <= TARGET_KB_PER_EVENT,
        "parallel_speedup": scale["parallel_speedup"]["met"],
        "parallel_100k": scale["parallel_100k"]["met"],
        "drops_large_account": scale["drops_large_account"]["met"],
    }
    verdicts = ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in met.items())
    print(f"\ntargets: {verdicts}")
    print(f"({seconds:.0f} s)")
    if args.profile:
        print("\ncProfile of one acdload run (tottime):")
        print(profile_acdload(count))

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "creates": count,
                "repeat": repeat,
                "throughput": rates,
                "ratio_vs_requests": round(vs_requests, 3),
                "ratio_vs_http_client": round(vs_http_client, 3),
                "acdload_own_ms_per_event": round(own_ms, 3),
                "latency_ms": LATENCY_MS,
                "latency_creates": latency_count,
                "throughput_with_latency": slow,
                "ratio_vs_round_trip": round(vs_round_trip, 3),
                "ratio_vs_latency_only": round(vs_latency, 3),
                "peak_memory_kb": {str(size): peak for size, peak in peaks.items()},
                "memory_base_kb": round(base_kb),
                "memory_kb_per_event": round(kb_per_event, 2),
                "targets": {
                    "ratio_vs_requests": TARGET_VS_REQUESTS,
                    "ratio_vs_round_trip": TARGET_VS_ROUND_TRIP,
                    "kb_per_event": TARGET_KB_PER_EVENT,
                },
                "targets_met": met,
                "scale": scale,
                "seconds": round(seconds, 1),
                "python": platform.python_version(),
                "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
