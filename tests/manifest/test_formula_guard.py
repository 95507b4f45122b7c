"""The formula guard: spreadsheet triggers get a quote, and unguard undoes exactly that."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acdload.manifest.formula_guard import guard, unguard

# Texts rich in the characters that matter, so that the property meets them often.
cells = st.text(alphabet=st.sampled_from("'=+-@\t\rab 0\n\"")) | st.text()


@given(cells)
def test_unguard_undoes_guard_for_every_text(cell: str) -> None:
    assert unguard(guard(cell)) == cell


@given(cells)
def test_a_guarded_cell_never_starts_a_formula(cell: str) -> None:
    assert guard(cell)[:1] not in set("=+-@\t\r")


@pytest.mark.parametrize(
    ("cell", "guarded"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+49170", "'+49170"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),  # already quoted: quoted once more so that unguard gives it back
        ("0041791234567", "0041791234567"),
        ("", ""),
        ("'", "'"),
        ("it's", "it's"),
        ("'plain", "'plain"),
        ("a=b", "a=b"),
    ],
)
def test_guard(cell: str, guarded: str) -> None:
    assert guard(cell) == guarded


@pytest.mark.parametrize(
    ("cell", "plain"),
    [
        ("'=1+2", "=1+2"),
        ("'+49170", "+49170"),
        ("'-", "-"),
        ("''@x", "'@x"),
        ("'x", "'x"),  # a quote before anything else is the user's text
        ("''", "''"),
        ("=1", "=1"),
        (" '=1", " '=1"),
    ],
)
def test_unguard(cell: str, plain: str) -> None:
    assert unguard(cell) == plain
