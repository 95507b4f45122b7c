"""The journal stays proportional to the load: a finished apply compacts away the history
of finished runs, and keeps what a later run still reads (merges, unfinished runs, other
targets' lines), whatever else writes to the same journal at the same time."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from acdload.applying.journal import Carried, Journal, key_text
from acdload.applying.journal_compaction import compact
from tests.applying.support import (
    create_on_server,
    journal_sends,
    load_report,
    normalised,
    run_apply,
    sender,
    server_records,
    start_apply,
    text_of,
    wait_for,
    write_csv,
)
from tests.emulator_support import RunningEmulator

JOURNAL = Path(".acdload") / "journal.jsonl"


def _key(number: int) -> str:
    return key_text({"AcdEventTypesID": 3, "Sender": normalised(number), "UserData": f"U-{number}"})


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, separators=(",", ":")) + "\n"


def finished_runs(target: str, runs: int, events: int) -> Iterator[str]:
    """The lines of ``runs`` finished runs of ``events`` creates each, as apply writes them."""
    for number in range(runs):
        run = f"{number:032x}"
        yield _line({"kind": "start", "at": 1.0, "pid": 1, "run": run, "target": target})
        for index in range(events):
            key = _key(number * events + index)
            common = {"index": index, "key": key, "run": run, "target": target}
            yield _line({"kind": "sent", **common, "at": 1.0})
            yield _line({"kind": "done", **common, "outcome": "created", "event_id": index + 1})
        yield _line({"kind": "end", "at": 1.0, "run": run, "target": target})


def _unfinished_run(target: str, event_id: int) -> list[str]:
    """A run killed after it created the load's first event as ``event_id``."""
    common = {"run": "f" * 32, "target": target}
    return [
        _line({"kind": "start", "at": 1.0, "pid": 1, **common}),
        _line({"kind": "sent", "index": 0, "key": _key(0), "at": 1.0, **common}),
        _line({"kind": "done", "index": 0, "key": _key(0), "outcome": "created",
               "event_id": event_id, **common}),
    ]  # fmt: skip


