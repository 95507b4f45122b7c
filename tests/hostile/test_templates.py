"""Templates written by a stranger cannot exhaust memory or time, nor crash acdload.

A pull request controls the manifests CI validates, so every template below is an attack:
one small expression that asks for gigabytes, recursion without end, or a load whose
every template runs for its whole time budget. Each must end as a ``template-limit``
problem at the template's line, at once, with no traceback; adding an attack is adding a
line to ``AMPLIFIERS``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import Result

from tests.cli_runner import Cli

NOW = "2026-11-28T12:00:00"
TEMPLATE_AT = "m.yaml:4:12"
"""Where ``_manifest`` writes the Subject template (its ``|-`` block scalar)."""

BIG = "'x' * 99999"
"""A value just under the cap on what one operation may build."""

AMPLIFIERS = {
    "str-replace": "{{ ('a' * 50000).replace('a', 'b' * 50000) }}",
    "str-join": f"{{{{ ({BIG}).join(({BIG})|list) }}}}",
    "str-expandtabs": "{{ ('\\t' * 99999).expandtabs(99999) }}",
    "str-format-width": "{{ ('{0:99999}' * 9999).format(1) }}",
    "str-format-nested-width": "{{ ('{0:{1}}' * 9999).format(1, 99999) }}",
    "str-format-map": "{{ ('{a:99999}' * 9999).format_map({'a': 1}) }}",
    "str-translate": "{{ ('a' * 99999).translate({97: 'b' * 99999}) }}",
    "str-center-accumulated": (
        "{% set ns = namespace(items=[]) %}{% for i in range(99999) %}"
        "{% set ns.items = ns.items + ['x'.center(99999)] %}{% endfor %}{{ ns.items|length }}"
    ),
    "bytes-replace": (
        "{{ ('a' * 50000).encode().replace('a'.encode(), ('b' * 50000).encode())|length }}"
    ),
    "percent-width": "{{ ('%(a)99999d' * 9999) % {'a': 1} }}",
    "percent-star-width": "{{ '%*d' % (999999999, 1) }}",
    "concat-tilde-doubling": (
        f"{{% set ns = namespace(s={BIG}) %}}{{% for i in range(40) %}}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"
    ),
    "concat-plus-doubling": (
        f"{{% set ns = namespace(s={BIG}) %}}{{% for i in range(40) %}}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}"
    ),
    "list-plus-doubling": (
        "{% set ns = namespace(l=range(99999)|list) %}{% for i in range(40) %}"
        "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}"
    ),
    "macro-doubling": (
        f"{{% macro m0() %}}{{{{ {BIG} }}}}{{% endmacro %}}"
        + "".join(
            f"{{% macro m{i}() %}}{{{{ m{i - 1}() }}}}{{{{ m{i - 1}() }}}}{{% endmacro %}}"
            for i in range(1, 25)
        )
        + "{{ m24()|length }}"
    ),
    "output-shared-references": f"{{{{ [{BIG}] * 99999 }}}}",
    "filter-string-shared-references": f"{{{{ ([{BIG}] * 99999)|string|length }}}}",
    "filter-join": f"{{{{ ({BIG})|list|join({BIG}) }}}}",
    "filter-replace": "{{ ('a' * 50000)|replace('a', 'b' * 50000) }}",
    "filter-indent": "{{ ('a\\n' * 50000)|indent(99999)|length }}",
    "filter-wordwrap": "{{ ('a ' * 50000)|wordwrap(1, wrapstring='x' * 99999)|length }}",
    "filter-format": "{{ ('%(a)99999d' * 9999)|format(a=1) }}",
    "filter-map-center": "{{ range(99999)|map('center', 99999)|list|length }}",
    "filter-tojson": f"{{{{ ([{BIG}] * 99999)|tojson|length }}}}",
    "filter-pprint": f"{{{{ ([{BIG}] * 99999)|pprint|length }}}}",
    "filter-urlize": "{{ ('a.example ' * 9000)|urlize(target='x' * 99999)|length }}",
    "filter-xmlattr": f"{{{{ {{'a': [{BIG}] * 99999}}|xmlattr|length }}}}",
    "filter-sum": "{{ ([range(99999)|list] * 999)|sum(start=[])|length }}",
    "int-product-squared": (
        "{% set ns = namespace(n=0) %}{% set ns.n = 2 ** 50000 %}{% for i in range(30) %}"
        "{% set ns.n = ns.n * ns.n %}{% endfor %}{{ ns.n % 10 }}"
    ),
    "range-span": "{{ range(-99999, 99999)|list|length }}",
    "macro-recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "loop-recursion": "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
    "deep-structure": (
        "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}"
        "{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}"
    ),
    "deep-expression": "{{ " + "[" * 300 + "1" + "]" * 300 + " }}",
    # Small lists sharing their halves: comparing or hashing them takes 2^40 steps in one C
    # call, which the time budget's watchdog cannot interrupt.
    "compare-shared-halves": (
        "{% set ns = namespace(a=[], b=[]) %}{% for i in range(40) %}"
        "{% set ns.a = [ns.a, ns.a] %}{% set ns.b = [ns.b, ns.b] %}{% endfor %}{{ ns.a == ns.b }}"
    ),
    "hash-shared-halves": (
        "{% set ns = namespace(t=()) %}{% for i in range(60) %}"
        "{% set ns.t = (ns.t, ns.t) %}{% endfor %}{{ ns.t in {} }}"
    ),
    "repeat-shared-halves": (
        "{% set ns = namespace(a=[]) %}{% for i in range(40) %}"
        "{% set ns.a = [ns.a] * 2 %}{% endfor %}{{ ns.a == ns.a|list }}"
    ),
}


def _manifest(folder: Path, template: str, events: int = 1, name: str = "m.yaml") -> Path:
    """A manifest whose Subject is ``template``; the template starts at ``TEMPLATE_AT``."""
    lines = [
        "version: 1",
        "defaults: {AcdEventTypesID: 6, AcdGroupsID: 235, Sender: info@example.com}",
        "templates:",
        "  Subject: |-",
        *(f"    {line}" for line in template.splitlines()),
        "events:",
        *(f"  - UserData: U-{i}" for i in range(events)),
    ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _validate(cli: Cli, path: Path) -> Result:
    return cli("validate", str(path), "--now", NOW)


def _problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(r": (error|warning): ", line)]


@pytest.mark.parametrize("template", AMPLIFIERS.values(), ids=AMPLIFIERS.keys())
def test_an_amplifying_template_is_a_template_limit_at_its_line(
    cli: Cli, tmp_path: Path, template: str
) -> None:
    result = _validate(cli, _manifest(tmp_path, template))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    [problem] = _problems(result.output)
    assert problem.startswith(f"{tmp_path / TEMPLATE_AT}: error: template for Subject: ")
    assert problem.endswith(" [template-limit]")
    # Refused by a guard before the value was built, not stopped by the time budget.
    assert "took longer than" not in problem


PEAK_REPORTING_ACDLOAD = """
import atexit, os, sys

