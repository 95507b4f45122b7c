"""The issue 11 figures of bench_apply.py: ``--parallel N`` and look-ups after dropped creates.

Kept apart from bench_apply.py (which measures acdload's own cost per event) because these
measure what overlapping round trips and probing by ID buy at a network's pace:

(e) at 20 ms added latency, creates/s of ``parallel=8`` against ``parallel=1``, the same
    load to a fresh emulator each: target >= 6x;
(f) 5,000 creates at 50 ms with ``parallel=8`` and ``parallel=16``, the best extrapolated to
    100,000 creates: target under 15 minutes;
(g) 300 creates against an account seeded with 300,000 events (``python -m acdload.emulator
    seed``), with the emulator's ``--drop-rate 0.05`` (stored, then the connection closed
    unanswered) and with no faults, the default ``timeout`` each: target within 1.2x. The
    seeded file is copied for each run so both start from the same account.

Every run goes through ``acdload.apply`` (the public API), as bench_apply.py's do.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from servers import counting_relay

TARGET_PARALLEL_SPEEDUP = 6.0
TARGET_100K_MINUTES = 15.0
TARGET_DROP_RATIO = 1.2
PARALLEL_LATENCY_MS = 20
EXTRAPOLATE_LATENCY_MS = 50
EXTRAPOLATE_TO = 100_000
DROP_RATE = 0.05
DROP_SEED = "11"  # the emulator's fault draws, so every run drops the same creates
REQUEST_KINDS = (  # most specific first
    ("creates", "/acd/events/create"),
    ("probes by ID", "/acd/events/event/"),
    ("event types", "/acd/events/types"),
    ("list reads", "/acd/events"),
)


def parallel_speedup(count: int, bench: ModuleType) -> dict[str, Any]:
    """(e): ``parallel=1`` and ``parallel=8`` at 20 ms, each to a fresh emulator."""
    payloads = [bench.payload(n) for n in range(count)]
    rates = {}
    for parallel in (1, 8):
        with bench.emulator("--latency-ms", str(PARALLEL_LATENCY_MS)) as url:
            seconds, _ = bench.timed_apply(url, payloads, parallel=parallel)
            bench.check_stored(url, count, f"parallel={parallel}")
        rates[str(parallel)] = round(count / seconds, 1)
    speedup = rates["8"] / rates["1"]
    return {
        "latency_ms": PARALLEL_LATENCY_MS,
        "creates": count,
        "creates_per_s": rates,
        "speedup": round(speedup, 2),
        "met": speedup >= TARGET_PARALLEL_SPEEDUP,
    }


def extrapolated(count: int, bench: ModuleType) -> dict[str, Any]:
    """(f): ``count`` creates at 50 ms with 8 and 16 in flight; the best, scaled to 100,000."""
    payloads = [bench.payload(n) for n in range(count)]
    rates = {}
    for parallel in (8, 16):
        with bench.emulator("--latency-ms", str(EXTRAPOLATE_LATENCY_MS)) as url:
            seconds, _ = bench.timed_apply(url, payloads, parallel=parallel)
            bench.check_stored(url, count, f"parallel={parallel}")
        rates[str(parallel)] = round(count / seconds, 1)
    best = max(rates, key=lambda n: rates[n])
    minutes = EXTRAPOLATE_TO / rates[best] / 60
    return {
        "latency_ms": EXTRAPOLATE_LATENCY_MS,
        "creates": count,
        "creates_per_s": rates,
        "best_parallel": int(best),
        "minutes_for_100k": round(minutes, 1),
        "minutes_for_100k_parallel_8": round(EXTRAPOLATE_TO / rates["8"] / 60, 1),
        "met": minutes < TARGET_100K_MINUTES,
    }


def seeded_account(directory: Path, size: int) -> Path:
    """A database file holding ``size`` seeded events (``python -m acdload.emulator seed``)."""
    db = directory / "seeded.sqlite3"
    command = [sys.executable, "-m", "acdload.emulator", "seed", "--db", str(db)]
    subprocess.run([*command, "--count", str(size)], check=True, capture_output=True)
    return db


def drop_run(
    seeded: Path, scratch: Path, count: int, bench: ModuleType, faults: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One apply of ``count`` creates to a copy of the seeded account (default timeout)."""
    db = scratch / "account.sqlite3"
    shutil.copyfile(seeded, db)
    payloads = [bench.payload(n) for n in range(count)]
    with bench.emulator("--db", str(db), *faults) as url:
        seconds, run = bench.timed_apply(url, payloads)
    db.unlink()
    attempts = Counter(result.attempts for result in run.results)
    return {
        "seconds": round(seconds, 2),
        "creates_per_s": round(count / seconds, 1),
        "attempts": {str(n): attempts[n] for n in sorted(attempts)},
    }


