"""Running a page of the docs as a reader would: its commands, in order, in one shell.

The convention a page follows (README.md and docs/walkthrough-*.md):

- A ```` ```console ```` block is commands and what they print: each line starting with
  ``$ `` is a command; the lines after it, up to the next command, are its output
  (stdout and stderr as a terminal shows them, interleaved). A ```` ```sh ```` block is
  commands only: each must exit 0, its output is not shown. Every other block (yaml,
  json, text, markdown) is an illustration and is not run, unless a directive says more.
- Directives are HTML comments on their own line right before a block (GitHub does not
  show them), one per comment, ``<!-- walkthrough: KEY VALUE -->``:

  ``skip REASON``
      the block is not run (``pip install``, ``gh``, a pre-commit hook that needs the
      network). A console or sh block with nothing to run and no ``skip`` is an error.
  ``file PATH`` / ``append PATH``
      the block is the content of PATH (written, or added to its end), relative to the
      shell's directory: the manifest a reader creates from the page. If the page ships
      the file as ``examples/walkthroughs/PAGE/PATH``, the block must equal it.
  ``run COMMAND``
      a hidden step before the block, standing in for what a reader does by hand (an edit
      in an editor); it must exit 0.
  ``env NAME=VALUE``
      the block's commands run with this variable (a test hook standing in for a
      ``kill -9`` at an exact moment, ``GITHUB_ACTIONS``).
  ``background NAME``
      the block's first command is started and left running (a server in a second
      terminal, a colleague's apply); the output shown must be how its output begins.
  ``wait TEXT``
      with ``background``: go on only once its output holds TEXT.
  ``join NAME``
      before the block, wait until the background command NAME has ended; a block with
      no command is then its whole output.
  ``signal NAME when PATH contains TEXT``
      the block's first command gets signal NAME (``INT`` for a Ctrl-C) as soon as the
      file PATH holds TEXT.
  ``command COMMAND``
      the block is what COMMAND prints on stdout (a Markdown plan, a file's content).

- How output is compared: ``...`` on a line of its own stands for any number of lines,
  and inside a line for any text. Both sides are normalised first: durations and rates
  (``in 2.4s``, ``4.9/s``), journal timestamps, hexadecimal run and lock IDs, and the
  lock holder's pid, host and start time are placeholders; the actual output shows the
  temporary home directory as ``/home/anna`` and each emulator's real port as the port
  the page gives to ``acdload emulator --port``; ``progress:`` lines (timing-dependent)
  are dropped, CRLF line ends print as LF (a terminal shows no difference), a ``^C`` line
  (the terminal's echo of Ctrl-C) stands for the empty line a pipe gets instead, and a
  command killed by SIGKILL prints ``Killed``, as a shell shows it.

Each page runs in a fresh home directory (shown as ``/home/anna``) from ``~/acdload``, a
copy of the repository's ``examples/`` as a checkout has it, with ``acdload`` on PATH.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.applying import failpoint

REPO = Path(__file__).resolve().parent.parent.parent
SHOWN_HOME = "/home/anna"
TIMEOUT = 120.0
DIRECTIVE = re.compile(r"<!-- walkthrough: (\w+)(?: (.*?))? -->$")
FENCE = re.compile(r"```(\S*)")


@dataclass
class Block:
    """A fenced block, where it starts, and the directives before it."""

    language: str
    text: str
    line: int
    directives: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        return next((value for name, value in self.directives if name == key), None)

    def commands(self) -> list[tuple[str, str]]:
        """(command, expected output) pairs of a console block; (command, "") in sh."""
        found: list[tuple[str, list[str]]] = []
        pending = ""
        for line in self.text.splitlines():
            if self.language == "sh":
                stripped = line.strip()
                if pending or (stripped and not stripped.startswith("#")):
                    pending += line
                    if line.endswith("\\"):  # continued: bash reads the two as one
                        pending += "\n"
                        continue
                    found.append((pending, []))
                    pending = ""
            elif line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line)
        return [(command, "\n".join(output)) for command, output in found]


def blocks(page: Path) -> list[Block]:
    found: list[Block] = []
    directives: list[tuple[str, str]] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        directive = DIRECTIVE.match(line.strip())
        fence = FENCE.fullmatch(line.strip())
        if directive:
            directives.append((directive.group(1), directive.group(2) or ""))
        elif fence:
            end = number + 1
            while lines[end].strip() != "```":
                end += 1
            text = "\n".join(lines[number + 1 : end]) + "\n"
            found.append(Block(fence.group(1), text, number + 1, directives))
            directives = []
            number = end
        number += 1
    return found


# --- comparing ----------------------------------------------------------------------------

_BOTH = [
    (re.compile(r"\b\d+\.\d+s\b"), "N.Ns"),
    (re.compile(r"\b\d+\.\d+/s\b"), "N.N/s"),
    (re.compile(r'"at":\d+(\.\d+)?'), '"at":T'),
    (re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{16,}\b"), "HEX"),
    (re.compile(r"pid \d+ on [^,]+, started [^,]+,"), "pid N on HOST, started T,"),
]


def normalised(text: str) -> str:
    for pattern, placeholder in _BOTH:
        text = pattern.sub(placeholder, text)
    return text


def matches(expected: str, actual: str, *, prefix: bool = False) -> bool:
    """Whether ``actual`` is what ``expected`` shows (with its ``...``), both normalised."""
    # A terminal echoes Ctrl-C as ``^C`` on the line the program's next line end closes.
    want = ["" if line == "^C" else line for line in normalised(expected).rstrip("\n").split("\n")]
    if want == [""]:
        want = []
    parts = []
    for line in want:
        if line == "...":
            parts.append("(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(piece) for piece in line.split("...")) + "\n")
    pattern = re.compile("".join(parts))
    text = normalised(actual)
    text = text if not text or text.endswith("\n") else text + "\n"
    return (pattern.match(text) if prefix else pattern.fullmatch(text)) is not None


# --- running --------------------------------------------------------------------------------


def pump(fd: int, sink: bytearray, lock: threading.Lock) -> None:
    """Copy what a process prints into ``sink`` as it comes, until it closes its end."""
    for chunk in iter(lambda: os.read(fd, 65536), b""):
        with lock:
            sink += chunk


class Shell:
    """One bash reading commands from a pipe, as a reader's terminal (cd and export stick)."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.token = uuid.uuid4().hex
        self.process = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.output = bytearray()
        self.lock = threading.Lock()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        pump(self.process.stdout.fileno(), self.output, self.lock)

    def run(self, command: str, timeout: float = TIMEOUT) -> tuple[int, str]:
        """Run ``command`` (stdin from /dev/null); its exit code and merged output."""
        assert self.process.stdin is not None
        marker = f"\n{self.token} "
        script = (
            f"{{ {command}\n}} </dev/null; __rc=$?; printf '\\n%s %d\\n' {self.token} $__rc; "
            "(exit $__rc)\n"
        )
        self.process.stdin.write(script.encode())
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                text = self.output.decode("utf-8", errors="replace")
                found = re.search(re.escape(marker) + r"(\d+)\n", text)
                if found:
                    del self.output[: len(text[: found.end()].encode())]
                    return int(found.group(1)), text[: found.start()]
            time.sleep(0.01)
        raise TimeoutError(f"{command!r} did not finish in {timeout:.0f} s")

    def state(self) -> tuple[Path, dict[str, str]]:
        """The shell's directory and exported environment, for commands started beside it."""
        _, cwd = self.run("pwd")
        _, env = self.run("env -0 | base64 -w0")
        pairs = base64.b64decode(env).decode().split("\0")
        return Path(cwd.strip()), dict(pair.split("=", 1) for pair in pairs if "=" in pair)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.pump.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@dataclass
