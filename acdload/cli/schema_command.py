"""``acdload schema``: the JSON Schemas of a payload and of a manifest."""

from __future__ import annotations

import click

from acdload.check.schema import SCHEMA_NAMES, schema_text
from acdload.cli.options import verbosity_options


@click.command("schema")
@click.argument("name", type=click.Choice(SCHEMA_NAMES), default="event")
@verbosity_options(
    quiet="Accepted for uniformity: schema prints nothing but the schema.",
    verbose="Accepted for uniformity: schema has no more detail to show.",
)
def schema_command(name: str, quiet: bool, verbose: bool) -> None:
    """Print a JSON Schema: event (one create payload) or manifest (for editors).

    \b
    Example:
      acdload schema manifest > manifest.schema.json
    """
    click.echo(schema_text(name), nl=False)
