"""The README's tour and every walk-through in docs/ work as written: their commands run in
order, and what they print is what the page shows.

How a page says what runs and how its output is compared: ``tests/cli/walkthroughs.py``.
A mismatch names the page and line, and shows the output shown next to the output printed,
so a drifted page is fixed by reading the failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.cli.walkthroughs import (
    REPO,
    SHOWN_HOME,
    TIMEOUT,
    Background,
    Block,
    Shell,
    bin_dir,
    blocks,
    free_port,
    matches,
    page_environment,
)

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("walkthrough-*.md"))]
EMULATOR_PORT = re.compile(r"acdload emulator .*--port (\d+)")
SIGNAL_WHEN = re.compile(r"(\w+) when (\S+) contains (.+)")


class PageRun:
    """One page's blocks, run in order; every mismatch is collected, not raised."""

    def __init__(self, page: Path, base: Path) -> None:
        self.page = page
        self.shipped = REPO / "examples" / "walkthroughs" / page.stem.removeprefix("walkthrough-")
        self.home = base / "home"
        start = self.home / "acdload"
        shutil.copytree(REPO / "examples", start / "examples")
        self.env = page_environment(self.home, bin_dir(base))
        self.shell = Shell(start, self.env)
        self.blocks = blocks(page)
        self.ports = {
            port: str(free_port())
            for block in self.blocks
            for command, _ in block.commands()
            for port in EMULATOR_PORT.findall(command)
        }
        self.background: dict[str, tuple[Block, str, Background]] = {}
        self.failures: list[str] = []

    # --- what the reader types, and what the page shows ---------------------------------

    def typed(self, command: str) -> str:
        for shown, real in self.ports.items():
            command = re.sub(rf"(?<=:){shown}\b|(?<=--port ){shown}\b", real, command)
        return command

    def shown(self, text: str) -> str:
        text = text.replace(str(self.home), SHOWN_HOME).replace("\r\n", "\n")
        for shown, real in self.ports.items():
            text = re.sub(rf"(?<=:){real}\b", shown, text)
        return "".join(
            line for line in text.splitlines(keepends=True) if not line.startswith("progress: ")
        )

    def compare(
        self, block: Block, what: str, expected: str, actual: str, prefix: bool = False
    ) -> None:
        printed = self.shown(actual)
        if not matches(expected, printed, prefix=prefix):
            self.failures.append(
                f"{self.page.name}:{block.line}: {what}\n--- shown in the page\n"
                f"{expected.rstrip()}\n--- printed{' (beginning)' if prefix else ''}\n{printed}"
            )

    # --- running ----------------------------------------------------------------------

    def run(self) -> list[str]:
        try:
            for block in self.blocks:
                self.block(block)
            for name, (block, expected, started) in self.background.items():
                self.compare(block, f"background {name}", expected, started.text(), prefix=True)
        finally:
            for _, _, started in self.background.values():
                started.stop()
            self.shell.close()
        return self.failures

    def block(self, block: Block) -> None:
        if block.get("skip") is not None:
            return
        handled = False
        for key, value in block.directives:
            handled |= key in ("join", "run", "file", "append", "command")
            if key == "join":
                self.join(block, value)
            elif key == "run":
                self.hidden(block, value)
            elif key in ("file", "append"):
                self.write(block, value, append=key == "append")
            elif key == "command":
                _, out = self.shell.run(self.typed(value) + " 2>/dev/null")
                self.compare(block, value, block.text, out)
        if block.language not in ("console", "sh"):
            return
        commands = block.commands()
        if not commands and not handled:
            self.failures.append(
                f"{self.page.name}:{block.line}: a {block.language} block with nothing to run: "
                "add a command, or <!-- walkthrough: skip REASON -->"
            )
        for number, (command, expected) in enumerate(commands):
            self.command(block, command, expected, first=number == 0)

    def command(self, block: Block, command: str, expected: str, *, first: bool) -> None:
        extra = dict(value.split("=", 1) for key, value in block.directives if key == "env")
        name = block.get("background") if first else None
        when = block.get("signal") if first else None
        if name is not None or when is not None:
            cwd, env = self.shell.state()
            started = Background(
                subprocess.Popen(
                    ["bash", "-c", self.typed(command)],
                    cwd=cwd,
                    env=env | extra,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            if name is not None:
                self.background[name] = (block, expected, started)
                text = block.get("wait")
                if text is not None and not started.wait_for(text):
                    self.compare(
                        block, f"$ {command} (waiting for {text!r})", expected, started.text()
                    )
                return
            assert when is not None
            self.interrupt(block, command, expected, started, cwd, when)
            return
        if extra:
            exports = " ".join(f"{k}={v}" for k, v in extra.items())
            command_line = f"( export {exports}; {self.typed(command)} )"
        else:
            command_line = self.typed(command)
        code, out = self.shell.run(command_line)
        if block.language == "sh" and code != 0:
            self.failures.append(
                f"{self.page.name}:{block.line}: $ {command} exited {code}:\n{out}"
            )
        elif block.language == "console":
            self.compare(block, f"$ {command}", expected, out)

    def interrupt(
        self, block: Block, command: str, expected: str, started: Background, cwd: Path, when: str
    ) -> None:
        found = SIGNAL_WHEN.fullmatch(when)
        assert found, f"{self.page.name}:{block.line}: signal NAME when PATH contains TEXT"
        number = getattr(signal, f"SIG{found.group(1)}")
        watched, text = cwd / found.group(2), found.group(3)

        def watch() -> None:
            deadline = time.monotonic() + TIMEOUT
            while started.process.poll() is None and time.monotonic() < deadline:
                if watched.exists() and text in watched.read_text(
                    encoding="utf-8", errors="replace"
                ):
                    os.killpg(started.process.pid, number)
                    return
                time.sleep(0.005)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        code = started.finish()
        watcher.join()
        self.shell.run(f"(exit {code if code >= 0 else 128 - code})")  # for a later `echo $?`
        self.compare(block, f"$ {command}", expected, started.text())

    def join(self, block: Block, name: str) -> None:
        entry, expected, started = self.background.pop(name)
        started.finish()
        self.compare(entry, f"background {name}", expected, started.text(), prefix=True)
        if not block.commands():
            self.compare(block, f"all that {name} printed", block.text, started.text())

    def hidden(self, block: Block, command: str) -> None:
        code, out = self.shell.run(self.typed(command))
        if code != 0:
            self.failures.append(
                f"{self.page.name}:{block.line}: the hidden step {command!r} exited {code}:\n{out}"
            )

    def write(self, block: Block, name: str, *, append: bool) -> None:
        cwd, _ = self.shell.state()
        path = cwd / name
        with path.open("a" if append else "w", encoding="utf-8") as out:
            out.write(block.text)
        shipped = self.shipped / name
        if not append and shipped.exists() and shipped.read_text(encoding="utf-8") != block.text:
            self.failures.append(
                f"{self.page.name}:{block.line}: the block differs from the shipped "
                f"{shipped.relative_to(REPO)}"
            )


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_page_works_as_written(page: Path, tmp_path: Path) -> None:
    failures = PageRun(page, tmp_path).run()
    assert not failures, "\n\n".join(failures)


def test_every_file_a_walkthrough_ships_is_used_by_it() -> None:
    for folder in sorted((REPO / "examples" / "walkthroughs").iterdir()):
        page = (REPO / "docs" / f"walkthrough-{folder.name}.md").read_text(encoding="utf-8")
        for path in folder.iterdir():
            assert f"examples/walkthroughs/{folder.name}" in page, folder.name
            assert path.name in page, f"{path.relative_to(REPO)} is not used by its walk-through"


def test_the_convention_is_followed() -> None:
    """Blocks that run are console or sh; a directive names a known key."""
    known = {
        "skip",
        "file",
        "append",
        "run",
        "env",
        "background",
        "wait",
        "join",
        "signal",
        "command",
    }
    for page in PAGES:
        for block in blocks(page):
            for key, _ in block.directives:
                assert key in known, f"{page.name}:{block.line}: unknown directive {key!r}"
            if block.get("background") or block.get("signal"):
                assert block.commands(), f"{page.name}:{block.line}: no command to start"


@pytest.mark.parametrize(
    ("shown", "printed", "prefix", "same"),
    [
        ("a\nb\n", "a\nb\n", False, True),
        ("a\nb\n", "a\nc\n", False, False),
        ("a\n...\nd\n", "a\nb\nc\nd\n", False, True),
        ("a\n...\nd\n", "a\nd\n", False, True),
        ("a\n...\nd\n", "a\nb\n", False, False),
        ("x ... z", "x 1, 2 z\n", False, True),
        (
            "apply: 8 created in 0.0s (8 requests, 871.8/s)",
            "apply: 8 created in 2.5s (8 requests, 3.2/s)",
            False,
            True,
        ),
        ("apply: 8 created in 0.0s", "apply: 7 created in 0.0s", False, False),
        (
            '"at":1795839719.48,"run":"bb1d02f04a714cb09ea304a41b50cf66"',
            '"at":17.5,"run":"0123456789abcdef0123456789abcdef"',
            False,
            True,
        ),
        ("plan\n^C\ninterrupted\n", "plan\n\ninterrupted\n", False, True),
        ("first\n", "first\nsecond\n", True, True),
        ("first\n", "first\nsecond\n", False, False),
        ("", "", False, True),
        ("", "anything\n", False, False),
    ],
)
def test_how_output_is_compared(shown: str, printed: str, prefix: bool, same: bool) -> None:
    assert matches(shown, printed, prefix=prefix) is same


def test_a_page_that_drifted_fails_at_its_line(tmp_path: Path) -> None:
    page = tmp_path / "walkthrough-drift.md"
    page.write_text(
        "Intro.\n\n```console\n$ echo hello\nhello\n$ echo hello\ngoodbye\n```\n\n"
        "```sh\nfalse\n```\n\n```console\nno command here\n```\n",
        encoding="utf-8",
    )
    failures = PageRun(page, tmp_path / "run").run()
    assert [failure.splitlines()[0] for failure in failures] == [
        "walkthrough-drift.md:3: $ echo hello",
        "walkthrough-drift.md:10: $ false exited 1:",
        "walkthrough-drift.md:14: a console block with nothing to run: add a command, or "
        "<!-- walkthrough: skip REASON -->",
    ]
    assert "--- shown in the page\ngoodbye\n--- printed\nhello" in failures[0]


def test_how_blocks_are_read(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- walkthrough: skip no server -->\n<!-- walkthrough: env A=1 -->\n"
        "```sh\n# a comment\nmkdir x && \\\n  cd x\nls\n```\n\n"
        "```console\n$ one\nout 1\n...\n$ two\n```\n\n```yaml\nk: v\n```\n",
        encoding="utf-8",
    )
    first, second, third = blocks(page)
    assert (first.line, first.get("skip"), first.get("env")) == (3, "no server", "A=1")
    assert first.commands() == [("mkdir x && \\\n  cd x", ""), ("ls", "")]
    assert second.directives == [] and second.commands() == [("one", "out 1\n..."), ("two", "")]
    assert (third.language, third.text) == ("yaml", "k: v\n")