def report_peak():
    # VmHWM belongs to this program's own memory image: unlike ru_maxrss, it does not
    # inherit the peak of the (large) test process this child was forked from.
    with open("/proc/self/status") as status, open(os.environ["PEAK_FILE"], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])

atexit.register(report_peak)
sys.argv[0] = "acdload"
from acdload.cli import main
main()
"""


def test_every_amplifier_at_once_stays_under_500_mb(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    for number, template in enumerate(AMPLIFIERS.values()):
        _manifest(manifests, template, name=f"m{number:02}.yaml")
    peak_file = tmp_path / "peak"
    child = subprocess.run(
        [sys.executable, "-c", PEAK_REPORTING_ACDLOAD, "validate", str(manifests), "--now", NOW],
        capture_output=True,
        text=True,
        env={**os.environ, "PEAK_FILE": str(peak_file)},
    )
    text = child.stdout + child.stderr
    assert child.returncode == 1, text
    assert "Traceback" not in text
    peak_kb = int(peak_file.read_text())
    assert peak_kb < 500 * 1024, f"peak RSS {peak_kb // 1024} MB"
    limits = [line for line in _problems(text) if line.endswith("[template-limit]")]
    assert len(limits) == len(AMPLIFIERS), text


SLOW = "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}slow"
"""Runs for hours: every event that uses it takes its whole time budget (1 s)."""


def test_a_load_stops_rendering_after_three_template_timeouts(cli: Cli, tmp_path: Path) -> None:
    started = time.monotonic()
    result = _validate(cli, _manifest(tmp_path, SLOW, events=30))
    assert result.exit_code == 1
    assert _problems(result.output) == [
        f"{tmp_path / TEMPLATE_AT}: error: template for Subject: rendering took longer than "
        "1 s; make the template do less work (for all 3 events rendered that use it) "
        "[template-limit]",
        f"{tmp_path}/m.yaml:10: error: rendering stopped after 3 templates took longer than "
        "1 s: this event and 26 more after it were not checked [template-limit]",
    ]
    assert time.monotonic() - started < 20  # all 30 would take 30 s


def test_a_large_load_on_every_core_stops_after_three_timeouts(tmp_path: Path) -> None:
    with open(tmp_path / "list.csv", "w", encoding="utf-8") as rows:
        rows.write("No\n" + "".join(f"T-{i}\n" for i in range(5000)))
    (tmp_path / "m.yaml").write_text(
        "version: 1\n"
        "defaults: {AcdEventTypesID: 6, AcdGroupsID: 235, Sender: info@example.com}\n"
        "templates:\n"
        f'  Subject: "{SLOW}"\n'
        "source: {path: list.csv, columns: {No: UserData}}\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    # A child process: forking for the other cores needs a process with no other threads.
    done = subprocess.run(
        [sys.executable, "-m", "acdload", "validate", str(tmp_path / "m.yaml"), "--now", NOW],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    problems = _problems(done.stdout)
    [timeouts] = [p for p in problems if p.startswith(f"{tmp_path / TEMPLATE_AT}: error: ")]
    [stop] = [p for p in problems if "rendering stopped after 3 templates" in p]
    assert len(problems) == 2, problems
    assert "template for Subject: rendering took longer than 1 s" in timeouts
    # Each core may finish the render it had begun when the third timeout came.
    rendered = int(re.findall(r"for all (\d+) events rendered that use it", timeouts)[0])
    assert 3 <= rendered <= 2 + min(os.cpu_count() or 1, 8), problems
    assert f" and {5000 - rendered - 1} more after it were not checked" in stop
    assert time.monotonic() - started < 60  # the whole load would take 5000 s / cores
