"""Fixtures that start the jtel emulator for end-to-end tests (loaded via ``pytest_plugins``).

- ``emulator``: a fresh emulator in a background thread on 127.0.0.1, with a file
  database in ``tmp_path``.
- ``emulator_factory``: the same with any :class:`EmulatorConfig` options
  (``emulator_factory(groups=path, fail_rate=0.5, seed=1)``); in memory unless ``db`` is given.
- ``emulator_process``: ``python -m acdload.emulator`` as a real subprocess, for what a
  thread cannot show (signals, exit codes, a second process on the same database).

Every emulator is stopped at teardown.
"""

from __future__ import annotations

import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from acdload.emulator import Emulator, EmulatorConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 20.0


@dataclass
class EmulatorHandle:
    """Where an emulator listens and how to talk to it."""

    base_url: str
    token: str
    client_id: int
    db: Path | None

    @property
    def headers(self) -> dict[str, str]:
        """The bearer-token header every request needs."""
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str) -> str:
        """``url("/acd/events")`` is the full URL of that function."""
        return f"{self.base_url}{path}"


@dataclass
class RunningEmulator(EmulatorHandle):
    """An emulator serving from a thread of the test process."""

    emulator: Emulator


def _start_thread_emulator(config: EmulatorConfig) -> RunningEmulator:
    emulator = Emulator(config).start()
    return RunningEmulator(
        base_url=emulator.base_url,
        token=emulator.token,
        client_id=emulator.client_id,
        db=config.db,
        emulator=emulator,
    )


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., RunningEmulator]]:
    """Start emulators with ``EmulatorConfig`` options; all are stopped at teardown."""
    started: list[Emulator] = []

    def start(**options: Any) -> RunningEmulator:
        options.setdefault("host", "127.0.0.1")
        running = _start_thread_emulator(EmulatorConfig(**options))
        started.append(running.emulator)
        return running

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]) -> RunningEmulator:
    """A fresh emulator on 127.0.0.1 with a file database in ``tmp_path``."""
    return emulator_factory(db=tmp_path / "emulator.sqlite3")


@dataclass
class EmulatorProcess(EmulatorHandle):
    """``python -m acdload.emulator`` running as a child process."""

    process: subprocess.Popen[str]
    stderr_path: Path
    stdout_lines: list[str]  # every line printed so far (all of them once stopped)
    _reader: threading.Thread

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send ``signum`` (if still running), wait for the exit, return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self._reader.join(timeout)
            if self.process.stdout is not None:
                self.process.stdout.close()
        return code

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def _pump_lines(stream: Any, lines: queue.Queue[str], seen: list[str]) -> None:
    for line in stream:
        seen.append(line.rstrip("\n"))
        lines.put(seen[-1])
    lines.put("")  # end of output: the process is gone


def _next_line(lines: queue.Queue[str], process: subprocess.Popen[str], stderr: Path) -> str:
    try:
        line = lines.get(timeout=STARTUP_TIMEOUT_S)
    except queue.Empty:
        line = ""
    if not line:
        process.kill()
        process.wait()
        raise RuntimeError(
            "the emulator process did not print its base URL and token; stderr:\n"
            + stderr.read_text(encoding="utf-8", errors="replace")
        )
    return line


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[Callable[..., EmulatorProcess]]:
    """Start ``python -m acdload.emulator`` with extra options; stopped at teardown.

    ``emulator_process("--fail-rate", "0.5", "--seed", "1", db=path, token="t")``.
    Without ``db`` each process gets a fresh file in ``tmp_path`` (``in_memory=True``
    for none); without ``token`` the emulator generates one and the handle reads it.
    """
    started: list[EmulatorProcess] = []
    numbers = itertools.count(1)

    def start(
        *args: str,
        db: Path | None = None,
        in_memory: bool = False,
        token: str | None = None,
        client_id: int = 1000,
    ) -> EmulatorProcess:
        number = next(numbers)
        if db is None and not in_memory:
            db = tmp_path / f"emulator-process-{number}.sqlite3"
        command = [sys.executable, "-m", "acdload.emulator", "--host", "127.0.0.1"]
        command += ["--client-id", str(client_id)]
        command += ["--db", str(db)] if db is not None else []
        command += ["--token", token] if token is not None else []
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        stderr_path = tmp_path / f"emulator-process-{number}.stderr"
        with stderr_path.open("w", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [*command, *args],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=env,
                cwd=tmp_path,
            )
        lines: queue.Queue[str] = queue.Queue()
        seen: list[str] = []
        reader = threading.Thread(
            target=_pump_lines, args=(process.stdout, lines, seen), daemon=True
        )
        reader.start()
        handle = EmulatorProcess(
            base_url="",
            token=token or "",
            client_id=client_id,
            db=db,
            process=process,
            stderr_path=stderr_path,
            stdout_lines=seen,
            _reader=reader,
        )
        started.append(handle)
        handle.base_url = _next_line(lines, process, stderr_path)
        if token is None:
            handle.token = _next_line(lines, process, stderr_path)
        return handle

    yield start
    for handle in started:
        if handle.process.returncode is None:
            handle.stop()
        elif handle.process.stdout is not None and not handle.process.stdout.closed:
            handle._reader.join(5)
            handle.process.stdout.close()
