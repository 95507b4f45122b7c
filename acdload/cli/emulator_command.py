"""``acdload emulator``: the command is defined in the emulator package.

It is defined there so that ``python -m acdload.emulator`` never imports the client
(this package's ``__init__`` will); the main CLI group registers it from here, adding the
``-q/--quiet`` and ``-v/--verbose`` that every acdload command has. The emulator reads
the level from ``ctx.meta`` (it cannot import ``acdload.cli.options``).
"""

import copy

from acdload.cli.options import verbosity_params
from acdload.emulator.command import emulator_command as standalone_command

emulator_command = copy.copy(standalone_command)
emulator_command.params = [
    *standalone_command.params,
    *verbosity_params(
        quiet="No note on stderr (the base URL and token still go to stdout).",
        verbose="Accepted for uniformity: the emulator logs nothing per request.",
        expose_value=False,
    ),
]

__all__ = ["emulator_command"]
