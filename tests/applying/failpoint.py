"""The kill tests' failpoint: ``ACDLOAD_FAILPOINT=PHASE:N`` SIGKILLs ``acdload apply``.

Production has no such hook: ``Applier`` takes a ``failpoint`` parameter that does nothing
by default. A child process started with :data:`SITE` on its ``PYTHONPATH`` runs
``failpoint_site/sitecustomize.py`` at start-up, which (only when the variable is set)
makes every ``Applier`` the process builds use a :class:`Failpoint` instead, whoever
builds it (the CLI or the library).
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from pathlib import Path
from typing import Any

from acdload.applying.applier import Applier

FAILPOINT_ENV = "ACDLOAD_FAILPOINT"
SITE = Path(__file__).resolve().parent / "failpoint_site"
"""The folder to put on a child's ``PYTHONPATH`` for it to obey :data:`FAILPOINT_ENV`."""


class Failpoint:
    """SIGKILLs this process at one phase of one create request (``PHASE:N``).

    The phases (``acdload.applying.creates.Failpoint``): just before the Nth request is
    sent (``before-send``), while it is in flight (``in-flight``: the kill comes from a
    timer 50 ms after sending starts, so the server must be slower than that) and after its
    answer but before the journal has it (``after-answer``). Retries count as requests.
    """

    def __init__(self, spec: str) -> None:
        phase, _, number = spec.partition(":")
        if not number.isdigit():
            raise ValueError(f"{FAILPOINT_ENV}={spec!r}: expected PHASE:N")
        self.phase = phase
        self.number = int(number)
        self.count = 0

    def __call__(self, phase: str) -> None:
        if phase == "before-send":
            self.count += 1
        if phase != self.phase or self.count != self.number:
            return
        if phase == "in-flight":
            threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGKILL)).start()
        else:
            os.kill(os.getpid(), signal.SIGKILL)


def install(spec: str) -> None:
    """Make every Applier of this process use ``Failpoint(spec)`` (one per Applier, as the
    hook in production code did), unless the caller passes a failpoint of its own."""
    original = Applier.__init__

    @functools.wraps(original)
    def with_failpoint(self: Applier, *args: Any, **options: Any) -> None:
        options.setdefault("failpoint", Failpoint(spec))
        original(self, *args, **options)

    Applier.__init__ = with_failpoint  # type: ignore[method-assign]
