"""CSV and XLSX exports, protected against formula injection (CWE-1236).

CSV cells that a spreadsheet would read as a formula get a leading ``'`` (OWASP ASVS
5.0 1.2.10). XLSX cells are written with explicit types, so text is always stored as text
and never as a formula. Workbooks are written in xlsxwriter's constant-memory mode.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import xlsxwriter

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_cell(value: object) -> object:
    """Prefix ``'`` to text a spreadsheet would read as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def iter_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """UTF-8 CSV (with a BOM so Excel reads Welsh ŵ, ŷ correctly), a chunk per 1,000 rows,
    so a large export never sits in memory whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe_cell(cell) for cell in header])
    for index, row in enumerate(rows, 1):
        writer.writerow([safe_cell(cell) for cell in row])
        if index % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    return b"".join(iter_csv(header, rows))


def csv_row_count(data: bytes) -> int:
    """Data rows (after the header) in a CSV made by ``csv_bytes``."""
    return max(0, sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig")))) - 1)


@dataclass(frozen=True)
class CodebookEntry:
    column: str
    meaning: str


def frame_codebook(frame: pd.DataFrame, meanings: Mapping[str, str]) -> list[CodebookEntry]:
    """One entry per column of ``frame``; columns without a meaning say so plainly."""
    return [CodebookEntry(str(c), meanings.get(str(c), "(no description)")) for c in frame.columns]


def _write_cell(sheet: object, row: int, column: int, value: object) -> None:
    writer = sheet  # xlsxwriter.worksheet.Worksheet (untyped library)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        writer.write_blank(row, column, None)  # type: ignore[attr-defined]
    elif isinstance(value, bool):
        writer.write_boolean(row, column, value)  # type: ignore[attr-defined]
    elif isinstance(value, int | float):
        writer.write_number(row, column, value)  # type: ignore[attr-defined]
    else:
        writer.write_string(row, column, str(value))  # type: ignore[attr-defined]


def xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame],
    codebook: Sequence[CodebookEntry] = (),
    notes: Sequence[str] = (),
) -> bytes:
    """A workbook with one sheet per table, plus a "Codebook" sheet explaining the columns
    and any notes (e.g. which groups were withheld and why)."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    bold = workbook.add_format({"bold": True})
    for name, frame in sheets.items():
        sheet = workbook.add_worksheet(name[:31])
        for column, heading in enumerate(frame.columns):
            sheet.write_string(0, column, str(heading), bold)
        for row_number, row in enumerate(frame.itertuples(index=False), 1):
            for column, value in enumerate(row):
                _write_cell(sheet, row_number, column, value)
    if codebook or notes:
        sheet = workbook.add_worksheet("Codebook")
        sheet.write_string(0, 0, "Column", bold)
        sheet.write_string(0, 1, "Meaning", bold)
        row_number = 1
        for entry in codebook:
            sheet.write_string(row_number, 0, entry.column)
            sheet.write_string(row_number, 1, entry.meaning)
            row_number += 1
        for note in notes:
            row_number += 1
            sheet.write_string(row_number, 0, "Note")
            sheet.write_string(row_number, 1, note)
    workbook.close()
    return output.getvalue()
