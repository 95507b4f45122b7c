"""The command line: a thin click layer over the acdload library."""

from acdload.cli.app import main

__all__ = ["main"]
