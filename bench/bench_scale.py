"""Million-event accounts: the emulator serving them, the floor of reading them, and plan.

For each account size (100,000, 300,000 and 1,000,000 events by default) the script
seeds a database file with ``python -m acdload.emulator seed`` (realistic events of about
1.1 KB of JSON, mostly closed), starts the emulator on it as a real process, and
measures side by side, in one run:

- **seed**: the seconds ``seed`` takes to write the account;
- **emulator**: its resident memory idle, and its peak while serving each list read
  below (``VmHWM`` of ``/proc/PID/status``, reset through ``clear_refs`` before each);
- **floor**: a fresh interpreter that downloads ``GET /acd/events`` with ``requests``
  (``stream=True``) and walks it with ``ijson.items(..., "records.item")`` on the C
  backend (yajl2_c), keeping no record: what any client that reads the whole list pays.
  ``kvitems`` is measured too, for reference;
- **plan**: ``acdload plan`` of a 1,000-event CSV (500 events the account holds, 500
  new) against the account: wall time and peak RSS (``os.wait4``). Plan streams the list
  through ijson's default backend (yajl2_c, recorded) and keeps only the records of the
  load's keys (``acdload.target.event_list``).

Targets (issue 11): the emulator serves the 1M list under 300 MB; ``plan`` of 1,000
events against 1M server events peaks at 400 MB or less and takes at most 2x the floor
(``ijson.items``, both measured as whole processes). The floor and plan run in turn,
``--repeats`` times each (3): the best time of each counts, since other work on a shared
machine only ever adds time, and the largest peak; ``kvitems`` runs once. The load
average is recorded before each size. Figures go to bench/results/scale.json (not with
``--quick``); exit 1 when a target is missed.

    python bench/bench_scale.py                    # 100k, 300k, 1M
    python bench/bench_scale.py --sizes 100000     # any sizes (--repeats N: runs of each)
    python bench/bench_scale.py --quick            # 20k, a smoke run; records nothing
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ijson
from servers import ROOT, started_server

RESULTS = Path(__file__).resolve().parent / "results" / "scale.json"
TOKEN = "bench-scale"
PLAN_EVENTS = 1000
TARGET_EMULATOR_MB = 300
TARGET_PLAN_MB = 400
TARGET_PLAN_VS_FLOOR = 2.0
TARGET_SIZE = 1_000_000  # the plan and emulator targets are judged at this size
ENV = {
    **os.environ,
    "ACDLOAD_TOKEN": TOKEN,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}
FIELDS = (
    "AcdEventTypesID",
    "AcdGroupsID",
    "Sender",
    "Receiver",
    "Subject",
    "Body",
    "CrmURL",
    "UserData",
    "UsersID",
)


# -- the child that is the floor ----------------------------------------------------------


class _Counting:
    """A file-like view of the answer that counts the bytes ijson reads."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.bytes = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.raw.read(size)
        self.bytes += len(data)
        return data


def floor_child(base_url: str, how: str) -> None:
    """Download the list and walk it with ijson, keeping nothing; print what it took."""
    import requests

    backend = ijson.get_backend("yajl2_c")
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with requests.get(base_url + "/acd/events", headers=headers, stream=True, timeout=300) as got:
        got.raise_for_status()
        body = _Counting(got.raw)
        if how == "items":
            records = sum(1 for _ in backend.items(body, "records.item"))
        else:  # (field, value) pairs: one ID per record
            records = sum(key == "ID" for key, _ in backend.kvitems(body, "records.item"))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "records": records, "bytes": body.bytes}))


# -- measuring ---------------------------------------------------------------------------


def run_measured(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``command``: (wall seconds, peak RSS in MB, stdout); fails unless it exits 0."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=ENV, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(
                f"{command} exited {process.returncode}: {err.read().decode()[-2000:]}"
            )
        return seconds, usage.ru_maxrss / 1024, out.read().decode()  # Linux: KB