class Background:
    """A command started beside the shell, with everything it printed so far."""

    process: subprocess.Popen[bytes]
    output: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        pump(self.process.stdout.fileno(), self.output, threading.Lock())

    def text(self) -> str:
        shown = bytes(self.output).decode("utf-8", errors="replace")
        if self.process.poll() == -signal.SIGKILL:
            shown += ("" if not shown or shown.endswith("\n") else "\n") + "Killed\n"
        return shown

    def wait_for(self, text: str, timeout: float = TIMEOUT) -> bool:
        """Whether the output comes to hold ``text`` (False once the command ended without)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.text():
                return True
            if self.process.poll() is not None:
                self.pump.join(10)
                return text in self.text()
            time.sleep(0.01)
        return False

    def finish(self, timeout: float = TIMEOUT) -> int:
        """Wait for the end of the command and of its output; its exit code."""
        code = self.process.wait(timeout)
        self.pump.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.finish()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bin_dir(base: Path) -> Path:
    """A directory whose ``acdload`` runs this checkout, and whose ``python3`` is the
    interpreter running the tests (one with acdload's dependencies)."""
    found = base / "bin"
    found.mkdir(parents=True)
    for name, run in (("acdload", "-m acdload "), ("python3", "")):
        script = found / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" {run}"$@"\n', encoding="utf-8")
        script.chmod(0o755)
    return found


def page_environment(home: Path, bin_dir: Path) -> dict[str, str]:
    keep = ("LANG", "TERM", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"]),
        # The repository, and the kill tests' ACDLOAD_FAILPOINT hook (an ``env`` directive).
        PYTHONPATH=os.pathsep.join([str(REPO), str(failpoint.SITE)]),
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        LC_ALL="C.UTF-8",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
    )
    # Who the reader is to git, as their own configuration would say.
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "Anna Schmidt"
        env[f"GIT_{role}_EMAIL"] = "anna@example.com"
    return env
