"""The callability rules through ``acdload validate``: located where the user wrote the value.

Each rule is reported at FILE:LINE:COLUMN of the appointment (or the event, for a double
booking), with the severity ``checks:`` gives it and ``--strict`` raises; the rules'
own logic is tested in test_calling_hours.py, test_public_holidays.py and
test_double_booking.py.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result

from acdload.check import workers
from acdload.manifest.loading import read_load
from tests.cli_runner import Cli

NOW = "2026-11-28T12:00:00"

HEAD = """\
version: 1
timezone: Europe/Berlin
calling_hours:
  mon-fri: "08:00-20:00"
  sat: "09:00-14:00"
holidays: DE-BY
double_booking: 2h
defaults: {AcdEventTypesID: 3, AcdGroupsID: 235, Subject: Callback}
"""
HEAD_LINES = HEAD.count("\n")


def event(sender: str, user: str, day: str | None = None, at: str | None = None) -> str:
    """One inline event: four lines with both appointment fields (the date on the third,
    the time on the fourth), fewer without them."""
    text = f'  - Sender: "{sender}"\n    UserData: {user}\n'
    if day is not None:
        text += f'    dtAppointmentDate: "{day}"\n'
    if at is not None:
        text += f'    dtAppointmentTime: "{at}"\n'
    return text


def manifest(*events: str, head: str = HEAD) -> str:
    return head + "events:\n" + "".join(events)


def validate(cli: Cli, tmp_path: Path, *args: str, files: dict[str, str]) -> Result:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return cli("validate", *args, "--now", NOW)


def problems(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if "[" in line]


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


FIRST = HEAD_LINES + 2  # the first event's line
DATE_AT, TIME_AT = f"{FIRST + 2}:24", f"{FIRST + 3}:24"  # its appointment's fields


@pytest.mark.parametrize(
    ("sender", "day", "at", "where", "says"),
    [
        pytest.param(
            "+1 212 555 0100",
            "2027-03-08",
            "09:00",
            TIME_AT,
            "error: 2027-03-08 09:00 Europe/Berlin is 03:00 America/New_York for "
            "+1 212 555 0100: outside mon-fri 08:00-20:00; book it inside the customer's "
            "calling hours [outside-calling-hours]",
            id="another-zone",
        ),
        pytest.param(
            "+49 170 1234567",
            "2027-03-07",
            "10:00",
            TIME_AT,
            "no calling hours on sun (mon-fri 08:00-20:00, sat 09:00-14:00)",
            id="a-day-without-hours",
        ),
        pytest.param(
            # A week when New York has moved its clocks and Berlin has not: 13:30 in Berlin
            # is 08:30 there, inside (a fixed offset would say 07:30).
            "+1 212 555 0100",
            "2027-03-15",
            "13:30",
            None,
            None,
            id="dst-only-in-new-york",
        ),
        pytest.param(
            "+1 800 555 0100",  # toll-free: anywhere from Hawaii to Newfoundland
            "2027-03-09",
            "17:00",
            TIME_AT,
            "17:00 Europe/Berlin is 06:00 America/Adak for +1 800 555 0100: outside "
            "mon-fri 08:00-20:00 (and in 6 more of its zones)",
            id="several-zones-the-failing-one-named",
        ),
        pytest.param(
            "+49 170 1234567",
            "2027-01-06",
            "10:00",
            DATE_AT,
            "error: 2027-01-06 10:00 Europe/Berlin for +49 170 1234567: 2027-01-06 is "
            "Epiphany in DE-BY; book it on a working day [holiday]",
            id="holiday-of-the-subdivision",
        ),
        pytest.param(
            "+49 170 1234567",
            None,
            "21:00",
            f"{FIRST + 2}:24",
            "21:00 Europe/Berlin (a time without a date) for +49 170 1234567: outside calling "
            "hours on every day",
            id="time-without-a-date",
        ),
        pytest.param("+49 170 1234567", None, "19:30", None, None, id="time-inside-some-day"),
        pytest.param(
            "+49 170 1234567",
            "2027-12-26",
            None,
            DATE_AT,
            "2027-12-26 (a date without a time) for +49 170 1234567: no calling hours on sun",
            id="date-without-a-time",
        ),
    ],
)
def test_each_rule_at_the_appointment_it_judges(
    cli: Cli,
    tmp_path: Path,
    sender: str,
    day: str | None,
    at: str | None,
    where: str | None,
    says: str,
) -> None:
    result = validate(
        cli, tmp_path, "a.yaml", files={"a.yaml": manifest(event(sender, "CB-1", day, at))}
    )
    found = problems(result)
    if where is None:
        assert result.exit_code == 0 and found == [], result.output
        return
    assert result.exit_code == 1, result.output
    assert any(line.startswith(f"a.yaml:{where}: ") and says in line for line in found), found


def test_a_double_booking_across_files_names_the_earlier_file_and_line(
    cli: Cli, tmp_path: Path
) -> None:
    first = manifest(event("+49 170 1234567", "CB-1", "2027-03-08", "14:00"))
    second = manifest(
        event("+49 151 23456789", "CB-2", "2027-03-08", "14:00"),  # another customer
        event("0049 170 1234567", "CB-3", "2027-03-08", "15:30"),  # the same, written otherwise
        event("+49 170 1234567", "CB-4", "2027-03-09", "15:30"),  # a day later: fine
    )
    result = validate(cli, tmp_path, ".", files={"a.yaml": first, "b.yaml": second})
    assert result.exit_code == 0, result.output  # a warning by default
    assert problems(result) == [
        f"b.yaml:{FIRST + 4}: warning: +49 170 1234567 is already booked 1h 30m earlier for "
        f"event type 3 (at 2027-03-08 14:00 Europe/Berlin, a.yaml:{FIRST}); this one at "
        "2027-03-08 15:30 Europe/Berlin is within double_booking 2h: merge the two, or book "
        "them further apart [double-booked]"
    ]


def test_an_event_repeating_a_key_is_a_duplicate_not_also_a_double_booking(
    cli: Cli,
    tmp_path: Path,
) -> None:
    text = manifest(
        event("+49 170 1234567", "CB-1", "2027-03-08", "14:00"),
        event("+49 170 1234567", "CB-1", "2027-03-08", "14:30"),
    )
    result = validate(cli, tmp_path, "a.yaml", files={"a.yaml": text})
    assert [line.rsplit("[", 1)[1] for line in problems(result)] == ["duplicate-key]"]


SETTINGS = [
    ("outside-calling-hours", event("+49 170 1234567", "CB-1", "2027-03-08", "21:00")),
    ("holiday", event("+49 170 1234567", "CB-1", "2027-11-01", "10:00")),  # All Saints
    (
        "double-booked",
        event("+49 170 1234567", "CB-1", "2027-03-08", "10:00")
        + event("+49 170 1234567", "CB-2", "2027-03-08", "11:00"),
    ),
]


@pytest.mark.parametrize(("rule", "events"), SETTINGS, ids=[rule for rule, _ in SETTINGS])
@pytest.mark.parametrize(
    ("setting", "strict", "exit_code", "severity"),
    [
        ("error", False, 1, "error"),
        ("warning", False, 0, "warning"),
        ("warning", True, 1, "error"),
        ("off", False, 0, None),
        ("off", True, 0, None),
    ],
)
def test_each_severity_setting(
    cli: Cli,
    tmp_path: Path,
    rule: str,
    events: str,
    setting: str,
    strict: bool,
    exit_code: int,
    severity: str | None,
) -> None:
    head = HEAD + f"checks:\n  {rule}: {setting}\n"
    args = ["a.yaml", "--strict"] if strict else ["a.yaml"]
    result = validate(cli, tmp_path, *args, files={"a.yaml": manifest(events, head=head)})
    assert result.exit_code == exit_code, result.output
    found = [line for line in problems(result) if line.endswith(f"[{rule}]")]
    if severity is None:
        assert found == [], result.output
    else:
        assert len(found) == 1 and f": {severity}: " in found[0], result.output


def test_a_default_appointment_outside_hours_for_every_event_is_told_once_at_the_default(
    cli: Cli,
    tmp_path: Path,
) -> None:
    head = HEAD.replace("Subject: Callback}", 'Subject: Callback, dtAppointmentTime: "21:00"}')
    text = manifest(
        event("+49 170 1234567", "CB-1", "2027-03-08"),
        event("+49 170 7654321", "CB-2", "2027-03-09"),
        head=head,
    )
    result = validate(cli, tmp_path, "a.yaml", files={"a.yaml": text})
    found = problems(result)
    assert len(found) == 1 and found[0].startswith(f"a.yaml:{HEAD_LINES}:"), found
    assert found[0].endswith("(for all 2 events that use it) [outside-calling-hours]")


def test_events_from_a_csv_source_are_judged_at_their_row_and_column(
    cli: Cli, tmp_path: Path
) -> None:
    head = HEAD + (
        "source:\n  path: list.csv\n"
        "  columns: {Phone: Sender, No: UserData, Date: dtAppointmentDate, Time: dtAppointmentTime}\n"
    )
    rows = "Phone,No,Date,Time\n+49 170 1234567,K-1,2027-03-08,10:00\n+49 170 7654321,K-2,2027-03-08,06:30\n"
    result = validate(cli, tmp_path, "a.yaml", files={"a.yaml": head, "list.csv": rows})
    assert problems(result) == [
        "list.csv:3:4: error: column 'Time': 2027-03-08 06:30 Europe/Berlin for +49 170 7654321: "
        "outside mon-fri 08:00-20:00; book it inside the customer's calling hours "
        "[outside-calling-hours]"
    ]


@pytest.mark.parametrize(
    ("text", "where", "rule"),
    [
        (
            'calling_hours:\n  mon-fri: "08:00-20:00"\n  sun: "9-12"\n',
            "4:8",
            "calling-hours-syntax",
        ),
        ("holidays: DE-XX\n", "2:11", "unknown-holidays"),
        ("double_booking: 90\n", "2:17", "double-booking-syntax"),
        ("checks:\n  holiday: never\n", "3:12", "checks-syntax"),
        ("checks:\n  holidays: off\n", "3:13", "checks-syntax"),
        ("calling_hours: [mon]\n", "2:1", "calling-hours-syntax"),
    ],
)
def test_a_key_that_cannot_be_read_is_an_error_at_its_line(
    cli: Cli, tmp_path: Path, text: str, where: str, rule: str
) -> None:
    document = "version: 1\n" + text + "events: []\n"
    result = validate(cli, tmp_path, "a.yaml", files={"a.yaml": document})
    assert result.exit_code == 1, result.output
    found = problems(result)
    assert len(found) == 1 and found[0].startswith(f"a.yaml:{where}: error: "), found
    assert found[0].endswith(f"[{rule}]")


def test_the_worker_processes_judge_calling_hours_as_one_process_does(tmp_path: Path) -> None:
    with open(tmp_path / "list.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Phone", "No", "Date", "Time"])
        for i in range(6_000):
            at = "21:00" if i % 1000 == 999 else "10:00"  # one in a thousand outside
            writer.writerow([f"+49 170 {1000000 + i:07d}", f"K-{i}", "2027-03-08", at])
    (tmp_path / "load.yaml").write_text(
        HEAD + "source:\n  path: list.csv\n"
        "  columns: {Phone: Sender, No: UserData, Date: dtAppointmentDate, Time: dtAppointmentTime}\n",
        encoding="utf-8",
    )
    events = read_load([str(tmp_path / "load.yaml")]).events
    now = datetime.fromisoformat(NOW)
    serial = workers.render_and_check(events, now, jobs=1)
    parallel = workers.render_and_check(events, now, jobs=2)
    assert parallel.flagged == serial.flagged
    assert [position for position, _ in parallel.flagged] == [999, 1999, 2999, 3999, 4999, 5999]
    assert {issue.rule for _, found in parallel.flagged for issue in found} == {
        "outside-calling-hours"
    }
