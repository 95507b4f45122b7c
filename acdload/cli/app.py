"""The ``acdload`` command group and the one place where errors become messages and exit codes."""

from __future__ import annotations

import sys
from typing import Any

import click

from acdload import __version__
from acdload.errors import AcdloadError
from acdload.exitcodes import ExitCode


class AcdloadGroup(click.Group):
    """Translates library errors into a message that says what to do, and an exit code.

    Tracebacks are for bugs, not for user errors: they appear only with ``--traceback``.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AcdloadError as exc:
            if ctx.meta.get("acdload.traceback"):
                raise
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
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


def _register() -> None:
    from acdload.cli.check import render_command, schema_command, validate_command
    from acdload.cli.plan_command import plan_command

    for command in (validate_command, render_command, schema_command, plan_command):
        main.add_command(command)
    try:
        from acdload.cli.emulator_command import emulator_command
    except ImportError:  # pragma: no cover - the emulator ships with the package
        return
    main.add_command(emulator_command)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
