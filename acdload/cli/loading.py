"""The load as every command that reads manifests runs it, and how its problems are shown.

``validate``, ``render``, ``plan`` and ``apply`` share the check options (``--strict``,
``--now``, ``--phone-region``, ``--root``) and show problems the same way; this is the
one place that turns those options into an :func:`acdload.load` call.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime

import acdload
from acdload.cli.app import say
from acdload.cli.options import given_phone_region, given_root
from acdload.outputs import scrubbed
from acdload.reports.problems import TextReporter, Verdict
from acdload.reports.redact import redact as redact_text


def load_manifests(paths: Sequence[str], strict: bool, now: datetime | None) -> acdload.Load:
    """:func:`acdload.load` with the check options of the command running."""
    return acdload.load(
        paths, strict=strict, now=now, phone_region=given_phone_region(), root=given_root()
    )


def verdict_of(load: acdload.Load) -> Verdict:
    return Verdict(load.problems, len(load.events), len(load.files))


def files_read(load: acdload.Load) -> list[str]:
    """The manifest files of a load, in the order they were read."""
    return [name for name, _ in load.files]


def show_problems(
    verdict: Verdict, max_errors: int | None, *, quiet: bool, redact: bool = False
) -> None:
    """Validation problems on stderr; masked too with ``--redact`` (they quote values)."""
    buffer = io.StringIO()
    TextReporter(buffer, max_errors, summary=not quiet).report(verdict)
    text = buffer.getvalue()
    scrubbed(sys.stderr).write(redact_text(text) if redact else text)


def show_already_open(
    problems: Sequence[acdload.Problem],
    load: acdload.Load,
    max_errors: int | None,
    *,
    redact: bool = False,
) -> None:
    """A plan's ``already-open`` problems on stderr, after validation's (no summary line:
    validation's already counted the manifests)."""
    if problems:
        verdict = Verdict(list(problems), len(load.events), len(load.files))
        show_problems(verdict, max_errors, quiet=True, redact=redact)


def show_files_read(load: acdload.Load) -> None:
    """``--verbose``: each manifest read and how many events it gave, on stderr."""
    for name, events in load.files:
        say(f"read {name}: {events} event{'' if events == 1 else 's'}")


def format_for_environment(output_format: str, environ: Mapping[str, str] | None = None) -> str:
    """``auto``: GitHub annotations inside GitHub Actions, text elsewhere."""
    if output_format != "auto":
        return output_format
    env = os.environ if environ is None else environ
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "text"
