"""How fast the emulator serves creates, next to a bare http.server, measured in one run.

One ``http.client`` keep-alive connection sends sequential creates (the seed's callback
example) to three servers, each its own process on 127.0.0.1:

- the emulator with an in-memory database,
- the emulator with a file database (WAL),
- a bare ``ThreadingHTTPServer`` answering a constant JSON body (the seed's example
  create response) in one write: the floor any Python server pays for HTTP alone.

The emulator must serve at least 1,500 creates/s so that it never limits a client
benchmark. Figures go to bench/results/emulator.json; exit 1 when the target is missed.

    python bench/bench_emulator.py            # 3,000 creates per server
    python bench/bench_emulator.py --quick    # 500
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from servers import serve_answer, server_process

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "emulator" / "seed-examples"
RESULTS = Path(__file__).resolve().parent / "results" / "emulator.json"
TARGET_PER_S = 1500
TOKEN = "bench"
WARMUP = 100


def creates_per_second(base_url: str, count: int) -> tuple[float, float]:
    """Send ``count`` sequential creates on one keep-alive connection; (per second, seconds)."""
    url = urlsplit(base_url)
    body = (SEED / "create-callback.json").read_bytes()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    path = f"{url.path}/acd/events/create"
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:

        def send(n: int) -> None:
            for _ in range(n):
                connection.request("POST", path, body, headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"create answered {answer.status}")

        send(WARMUP)
        started = time.perf_counter()
        send(count)
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    return count / seconds, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 creates per server")
    parser.add_argument("--count", type=int, help="creates per server (default 3000)")
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_answer((SEED / "create-response.json").read_bytes())
        return 0
    count = args.count or (500 if args.quick else 3000)
    emulator = [sys.executable, "-m", "acdload.emulator", "--token", TOKEN]
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        targets = {
            "emulator, in-memory db": emulator,
            "emulator, file db (WAL)": [*emulator, "--db", str(Path(scratch) / "bench.sqlite3")],
            "bare http.server": [sys.executable, __file__, "--bare-server"],
        }
        for name, command in targets.items():
            with server_process(command) as url:
                rate, seconds = creates_per_second(url, count)
            figures[name] = {"creates_per_s": round(rate), "seconds": round(seconds, 3)}

    bare = figures["bare http.server"]["creates_per_s"]
    memory = figures["emulator, in-memory db"]["creates_per_s"]
    print(f"{count} sequential keep-alive creates, one http.client connection, 127.0.0.1")
    print(f"{'server':<26}{'creates/s':>10}{'seconds':>9}{'vs bare':>9}")
    for name, figure in figures.items():
        ratio = figure["creates_per_s"] / bare
        print(f"{name:<26}{figure['creates_per_s']:>10.0f}{figure['seconds']:>9.2f}{ratio:>9.2f}")
    met = (
        memory >= TARGET_PER_S
        and figures["emulator, file db (WAL)"]["creates_per_s"] >= TARGET_PER_S
    )
    print(f"target {TARGET_PER_S} creates/s: {'met' if met else 'MISSED'}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "requests": count,
                "target_creates_per_s": TARGET_PER_S,
                "target_met": met,
                "servers": figures,
                "ratio_in_memory_to_bare": round(memory / bare, 3),
                "ratio_file_to_bare": round(
                    figures["emulator, file db (WAL)"]["creates_per_s"] / bare, 3
                ),
                "python": platform.python_version(),
                "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
