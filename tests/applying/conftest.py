"""The fake jtel server of the unit tests, on a fresh fake clock."""

from __future__ import annotations

import pytest

from tests.applying.fake_jtel import FakeClock, FakeJtel


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> FakeJtel:
    """A fake server. The unit tests read back every journal line a run wrote, so the
    compaction a finished run ends with (tested on its own in test_journal_compaction.py)
    is left out here."""
    monkeypatch.setattr("acdload.applying.journal.compact", lambda path, survey=None: None)
    return FakeJtel(FakeClock())
