"""What a long journal costs apply, and what compaction gives back, measured in one run.

A journal of ``--lines`` lines (100,000 by default) from finished runs of one target (runs
of 1,000 creates: ``start``, a ``sent`` and a ``done`` per event, ``end``; one create in
100 merged, ``updated``), as acdload before compaction left it, is measured side by side:

(a) the floor: a bare ``json.loads`` of every line of the same file (best of 5), what any
    reader of the journal pays at least;
(b) a no-op ``acdload apply`` (a 1,000-event CSV the emulator already holds: nothing is
    sent) as a whole command, wall time best of 7 (the three interleaved), with an empty
    journal (the baseline), with the long journal (a fresh copy each time: the run reads
    it all, then compacts it at its end, parsing only the lines it added), and with the
    journal that compaction left (what every later run sees).

Target (issue 11): a no-op apply with 100k journal lines starts in under 1 s: the whole
command, with the long journal and with the compacted one. Like every bench script, this
one uses acdload only through its public interface (here the command): the journal lines
it writes follow the documented format (docs/apply.md). The emulator is a real process
(in-memory database) on 127.0.0.1. Figures go to bench/results/journal.json (not with
``--quick``); exit 1 when a target is missed.

    python bench/bench_journal.py                 # 100,000 lines
    python bench/bench_journal.py --lines 1000000 # any size
    python bench/bench_journal.py --quick         # 10,000 lines; records nothing
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servers import server_process  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "journal.json"
TOKEN = "bench-journal"
LOAD_EVENTS = 1000
RUN_EVENTS = 1000
MERGE_EVERY = 100
TARGET_START_S = 1.0
REPEAT = 7
ENV = {
    **os.environ,
    "ACDLOAD_TOKEN": TOKEN,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}


def key_text(key: dict[str, Any]) -> str:
    """An event key as the journal writes it: canonical JSON text."""
    return json.dumps(key, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def write_history(path: Path, target: str, lines: int) -> None:
    """About ``lines`` lines of finished runs against ``target``, as apply writes them."""

    def line(entry: dict[str, Any]) -> str:
        entry["target"] = target
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"

    written, number = 0, 0
    with path.open("w", encoding="utf-8") as out:
        while written < lines:
            run = f"{number:032x}"
            out.write(line({"kind": "start", "at": 1.8e9, "pid": 4242, "run": run}))
            for index in range(RUN_EVENTS):
                event = number * RUN_EVENTS + index
                key = key_text(
                    {"AcdEventTypesID": 3, "Sender": f"49171{event:07d}", "UserData": f"H-{event}"}
                )
                outcome = "updated" if event % MERGE_EVERY == 0 else "created"
                out.write(
                    line({"kind": "sent", "index": index, "key": key, "at": 1.8e9, "run": run})
                )
                out.write(line({"kind": "done", "index": index, "key": key, "outcome": outcome,
                                "event_id": event + 1, "run": run}))  # fmt: skip
            out.write(line({"kind": "end", "at": 1.8e9, "run": run}))
            written += 2 * RUN_EVENTS + 2
            number += 1


def write_load(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["AcdEventTypesID", "AcdGroupsID", "Sender", "Subject", "UserData"])
        for n in range(LOAD_EVENTS):
            writer.writerow([3, 235, f"+49 170 {1000000 + n}", f"Callback {n}", f"U-{n}"])


def best(repeat: int, measure: Callable[[], float]) -> float:
    """The best of ``repeat`` timings: other work on a shared machine only ever adds time."""
    return min(measure() for _ in range(repeat))


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def floor(path: Path) -> None:
    with path.open("rb") as lines:
        for raw in lines:
            json.loads(raw)


def apply_seconds(scratch: Path, url: str, journal: Path, fresh: Path | None) -> float:
    """Wall time of one no-op ``acdload apply`` with ``journal`` (first a copy of ``fresh``)."""
    if fresh is not None:
        shutil.copyfile(fresh, journal)
    command = [sys.executable, "-m", "acdload", "apply", "load.csv", "--yes", "--quiet"]
    command += ["--base-url", url, "--journal", str(journal)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=scratch, env=ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or "warning" in done.stderr:
        raise RuntimeError(f"the no-op apply failed ({done.returncode}): {done.stderr}")
    return seconds


def measure(lines: int, scratch: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"loadavg": [round(x, 2) for x in os.getloadavg()]}
    emulator = [sys.executable, "-m", "acdload.emulator", "--token", TOKEN]
    with server_process(emulator) as url:
        write_load(scratch / "load.csv")
        empty = scratch / "empty.jsonl"
        apply_seconds(scratch, url, empty, None)  # the load is on the server from now on
        history = scratch / "history.jsonl"
        write_history(history, url, lines)
        figures["journal"] = {
            "lines": sum(1 for _ in history.open("rb")),
            "mb": round(history.stat().st_size / 1e6, 1),
        }
        figures["floor_s"] = best(5, lambda: timed(lambda: floor(history)))
        journal = scratch / "journal.jsonl"
        runs: dict[str, list[float]] = {"empty": [], "long": [], "compacted": []}
        for _ in range(REPEAT):  # interleaved: a busy moment of the machine hits all three
            runs["empty"].append(apply_seconds(scratch, url, empty, None))
            runs["long"].append(apply_seconds(scratch, url, journal, history))
            runs["compacted"].append(apply_seconds(scratch, url, journal, None))
        for name, seconds in runs.items():
            figures[f"apply_{name}_s"] = min(seconds)
        figures["journal_after_mb"] = round(journal.stat().st_size / 1e6, 3)
        figures["compacted_lines"] = sum(1 for _ in journal.open("rb"))
    return figures


def report(f: dict[str, Any], met: dict[str, bool]) -> None:
    floor_s, base = f["floor_s"], f["apply_empty_s"]
    print(f"journal: {f['journal']['lines']:,} lines ({f['journal']['mb']} MB) of finished runs")
    rows = [
        ("json.loads of every line (floor)", floor_s, "1.00x floor"),
        ("no-op apply, empty journal (baseline)", base, "1.00x"),
        ("no-op apply, long journal (reads, compacts)", f["apply_long_s"],
         f"{f['apply_long_s'] / base:.2f}x, {f['apply_long_s'] / floor_s:.2f}x floor"),
        ("no-op apply, compacted journal", f["apply_compacted_s"],
         f"{f['apply_compacted_s'] / base:.2f}x, {f['compacted_lines']:,} lines left"),
    ]  # fmt: skip
    for name, seconds, ratio in rows:
        print(f"{name:<46}{seconds:>9.3f} s  {ratio}")
    print(
        "targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in met.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 lines; records nothing")
    parser.add_argument("--lines", type=int, help="journal lines (default 100,000)")
    args = parser.parse_args()
    lines = args.lines or (10_000 if args.quick else 100_000)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as scratch:
        figures = measure(lines, Path(scratch))
    figures = {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}
    met = {
        f"apply_long_s<{TARGET_START_S}": figures["apply_long_s"] < TARGET_START_S,
        f"apply_compacted_s<{TARGET_START_S}": figures["apply_compacted_s"] < TARGET_START_S,
    }
    report(figures, met)
    seconds = time.perf_counter() - started
    print(f"({seconds:.0f} s; load average {figures['loadavg']} -> {os.getloadavg()[0]:.2f})")
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        document = {
            **figures,
            "load_events": LOAD_EVENTS,
            "targets": {"apply_s": TARGET_START_S},
            "targets_met": met,
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "seconds": round(seconds, 1),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        }
        RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
