"""The ``emulator`` and ``seed`` click commands: thin layers over the emulator package.

It lives in the emulator package, not in ``acdload.cli``, so that
``python -m acdload.emulator`` runs without importing any of the client;
``acdload/cli/emulator_command.py`` registers this same command in the main CLI group.
So both entry points take the same options from one definition, ``-q``/``-v`` and ``-h``
included, which every acdload command has.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from acdload.emulator.app import serve_forever
from acdload.emulator.config import MAX_ID, EmulatorConfig, EmulatorConfigError
from acdload.emulator.seeding import SeedError, seed_events

__all__ = ["emulator_command", "seed_command"]

_RATE = click.FloatRange(0.0, 1.0)
_MILLISECONDS = click.IntRange(min=0)
_ID = click.IntRange(1, MAX_ID)


@click.command("emulator", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file that keeps the events across restarts.  [default: in memory]",
)
@click.option(
    "--client-id",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="The client account ID (ClientsID) in the base URL.",
)
@click.option(
    "--token",
    help="The bearer token clients must send.  [default: generated, printed on line 2]",
)
@click.option(
    "--groups",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file of the ACD groups that exist.  [default: any positive group ID exists]",
)
@click.option(
    "--fail-rate",
    type=_RATE,
    default=0.0,
    help="Fraction of creates answered 500 without storing anything.",
)
@click.option(
    "--drop-rate",
    type=_RATE,
    default=0.0,
    help="Fraction of creates stored, then the connection closed without an answer.",
)
@click.option(
    "--late-commit-rate",
    type=_RATE,
    default=0.0,
    help="Fraction of creates held --late-commit-ms before they are stored and answered.",
)
@click.option(
    "--late-commit-ms",
    type=_MILLISECONDS,
    default=30_000,
    show_default=True,
    help="How long a late commit holds its request (longer than the client's timeout).",
)
@click.option("--latency-ms", type=_MILLISECONDS, default=0, help="Delay added to every answer.")
@click.option("--seed", type=int, help="Seed of the fault draws, to replay a run exactly.")
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a client may send nothing, mid-request or between requests, before it is dropped.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No note on stderr (the base URL and token still go to stdout).",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Accepted for uniformity: the emulator logs nothing per request.",
)
def emulator_command(
    host: str,
    port: int,
    db: Path | None,
    client_id: int,
    token: str | None,
    groups: Path | None,
    fail_rate: float,
    drop_rate: float,
    late_commit_rate: float,
    late_commit_ms: int,
    latency_ms: int,
    seed: int | None,
    read_timeout: float,
    quiet: bool,
    verbose: bool,
) -> None:
    """Run a jtel-compatible ACD events server, for tests, CI and trying things out.

    It serves GET /acd/events, GET /acd/events/event/ID, GET /acd/events/types and
    POST /acd/events/create with jtel's answers, validation and bearer-token checks.
    The first line on stdout is the base URL; without --token, the second is the
    generated token. It runs until Ctrl+C or SIGTERM, then exits 0 with every
    accepted event stored. See docs/emulator.md.

    \b
    Example:
      acdload emulator --port 8080 --token secret --db events.sqlite3
      curl -H 'Authorization: Bearer secret' \\
           http://127.0.0.1:8080/rest/v1.0/1000/acd/events
    """
    if quiet and verbose:
        raise click.UsageError("--verbose and --quiet cannot be used together")
    try:
        config = EmulatorConfig(
            host=host,
            port=port,
            db=db,
            client_id=client_id,
            token=token,
            groups=groups,
            fail_rate=fail_rate,
            drop_rate=drop_rate,
            late_commit_rate=late_commit_rate,
            late_commit_ms=late_commit_ms,
            latency_ms=latency_ms,
            seed=seed,
            read_timeout=read_timeout,
        )
        serve_forever(config, sys.stdout, err=None if quiet else sys.stderr)
    except EmulatorConfigError as err:
        if err.option is None:
            raise click.UsageError(err.message) from None
        raise click.BadParameter(err.message, param_hint=f"'{err.option}'") from None


@click.command("seed")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="SQLite file to write: a new one, or one that holds no events yet.",
)
@click.option("--count", type=_ID, required=True, help="How many events to write.")
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Seed of the generated events: the same seed and count give the same events.",
)
@click.option(
    "--client-id",
    type=_ID,
    default=1000,
    show_default=True,
    help="The client account the events belong to.",
)
def seed_command(db: Path, count: int, seed: int, client_id: int) -> None:
    """Write COUNT realistic events into a database file, for benchmarks.

    Events of all six types in several groups, about 1.1 KB of JSON each, dated over
    the three years before 2026-01-01 and mostly closed, in one transaction (a million
    in about half a minute). Then serve them with --db. See docs/emulator.md.

    \b
    Example:
      python -m acdload.emulator seed --db big.sqlite3 --count 1000000
      python -m acdload.emulator --db big.sqlite3 --token secret
    """
    started = time.monotonic()
    try:
        written = seed_events(db, count, seed=seed, client_id=client_id)
    except SeedError as err:
        raise click.BadParameter(str(err), param_hint="'--db'") from None
    click.echo(f"{written} events written to {db} in {time.monotonic() - started:.1f} s")
