"""Pausing Python's cyclic garbage collector while large, acyclic structures are built.

Reading a load, composing YAML and indexing server records allocate hundreds of thousands
of containers that all stay alive; each full collection walks every one of them and frees
nothing, which costs up to a third of those stages. Reference counting still frees what
is dropped meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the previous setting is restored after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
