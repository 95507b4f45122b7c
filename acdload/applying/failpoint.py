"""A test hook that kills apply at the exact moments a timer in a test cannot hit."""

from __future__ import annotations

import os
import signal
import threading

FAILPOINT_ENV = "ACDLOAD_FAILPOINT"


class Failpoint:
    """SIGKILLs this process at one phase of one create (``PHASE:N``).

    The kill tests use it to die at the exact moments a timer cannot hit: just before the
    Nth create is sent (``before-send``), while it is in flight (``in-flight``: the kill
    comes from a timer 50 ms after sending starts, so the server must be slower than that)
    and after its answer but before the journal has it (``after-answer``). Unset, it costs
    one comparison per create.
    """

    def __init__(self, spec: str | None) -> None:
        phase, _, number = (spec or "").partition(":")
        self.phase = phase if number.isdigit() else ""
        self.number = int(number) if number.isdigit() else -1
        self.count = 0

    def hit(self, phase: str) -> None:
        if phase == "before-send":
            self.count += 1
        if phase != self.phase or self.count != self.number:
            return
        if phase == "in-flight":
            threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGKILL)).start()
        else:
            os.kill(os.getpid(), signal.SIGKILL)
