"""The fake jtel server of the unit tests, on a fresh fake clock."""

from __future__ import annotations

import pytest

from tests.applying.fake_jtel import FakeClock, FakeJtel


@pytest.fixture
def server() -> FakeJtel:
    return FakeJtel(FakeClock())