def counted_requests(
    seeded: Path, scratch: Path, count: int, bench: ModuleType, faults: tuple[str, ...]
) -> dict[str, int]:
    """The requests of the faulty apply by kind, counted by a relay (an untimed third run:
    the run's report does not say how an ambiguous create was settled)."""
    db = scratch / "account.sqlite3"
    shutil.copyfile(seeded, db)
    payloads = [bench.payload(n) for n in range(count)]
    with bench.emulator("--db", str(db), *faults) as url, counting_relay(url) as (relayed, seen):
        bench.timed_apply(relayed, payloads)
    db.unlink()
    kinds: Counter[str] = Counter()
    for line, times in seen.items():
        path = line.split(" ", 1)[1].split("?")[0]
        kind = next((k for k, tail in REQUEST_KINDS if tail in path), "other")
        kinds[kind] += times
    return dict(sorted(kinds.items()))


def drops_on_large_account(
    size: int, count: int, scratch: Path, bench: ModuleType, repeat: int
) -> dict[str, Any]:
    """(g): the same apply with no faults and with dropped creates, side by side, the best
    of ``repeat`` each (the list read of the account is most of either run's time)."""
    started = time.perf_counter()
    seeded = seeded_account(scratch, size)
    seed_s = time.perf_counter() - started
    faults = ("--drop-rate", str(DROP_RATE), "--seed", DROP_SEED)
    runs: dict[str, list[dict[str, Any]]] = {"no_faults": [], "dropped": []}
    for _ in range(repeat):  # interleaved, so a busy moment of the machine hits both
        runs["no_faults"].append(drop_run(seeded, scratch, count, bench))
        runs["dropped"].append(drop_run(seeded, scratch, count, bench, faults))
    clean, dropped = (min(runs[name], key=lambda run: run["seconds"]) for name in runs)
    dropped["requests"] = counted_requests(seeded, scratch, count, bench, faults)
    ratio = dropped["seconds"] / clean["seconds"]
    return {
        "server_events": size,
        "creates": count,
        "repeat": repeat,
        "drop_rate": DROP_RATE,
        "timeout_s": 30.0,
        "seed_s": round(seed_s, 1),
        "no_faults": clean,
        "dropped": dropped,
        "ratio": round(ratio, 3),
        "met": ratio <= TARGET_DROP_RATIO,
    }


def print_figures(figures: dict[str, Any]) -> None:
    speed = figures["parallel_speedup"]
    rates = speed["creates_per_s"]
    print(f"\n{speed['creates']} creates at {speed['latency_ms']} ms latency")
    print(
        f"parallel 1: {rates['1']:.1f}/s, parallel 8: {rates['8']:.1f}/s:"
        f" {speed['speedup']:.2f}x  (target >= {TARGET_PARALLEL_SPEEDUP}x)"
    )
    far = figures["parallel_100k"]
    shown = ", ".join(f"parallel {n}: {r:.1f}/s" for n, r in far["creates_per_s"].items())
    print(f"\n{far['creates']} creates at {far['latency_ms']} ms latency: {shown}")
    print(
        f"100,000 creates with parallel {far['best_parallel']}: {far['minutes_for_100k']} min"
        f" (parallel 8: {far['minutes_for_100k_parallel_8']} min;"
        f" target < {TARGET_100K_MINUTES:.0f})"
    )
    drops = figures["drops_large_account"]
    print(
        f"\n{drops['creates']} creates against {drops['server_events']:,} seeded events"
        f" (seeded in {drops['seed_s']} s), default timeout, best of {drops['repeat']}"
    )
    for name in ("no_faults", "dropped"):
        run = drops[name]
        print(f"{name:<10} {run['seconds']:>7.2f} s  attempts per event {run['attempts']}")
    print(f"requests of the dropped run (counted by a relay): {drops['dropped']['requests']}")
    print(f"with --drop-rate {DROP_RATE} / none: {drops['ratio']:.3f}  (target <= 1.2)")


def measure(quick: bool, scratch: Path, bench: ModuleType) -> dict[str, Any]:
    """Every issue 11 figure; ``bench`` is bench_apply (its payloads, emulator, apply)."""
    return {
        "parallel_speedup": parallel_speedup(200 if quick else 500, bench),
        "parallel_100k": extrapolated(500 if quick else 5000, bench),
        "drops_large_account": drops_on_large_account(
            30_000 if quick else 300_000, 100 if quick else 300, scratch, bench, 1 if quick else 3
        ),
        "targets": {
            "parallel_speedup": TARGET_PARALLEL_SPEEDUP,
            "minutes_for_100k": TARGET_100K_MINUTES,
            "drop_ratio": TARGET_DROP_RATIO,
        },
    }
