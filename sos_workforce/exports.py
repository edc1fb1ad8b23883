"""CSV and XLSX exports, protected against formula injection (CWE-1236)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_cell(value: object) -> object:
    """Prefix ``'`` to text a spreadsheet would read as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a BOM so Excel opens accented names (Welsh ŵ, ŷ) correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
