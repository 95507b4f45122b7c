"""Run by Python at start-up in a child process whose PYTHONPATH holds this folder (see
``tests/applying/failpoint.py``): with ``ACDLOAD_FAILPOINT`` set, ``acdload apply`` gets
the tests' failpoint; without it, nothing is imported and nothing changes."""

import os

if os.environ.get("ACDLOAD_FAILPOINT"):
    from tests.applying.failpoint import FAILPOINT_ENV, install

    install(os.environ[FAILPOINT_ENV])
