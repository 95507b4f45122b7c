"""Plan reporters: exact output of each format."""

from __future__ import annotations

import io
import json
from typing import Any

from acdload.planning.matching import Action, ActionName, Plan
from acdload.reports.plan import PLAN_REPORTERS, wants_color
from acdload.reports.plan_values import shown_pair

TARGET = "https://jtel.example.com/rest/v1.0/1000"
KEY = ("AcdEventTypesID", "Sender", "UserData")


def action(
    index: int,
    name: ActionName,
    event_id: int | None = None,
    changes: dict[str, list[Any]] | None = None,
    line: int | None = None,
) -> Action:
    sender = f"4917012345{index:02d}"
    payload = {
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": sender,
        "Subject": f"Call {sender}",
        "UserData": f"CB-{index}",
    }
    key = {"AcdEventTypesID": 3, "Sender": sender, "UserData": f"CB-{index}"}
    line = line if line is not None else 10 + 2 * index
    return Action(index, "c.yaml", line, key, name, event_id, changes or {}, payload)


def sample() -> Plan:
    return Plan(
        TARGET,
        KEY,
        [
            action(0, "create"),
            action(1, "exists", 7),
            action(
                2, "drift", 8, {"Subject": ["Call old", "Call 491701234502"], "UsersID": [3, None]}
            ),
            action(3, "create"),
        ],
    )


def report(name: str, plan: Plan, **options: Any) -> str:
    out = io.StringIO()
    PLAN_REPORTERS[name](out, **options).report(plan)
    return out.getvalue()


def test_registry() -> None:
    assert sorted(PLAN_REPORTERS) == ["html", "json", "markdown", "text"]


def test_text() -> None:
    assert report("text", sample()) == (
        f"2 to create, 1 unchanged, 1 drifted (target: {TARGET})\n"
        '+ create c.yaml:10  AcdEventTypesID=3 Sender=491701234500 UserData=CB-0  "Call 491701234500"\n'
        '~ drift  c.yaml:14  AcdEventTypesID=3 Sender=491701234502 UserData=CB-2  "Call 491701234502"  (event 8)\n'
        '      Subject: "Call old" -> "Call 491701234502"\n'
        "      UsersID: 3 -> null\n"
        '+ create c.yaml:16  AcdEventTypesID=3 Sender=491701234503 UserData=CB-3  "Call 491701234503"\n'
    )


def test_text_verbose_lists_unchanged_in_order() -> None:
    lines = report("text", sample(), verbose=True).splitlines()
    assert lines[2] == (
        '= exists c.yaml:12  AcdEventTypesID=3 Sender=491701234501 UserData=CB-1  "Call 491701234501"  (event 7)'
    )


def test_text_redacted() -> None:
    text = report("text", sample(), redact=True)
    assert "4917012345" not in text
    assert (
        '~ drift  c.yaml:14  AcdEventTypesID=3 Sender=4917******02 UserData=CB-2  "Call 4917******02"  (event 8)\n'
        '      Subject: "Call old" -> "Call 4917******02"\n'
    ) in text


def test_text_colour_only_when_asked() -> None:
    coloured = report("text", sample(), color=True)
    assert "\x1b[32m+ create\x1b[0m c.yaml:10" in coloured
    assert "\x1b[33m~ drift \x1b[0m c.yaml:14" in coloured
    assert "\x1b[" not in report("text", sample())


def test_text_offline_and_shared_keys() -> None:
    plan = Plan(None, KEY, [action(0, "create")], offline=True)
    assert report("text", plan).splitlines()[0] == (
        "1 to create, 0 unchanged, 0 drifted (offline: the server was not read)"
    )
    plan = Plan(TARGET, KEY, [action(0, "exists", 3)], shared_keys=2)
    assert report("text", plan).splitlines()[-1] == (
        "note: 2 more server events share a key with an older event; "
        "each key matched its oldest event (lowest ID)"
    )


def test_long_differences_show_where_they_start() -> None:
    server = "Please call back. " * 10 + "Reason: invoice"
    manifest = "Please call back. " * 10 + "Reason: contract"
    left, right = shown_pair(server, manifest)
    assert left.startswith("…") and right.startswith("…")
    assert "invoice" in left and "contract" in right
    assert len(left) <= 61 and len(right) <= 61


def test_json_is_exactly_the_contract_and_unredacted() -> None:
    document = json.loads(report("json", sample(), redact=True))
    assert list(document) == ["target", "summary", "actions"]
    assert document["target"] == TARGET
    assert document["summary"] == {
        "create": 2,
        "exists": 1,
        "drift": 1,
        "expired": 0,
        "already_open": 0,
    }
    assert list(document["actions"][0]) == [
        "index",
        "file",
        "line",
        "key",
        "action",
        "event_id",
        "changes",
        "payload",
        "already_open",
    ]
    assert document["actions"][2]["changes"] == {
        "Subject": ["Call old", "Call 491701234502"],
        "UsersID": [3, None],
    }
    assert document["actions"][0]["payload"]["Sender"] == "491701234500"


def test_markdown() -> None:
    assert report("markdown", sample()) == (
        "## acdload plan\n"
        "\n"
        f"Target: `{TARGET}`\n"
        "\n"
        "| action | events |\n"
        "|---|---:|\n"
        "| to create | 2 |\n"
        "| unchanged | 1 |\n"
        "| drifted | 1 |\n"
        "\n"
        "### To create (2)\n"
        "\n"
        "| where | key | Subject |\n"
        "|---|---|---|\n"
        "| `c.yaml:10` | AcdEventTypesID=3, Sender=491701234500, UserData=CB-0 | Call 491701234500 |\n"
        "| `c.yaml:16` | AcdEventTypesID=3, Sender=491701234503, UserData=CB-3 | Call 491701234503 |\n"
        "\n"
        "### Drifted (1)\n"
        "\n"
        "The API cannot update events: these stay as the server holds them.\n"
        "\n"
        "| where | event | field | server | manifest |\n"
        "|---|---|---|---|---|\n"
        '| `c.yaml:14` | 8 | Subject | "Call old" | "Call 491701234502" |\n'
        "| `c.yaml:14` | 8 | UsersID | 3 | null |\n"
    )


def test_markdown_escapes_cells() -> None:
    odd = action(0, "create")
    odd.payload["Subject"] = "a | b <script>\nc"
    text = report("markdown", Plan(TARGET, KEY, [odd]))
    assert "| a \\| b &lt;script&gt;<br>c |" in text


def test_markdown_folds_and_caps_long_lists() -> None:
    plan = Plan(TARGET, KEY, [action(i, "create") for i in range(120)])
    text = report("markdown", plan, redact=True)
    assert "### To create (120)" in text
    assert "<details><summary>Show 120 rows</summary>" in text and "</details>" in text
    assert text.count("| `c.yaml:") == 50
    assert "… and 70 more; `--format json` lists them all." in text
    assert "4917012345" not in text
    assert len(text) < 10_000


def test_markdown_offline() -> None:
    plan = Plan(None, KEY, [action(0, "create")], offline=True)
    assert "Target: none (`--offline`" in report("markdown", plan)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wants_color_only_on_a_terminal_without_no_color() -> None:
    assert wants_color(Terminal(), {}) is True
    assert wants_color(Terminal(), {"NO_COLOR": "1"}) is False
    assert wants_color(io.StringIO(), {}) is False
