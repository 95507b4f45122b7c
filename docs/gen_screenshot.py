"""Take docs/img/html-report.png: the HTML report of a real apply, in headless chromium.

    python docs/gen_screenshot.py

A demo campaign (40 callbacks over a week, two sent to a group the server does not have)
is applied to the bundled emulator in a temporary folder, rendered with
``acdload report --redact``, and photographed in Debian's chromium (the browser of the
test suite, ``tests/reports/browser.py``). The picture in docs/reports.md is therefore
what the code draws, not a mock-up; run this again after changing the page.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing it

from acdload.emulator import Emulator, EmulatorConfig  # noqa: E402
from tests.reports.browser import chromium, missing  # noqa: E402

OUTPUT = ROOT / "docs" / "img" / "html-report.png"
NAMES = (
    "Anna Schmidt", "Jonas Weber", "Eva Huber", "Lukas Meier", "Mia Wagner", "Paul Becker",
    "Lena Hoffmann", "Felix Schulz", "Emma Koch", "Noah Richter",
)  # fmt: skip
FIELDS = (
    "AcdEventTypesID", "AcdGroupsID", "Sender", "Subject", "UserData",
    "dtAppointmentDate", "dtAppointmentTime",
)  # fmt: skip


def write_campaign(folder: Path) -> None:
    """40 callbacks over a week, most of them in the morning; the last two to group 999."""
    chance = random.Random(14)
    first = date(2030, 3, 4)
    with (folder / "callbacks.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for number in range(40):
            day = first + timedelta(days=chance.choice((0, 0, 1, 1, 1, 2, 3, 3, 4)))
            hour = chance.choice((8, 9, 9, 9, 10, 10, 11, 13, 14, 15, 16))
            writer.writerow(
                [
                    3,
                    999 if number >= 38 else 235,
                    f"+49 170 {4100000 + number * 731}",
                    f"Callback for {NAMES[number % 10]}: contract renewal",
                    f"K-{30001 + number}",
                    day.isoformat(),
                    f"{hour:02d}:{chance.choice((0, 15, 30, 45)):02d}",
                ]
            )
    (folder / "groups.yaml").write_text("groups:\n  - id: 235\n", encoding="utf-8")


def acdload(folder: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "acdload", *args],
        cwd=folder,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT), "TZ": "Europe/Berlin"},
        check=False,
        capture_output=True,
    )


def main() -> int:
    why = missing()
    if why is not None:
        print(f"error: {why}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        write_campaign(folder)
        server = Emulator(EmulatorConfig(host="127.0.0.1", groups=folder / "groups.yaml")).start()
        try:
            env = {"ACDLOAD_BASE_URL": server.base_url, "ACDLOAD_TOKEN": server.token}
            acdload(folder, "apply", "callbacks.csv", "--yes", "--report", "r.json", env=env)
        finally:
            server.stop()
        acdload(folder, "report", "r.json", "-o", "report.html", "--redact", env={})
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 1250})
            page.goto((folder / "report.html").as_uri())
            OUTPUT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT))
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
