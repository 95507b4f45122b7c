"""``python -m acdload.emulator``: the emulator without the rest of acdload's CLI.

``python -m acdload.emulator seed ...`` fills a database file for benchmarks instead
(see :mod:`acdload.emulator.seeding`); anything else is the server's own options.
"""

import sys

from acdload.emulator.command import emulator_command, seed_command

if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"]:
        seed_command(sys.argv[2:], prog_name="python -m acdload.emulator seed")
    else:
        emulator_command(prog_name="python -m acdload.emulator")
