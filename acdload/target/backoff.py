"""How long to wait before trying again: one rule for every retry acdload makes.

Reads (``target.client``) and creates (``applying.creates``) wait alike: what the server's
``Retry-After`` asked for, capped, or else exponential backoff with jitter. Only the first
wait differs (a read gives up after four attempts, so it starts slower; a create has six
attempts and a look-up between them, so it starts faster). The wait is returned, not
slept: each caller sleeps with its own ``sleep``, so tests can assert the waits asked
for without spending them, and pass their own ``jitter``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

RETRY_AFTER_CAP = 60.0
"""The longest wait a ``Retry-After`` header can impose; a larger value is waited this long."""
LONGEST_BACKOFF = 10.0
"""Backoff doubles per attempt up to this many seconds."""
READ_FIRST_WAIT = 0.5
"""A read's first backoff: 0.5 s, 1 s, 2 s for its four attempts."""
CREATE_FIRST_WAIT = 0.1
"""A create's first backoff: 0.1 s, 0.2 s, 0.4 s ... for its six attempts."""


def retry_wait(
    attempt: int,
    retry_after: float | None = None,
    *,
    first: float,
    budget: float = math.inf,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after attempt number ``attempt`` (1 for the first) failed.

    ``retry_after`` is what the server asked for (``client.retry_after_seconds``: finite,
    >= 0, or None): it is waited, up to RETRY_AFTER_CAP and up to ``budget`` (the seconds
    left of the caller's retry budget). Without it: ``first`` doubled per attempt up to
    LONGEST_BACKOFF, times 0.5 to 1.5 (``jitter()`` in [0, 1)) so that clients which failed
    together do not come back together.
    """
    if retry_after is not None:
        return max(0.0, min(RETRY_AFTER_CAP, budget, retry_after))
    return min(LONGEST_BACKOFF, first * 2.0 ** (attempt - 1)) * (0.5 + jitter())