def memory_mb(pid: int) -> dict[str, float]:
    lines = Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines()
    fields = dict(line.split(":", 1) for line in lines)
    return {name: int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM")}


def reset_peak(pid: int) -> None:
    """Start a new peak: writing 5 to clear_refs resets VmHWM to the current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5", encoding="ascii")


def write_plan_load(db: Path, path: Path, size: int) -> None:
    """1,000 events as a standalone CSV: half of them held by the account, half new."""
    held = PLAN_EVENTS // 2
    step = max(size // held, 1)
    with sqlite3.connect(db) as connection:
        stored = connection.execute(
            "SELECT request FROM events WHERE id % ? = 0 ORDER BY id LIMIT ?", (step, held)
        ).fetchall()
    rows: list[dict[str, Any]] = [json.loads(request) for (request,) in stored]
    for n in range(PLAN_EVENTS - len(rows)):
        rows.append(
            {
                "AcdEventTypesID": 3,
                "AcdGroupsID": 235,
                "Sender": f"49172{2_000_000 + n}",
                "Receiver": "4930901820",
                "Subject": f"New callback {n}",
                "Body": f"Please call back customer {n}.",
                "CrmURL": f"https://crm.example.com/customers/N-{n}",
                "UserData": f"NEW-{n}",
            }
        )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def _best(runs: list[tuple[float, float, str]]) -> dict[str, Any]:
    """The best wall time of ``runs`` (other work only ever adds time) and the largest peak."""
    return {
        "wall_s": round(min(wall for wall, _, _ in runs), 2),
        "peak_mb": round(max(rss for _, rss, _ in runs), 1),
        "runs_s": [round(wall, 2) for wall, _, _ in runs],
    }


def measure_size(size: int, scratch: Path, repeats: int) -> dict[str, Any]:
    db = scratch / f"account-{size}.sqlite3"
    seed_s, _, _ = run_measured(
        [sys.executable, "-m", "acdload.emulator", "seed", "--db", str(db), "--count", str(size)],
        scratch,
    )
    load = scratch / "plan-load.csv"
    write_plan_load(db, load, size)
    figure: dict[str, Any] = {
        "events": size,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "seed_s": round(seed_s, 2),
        "db_mb": round(db.stat().st_size / 2**20),
    }
    emulator = [sys.executable, "-m", "acdload.emulator", "--db", str(db), "--token", TOKEN]
    with started_server(emulator) as (url, process):
        figure["emulator_idle_mb"] = round(memory_mb(process.pid)["VmRSS"], 1)
        commands = {
            how: [sys.executable, __file__, "--floor", url, how] for how in ("items", "kvitems")
        }
        commands["plan"] = [sys.executable, "-m", "acdload", "plan", str(load), "--base-url", url]
        commands["plan"] += ["--timeout", "300", "--format", "json"]
        runs: dict[str, list[tuple[float, float, str]]] = {name: [] for name in commands}
        peaks: list[float] = []
        # Floor and plan in turn, so that a burst of other work hits both alike.
        for name in ["kvitems", *["items", "plan"] * repeats]:
            reset_peak(process.pid)
            runs[name].append(run_measured(commands[name], scratch))
            peaks.append(memory_mb(process.pid)["VmHWM"])
        for how in ("items", "kvitems"):
            inside = [json.loads(out) for _, _, out in runs[how]]
            if any(one["records"] != size for one in inside):
                raise RuntimeError(f"the floor read {inside[0]['records']} records, not {size}")
            figure["list_mb"] = round(inside[0]["bytes"] / 2**20, 1)
            figure[f"floor_{how}"] = {
                **_best(runs[how]),
                "read_s": round(min(one["seconds"] for one in inside), 2),
            }
        summaries = [json.loads(out)["summary"] for _, _, out in runs["plan"]]
        expected = {"create": PLAN_EVENTS // 2, "exists": PLAN_EVENTS // 2, "drift": 0}
        if any(summary != expected for summary in summaries):
            raise RuntimeError(f"plan did not find the 500 held events: {summaries}")
        figure["plan"] = {**_best(runs["plan"]), "summary": summaries[0]}
        figure["emulator_peak_mb"] = round(max(peaks), 1)
    figure["plan_vs_floor"] = round(figure["plan"]["wall_s"] / figure["floor_items"]["wall_s"], 2)
    db.unlink()
    return figure


def judged(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures the targets are judged on: the target size if measured, else the largest."""
    return max(figures, key=lambda f: (f["events"] == TARGET_SIZE, f["events"]))


def judge(figures: list[dict[str, Any]]) -> dict[str, bool]:
    at = judged(figures)
    return {
        f"emulator_peak_mb<={TARGET_EMULATOR_MB}": at["emulator_peak_mb"] <= TARGET_EMULATOR_MB,
        f"plan_peak_mb<={TARGET_PLAN_MB}": at["plan"]["peak_mb"] <= TARGET_PLAN_MB,
        f"plan_vs_floor<={TARGET_PLAN_VS_FLOOR}": at["plan_vs_floor"] <= TARGET_PLAN_VS_FLOOR,
    }


def report(figures: list[dict[str, Any]], met: dict[str, bool]) -> None:
    print(f"plan of {PLAN_EVENTS} events (500 held, 500 new); floor = requests + ijson, C backend")
    columns = (
        f"{'events':>10}{'list MB':>9}{'seed s':>8}{'emu idle':>9}{'emu peak':>9}"
        f"{'floor s':>9}{'floor MB':>9}{'kvitems s':>10}{'plan s':>8}{'plan MB':>9}"
        f"{'plan/floor':>11}  load"
    )
    print(columns)
    for f in figures:
        print(
            f"{f['events']:>10,}{f['list_mb']:>9.0f}{f['seed_s']:>8.1f}"
            f"{f['emulator_idle_mb']:>9.0f}{f['emulator_peak_mb']:>9.0f}"
            f"{f['floor_items']['wall_s']:>9.2f}{f['floor_items']['peak_mb']:>9.0f}"
            f"{f['floor_kvitems']['wall_s']:>10.2f}{f['plan']['wall_s']:>8.2f}"
            f"{f['plan']['peak_mb']:>9.0f}{f['plan_vs_floor']:>11.2f}  {f['loadavg'][0]:.2f}"
        )
    print(
        "targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in met.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 events; records nothing")
    parser.add_argument("--sizes", help="comma-separated account sizes (default 100k,300k,1M)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of the floor and of plan per size (best)"
    )
    parser.add_argument("--floor", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor_child(*args.floor)
        return 0
    if args.sizes:
        sizes = [int(size) for size in args.sizes.split(",")]
    else:
        sizes = [20_000] if args.quick else [100_000, 300_000, 1_000_000]
    started = time.perf_counter()
    load_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        figures = [measure_size(size, Path(scratch), args.repeats) for size in sizes]
    met = judge(figures)
    report(figures, met)
    seconds = time.perf_counter() - started
    print(f"({seconds:.0f} s; load average {load_start} -> {os.getloadavg()[0]:.2f})")
    if args.quick:
        return 0 if all(met.values()) else 1
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "plan_events": PLAN_EVENTS,
                "repeats": args.repeats,
                "sizes": figures,
                "targets": {
                    "emulator_peak_mb": TARGET_EMULATOR_MB,
                    "plan_peak_mb": TARGET_PLAN_MB,
                    "plan_vs_floor": TARGET_PLAN_VS_FLOOR,
                    "judged_at_events": judged(figures)["events"],
                },
                "targets_met": met,
                "loadavg_start": load_start,
                "loadavg_end": [round(x, 2) for x in os.getloadavg()],
                "seconds": round(seconds, 1),
                "ijson_backend": ijson.backend,
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
