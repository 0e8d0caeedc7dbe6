"""The house dialect of every CSV the project writes (the coding matrix, the clips list):
UTF-8 with a byte-order mark and ``;`` between cells, so that a spreadsheet in a Norwegian
locale opens it with æ, ø and å intact and in columns.

Formula injection. A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula (``=HYPERLINK(...)`` becomes a live link that can carry the sheet's data
away; an ordinary "- forms are hard" shows as ``#NAME?``), and some read one that starts
with a tab or a carriage return the same way. Every text cell the project writes goes
through ``safe_cell``, which puts a ``'`` before such a cell (OWASP's advice): the
spreadsheet shows the text, and a reader can still see what was typed. ``csv_text`` writes
whole files this way, so no writer can forget it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet must read it: text that could start a formula gets a
    leading ``'``; numbers and every other text are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows in the house dialect (BOM, ``;``, CRLF, the ``csv`` module's quoting), every
    cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return BOM + buffer.getvalue()
