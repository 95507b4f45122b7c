"""A large load checked on several cores gives exactly what one core gives."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from acdload.check import workers
from acdload.manifest.loading import read_load

NOW = datetime.fromisoformat("2026-11-28T12:00:00")


def _load(tmp_path: Path, rows: int) -> Path:
    with open(tmp_path / "list.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Phone", "Name", "No", "Date"])
        for i in range(rows):
            phone = f"+49 170 {1000000 + i:07d}" if i % 997 else "12"  # some impossible numbers
            date = "2027-02-30" if i % 1499 == 0 else "2027-03-01"  # some dates that do not exist
            writer.writerow([phone, f"Customer {i}", f"K-{i}", date])
    manifest = tmp_path / "load.yaml"
    manifest.write_text(
        "version: 1\n"
        "defaults: {AcdEventTypesID: 3, AcdGroupsID: 235}\n"
        "templates:\n"
        '  Subject: "Call {{ vars.name }} on {{ dtAppointmentDate }} (#{{ index }})"\n'
        "source:\n"
        "  path: list.csv\n"
        "  columns: {Phone: Sender, Name: vars.name, No: UserData, Date: dtAppointmentDate}\n",
        encoding="utf-8",
    )
    return manifest


def test_parallel_slices_give_the_serial_result(tmp_path: Path) -> None:
    events = read_load([str(_load(tmp_path, 6_000))]).events
    serial = workers.render_and_check(events, NOW, jobs=1)
    parallel = workers.render_and_check(events, NOW, jobs=2)
    assert parallel[0] == serial[0]
    assert parallel[1] == serial[1]
    flagged = [position for position, _ in parallel[1]]
    assert (
        flagged == sorted(flagged) and len(flagged) == 11
    )  # 7 impossible numbers, 5 dates, 1 both
    assert parallel[0][5999]["Subject"] == "Call Customer 5999 on 2027-03-01 (#5999)"


def test_large_loads_use_every_core_even_after_earlier_renders(tmp_path: Path) -> None:
    """The render watchdog an earlier load started is acdload's own thread: it must not pin
    a later large load to one core. Run in a fresh interpreter, so that threads other tests
    leave behind (servers, clients) cannot decide it either way."""
    manifest = _load(tmp_path, 10)
    script = f"""
import os
from datetime import datetime
from acdload.check import workers
from acdload.manifest.loading import read_load
workers.render_and_check(read_load([{str(manifest)!r}]).events, datetime.fromisoformat({NOW.isoformat()!r}))
print(workers.jobs_for(workers.PARALLEL_MIN_EVENTS), workers.jobs_for(workers.PARALLEL_MIN_EVENTS - 1))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [str(min(os.cpu_count() or 1, 8)), "1"]
