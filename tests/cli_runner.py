"""The one way the tests run ``acdload`` in this process: the ``cli`` fixture (conftest).

Two things it guarantees, that per-file helpers each got right or wrong on their own:

- Exceptions are not caught (``catch_exceptions=False``). A crash fails the test with its
  traceback instead of passing for exit code 1. Errors the CLI reports itself are not
  exceptions to the runner: ``AcdloadError`` becomes its message and exit code in the
  command group, usage errors exit 2, as for a user.
- Every command goes through the ``acdload`` group (``acdload.cli.main``), never a command
  object on its own. click caches each command's help option the first time a context
  asks for it (``Command.get_help_option``, click >= 8.1.8), with the names of that
  context: a command invoked alone, outside the group that gives ``-h``, kept ``--help``
  without ``-h`` for the rest of the session, and the generated docs/cli.md then differed
  (tests/emulator/test_process.py before tests/cli/test_docs.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from click.testing import CliRunner, Result

from acdload.cli import main


@dataclass(frozen=True)
class Cli:
    """``acdload ARGS`` in this process, with ``after`` appended and ``env`` set."""

    after: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    def __call__(
        self, *args: str, env: Mapping[str, str | None] | None = None, input: str | None = None
    ) -> Result:
        return CliRunner().invoke(
            main,
            [*args, *self.after],
            env={**self.env, **(env or {})},
            input=input,
            catch_exceptions=False,
        )

    def adding(self, *after: str, env: Mapping[str, str] | None = None) -> Cli:
        """This runner with more arguments after every command's own (``--now``, a target)
        or more environment (a token), for the tests of a file that all need them."""
        return Cli((*self.after, *after), {**self.env, **(env or {})})
