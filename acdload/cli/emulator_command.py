"""``acdload emulator``: the command is defined in the emulator package.

It is defined there so that ``python -m acdload.emulator`` never imports the client (this
package's ``__init__`` does), with every option of both entry points, ``-q``/``-v``
included; the main CLI group registers that same command from here.
"""

from acdload.emulator.command import emulator_command

__all__ = ["emulator_command"]