def test_a_finished_apply_leaves_only_what_later_runs_need(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    """10,000 lines of finished runs (as an older acdload left them) go; another target's
    unfinished run stays, and still tells its next run which events it created."""
    ours, theirs = emulator_factory(), emulator_factory()
    stored = create_on_server(
        theirs, {"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": normalised(0),
                 "Subject": "Callback 0", "UserData": "U-0"},
    )  # fmt: skip
    pending = _unfinished_run(theirs.base_url, stored["ID"])
    journal = tmp_path / JOURNAL
    journal.parent.mkdir()
    with journal.open("w", encoding="utf-8") as out:
        out.writelines(finished_runs(ours.base_url, runs=50, events=100))
        out.writelines(pending)
    write_csv(tmp_path / "load.csv", 5)

    for _ in range(2):  # the second run sends nothing: still nothing of it stays
        done = run_apply(tmp_path, "load.csv", "--yes", handle=ours)

        assert done.returncode == 0, done.stderr
        assert "warning" not in done.stderr
        assert journal.read_text(encoding="utf-8") == "".join(pending)
    assert "apply: 5 exists" in done.stderr

    write_csv(tmp_path / "theirs.csv", 1)
    resumed = run_apply(tmp_path, "theirs.csv", "--yes", "--report", "r.json", handle=theirs)

    assert resumed.returncode == 0, resumed.stderr
    [result] = load_report(tmp_path / "r.json")["results"]
    assert (result["outcome"], result["event_id"], result["attempts"]) == (
        "created",  # made by its killed run, not someone else's: the journal still says so
        stored["ID"],
        0,
    )
    assert journal.read_bytes() == b""  # that run finished too: nothing is unsettled


def test_a_merge_outlives_the_compaction_of_its_run(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups:\n  - id: 235\n    no_duplicates: true\n", encoding="utf-8")
    emulator = emulator_factory(groups=groups)
    existing = create_on_server(
        emulator, {"AcdEventTypesID": 3, "AcdGroupsID": 235, "Sender": normalised(1),
                   "Subject": "Last week's callback", "UserData": "OLD-1"},
    )  # fmt: skip
    (tmp_path / "load.csv").write_text(
        f"AcdEventTypesID,AcdGroupsID,Sender,Subject\n3,235,{sender(1)},Please call back\n",
        encoding="utf-8",
    )

    outcomes = []
    for _ in range(3):
        done = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)
        assert done.returncode == 0, done.stderr
        [result] = load_report(tmp_path / "r.json")["results"]
        outcomes.append((result["outcome"], result["event_id"], result["attempts"]))
        [line] = (tmp_path / JOURNAL).read_text(encoding="utf-8").splitlines()
        assert json.loads(line) | {"run": None} == {
            "kind": "done", "index": 0, "outcome": "updated", "event_id": existing["ID"],
            "key": key_text({"AcdEventTypesID": 3, "Sender": normalised(1), "UserData": None}),
            "run": None, "target": emulator.base_url,
        }  # fmt: skip

    assert outcomes == [("updated", existing["ID"], 1)] + [("exists", existing["ID"], 0)] * 2
    [record] = server_records(emulator)
    assert record["EventData"].count("<comment ") == 1


def test_compaction_never_replaces_the_journal_under_another_targets_run(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    """Two targets, one journal: a run that finishes while the other is still writing
    leaves the journal alone, or the other's later lines would go to a replaced file."""
    slow, quick = emulator_factory(latency_ms=150), emulator_factory()
    write_csv(tmp_path / "slow.csv", 30)
    write_csv(tmp_path / "quick.csv", 3)
    journal = tmp_path / JOURNAL
    stderr = tmp_path / "slow.stderr"
    running = start_apply(tmp_path, "slow.csv", "--yes", handle=slow, stderr=stderr)
    try:
        assert wait_for(lambda: journal_sends(journal) >= 2, running), text_of(stderr)

        done = run_apply(tmp_path, "quick.csv", "--yes", handle=quick)
        assert done.returncode == 0, done.stderr

        sent = journal_sends(journal)
        assert wait_for(lambda: journal_sends(journal) >= sent + 3, running), text_of(stderr)
    finally:
        running.send_signal(signal.SIGINT)
        assert running.wait(30) == 130, text_of(stderr)

    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    slow_done = [e for e in lines if e["target"] == slow.base_url and e["kind"] == "done"]
    assert len(slow_done) == len(server_records(slow))  # every create it made is recorded
    assert any(e["target"] == quick.base_url and e["kind"] == "end" for e in lines)

    again = run_apply(tmp_path, "slow.csv", "--yes", "--report", "r.json", handle=slow)
    assert again.returncode == 0, again.stderr
    assert load_report(tmp_path / "r.json")["summary"]["created"] == 30
    assert len(server_records(slow)) == 30
    assert journal.read_bytes() == b""  # alone with the journal, it compacts both targets


# -- the rule itself: every target carries the same from the compacted journal ----------

TARGETS = ("http://a/rest/v1.0/1", "http://b/rest/v1.0/2", None)
RUNS = [(f"{n:032x}", TARGETS[n % len(TARGETS)]) for n in range(5)]
DAMAGED = ["{cut short", "\xff not utf-8", '{"kind":"end","run":7}', "[]"]

steps = st.one_of(
    st.tuples(st.just("start"), st.sampled_from(RUNS)),
    st.tuples(st.just("end"), st.sampled_from(RUNS)),
    st.tuples(
        st.just("sent"), st.sampled_from(RUNS), st.integers(0, 4), st.integers(0, 2_000_000_000)
    ),
    st.tuples(
        st.just("done"),
        st.sampled_from(RUNS),
        st.integers(0, 4),
        st.sampled_from(["created", "updated", "failed", "exists"]),
        st.none() | st.integers(1, 9),
    ),
    st.tuples(st.just("damaged"), st.sampled_from(DAMAGED)),
    st.tuples(st.just("blank")),
)


def _journal_lines(plan: list[tuple[Any, ...]]) -> list[bytes]:
    lines = []
    for step in plan:
        kind = step[0]
        if kind == "damaged":
            lines.append(step[1].encode("latin-1"))
            continue
        if kind == "blank":
            lines.append(b"  ")
            continue
        (run, target), rest = step[1], step[2:]
        entry: dict[str, Any] = {"kind": kind, "run": run, "target": target}
        if kind in ("sent", "done"):
            entry |= {"index": rest[0], "key": _key(rest[0])}
        if kind == "sent":
            entry["at"] = rest[1]
        if kind == "done":
            entry |= {"outcome": rest[1], "event_id": rest[2]}
        lines.append(json.dumps(entry).encode())
    return [line + b"\n" for line in lines]


def _carried(path: Path) -> dict[str | None, tuple[Carried, int]]:
    """What each target carries from the journal at ``path``, and how many lines it warned of."""
    seen = {}
    for target in TARGETS:
        warnings: list[str] = []
        carried = Journal(path, target, warn=warnings.append).carried()
        seen[target] = (carried, len(warnings))
    return seen


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, max_size=40), st.data())
def test_every_target_carries_the_same_from_the_compacted_journal(
    tmp_path_factory: Any, plan: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """A run of the first target reads the journal's first lines, other runs append the
    rest, the run finishes: its compaction (which parses only what it did not read at the
    start) leaves a journal from which every target carries what it carried before, and
    the same journal as a compaction of the whole file from scratch."""
    lines = _journal_lines(plan)
    read = data.draw(st.integers(0, len(lines)), label="lines there when the run starts")
    directory = tmp_path_factory.mktemp("journal")
    path, whole = directory / "journal.jsonl", directory / "whole.jsonl"
    path.write_bytes(b"".join(lines[:read]))
    end = {"kind": "end", "at": 1.0, "run": "0" * 32, "target": TARGETS[0]}

    with Journal(path, TARGETS[0]) as journal:
        journal.carried()
        with path.open("ab") as others:
            others.writelines(lines[read:])
        whole.write_bytes(path.read_bytes() + json.dumps(end).encode() + b"\n")
        before = _carried(whole)
        journal.end(1.0)

    assert _carried(path) == before
    assert compact(whole) is not None
    assert path.read_bytes() == whole.read_bytes()
    assert compact(path) is None  # nothing more to drop
