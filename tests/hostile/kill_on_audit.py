"""``python -m tests.hostile.kill_on_audit EVENT SUFFIX ARGS...``: the real ``acdload ARGS``,
killed with SIGKILL the moment it raises the audit event EVENT (``os.rename``, ``open``,
``os.remove``: see the ``sys.addaudithook`` documentation) on a path that ends with SUFFIX.

A kill at one exact step of a file operation, with no hook in acdload: the event is raised
just before the operation is done.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys


def _main() -> None:
    event, suffix, *args = sys.argv[1:]

    def hook(name: str, arguments: tuple[object, ...]) -> None:
        path = arguments[0] if arguments else None
        if not isinstance(path, str | bytes | os.PathLike):
            return  # an event on no path, or on an open file
        if name == event and os.fsdecode(path).endswith(suffix):
            os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)
    sys.argv = ["acdload", *args]
    runpy.run_module("acdload", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _main()
