"""The ``acdload`` command group and the one place where errors become messages and exit codes."""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from acdload import __version__
from acdload.errors import AcdloadError, ExitCode
from acdload.outputs import scrubbed
from acdload.safetext import escape

COMMANDS = {
    "init": "acdload.cli.init_command:init_command",
    "validate": "acdload.cli.validate_command:validate_command",
    "render": "acdload.cli.render_command:render_command",
    "schema": "acdload.cli.schema_command:schema_command",
    "plan": "acdload.cli.plan_command:plan_command",
    "apply": "acdload.cli.apply_command:apply_command",
    "report": "acdload.cli.report_command:report_command",
    "emulator": "acdload.cli.emulator_command:emulator_command",
}
"""Each command's module is imported only when it runs, so ``validate`` in a pre-commit
hook does not pay for the HTTP client or the emulator."""


def say(text: str) -> None:
    """A message on stderr: scrubbed of credentials, every line escaped.

    Messages repeat what servers and manifests said; no control character of theirs may
    reach the terminal, and no token may reach a CI log.
    """
    lines = "\n".join(escape(line, None) for line in text.split("\n"))
    click.echo(lines, file=scrubbed(sys.stderr))


class AcdloadGroup(click.Group):
    """Loads commands lazily, and translates library errors into a message that says what
    to do and an exit code.

    Tracebacks are for bugs, not for user errors: they appear only with ``--traceback``,
    and then before the same message, hint and exit code as without it (a script that
    branches on the exit code must not change its mind because someone asked for detail).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AcdloadError as exc:
            if ctx.meta.get("acdload.traceback"):
                say(traceback.format_exc().rstrip("\n"))
            say(f"error: {exc.message}")
            if exc.hint:
                say(f"hint: {exc.hint}")
            ctx.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))


@click.group(cls=AcdloadGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="acdload")
@click.option("--traceback", is_flag=True, help="Show the Python traceback of an error.")
@click.pass_context
def main(ctx: click.Context, traceback: bool) -> None:
    """Declare jtel ACD events (callbacks, tickets) in YAML or CSV manifests, then
    validate, render, plan and apply them: in order, exactly once.

    \b
    Example:
      acdload validate examples/
      acdload render examples/callbacks.yaml
    """
    ctx.meta["acdload.traceback"] = traceback


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
