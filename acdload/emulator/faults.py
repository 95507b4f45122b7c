"""Seeded fault injection for creates.

Faults exist to prove that a client never loses or duplicates an event, so a failing
test must be replayable: with the same ``--seed``, the n-th valid create received gets
the same fault. One draw per create decides it, which is also why each create suffers
at most one fault.
"""

from __future__ import annotations

import enum
import random
import threading

__all__ = ["Fault", "FaultPlan"]


class Fault(enum.Enum):
    """What happens to one valid create."""

    NONE = "none"
    FAIL = "fail"  # answer 500, store nothing
    DROP = "drop"  # store, then close the connection without an answer
    LATE_COMMIT = "late-commit"  # hold the request past the client's timeout, then store


class FaultPlan:
    """Draws a :class:`Fault` per create; thread-safe, reproducible for a given seed."""

    def __init__(
        self, *, fail_rate: float, drop_rate: float, late_commit_rate: float, seed: int | None
    ) -> None:
        self._thresholds = (
            (fail_rate, Fault.FAIL),
            (fail_rate + drop_rate, Fault.DROP),
            (fail_rate + drop_rate + late_commit_rate, Fault.LATE_COMMIT),
        )
        self._active = fail_rate + drop_rate + late_commit_rate > 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> Fault:
        if not self._active:
            return Fault.NONE
        with self._lock:
            roll = self._random.random()
        for threshold, fault in self._thresholds:
            if roll < threshold:
                return fault
        return Fault.NONE
