"""The spreadsheet formula guard for CSV cells, and its exact inverse.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula when a spreadsheet opens the CSV (CSV injection). Files acdload writes guard such
cells with a leading ``'``; files it reads are unguarded, so a CSV that went out through
acdload and comes back unchanged gives exactly the values that went out.

For the round trip to hold for every text, a cell that already starts with quotes followed
by a trigger (``'=x``) is guarded too (``''=x``), and unguarding removes one quote from any
run of quotes followed by a trigger. Every other cell passes through unchanged.
"""

from __future__ import annotations

FORMULA_TRIGGERS = frozenset("=+-@\t\r")


def guard(cell: str) -> str:
    """``'`` + cell when a spreadsheet would run it (or unguarding would change it)."""
    if cell.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return "'" + cell
    return cell


def unguard(cell: str) -> str:
    """Undo ``guard``: drop one leading ``'`` before quotes and a formula trigger."""
    if cell[:1] == "'" and cell.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return cell[1:]
    return cell
