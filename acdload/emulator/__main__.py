"""``python -m acdload.emulator``: the emulator without the rest of acdload's CLI."""

from acdload.emulator.command import emulator_command

if __name__ == "__main__":
    emulator_command(prog_name="python -m acdload.emulator")
