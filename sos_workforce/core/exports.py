"""CSV and XLSX exports, protected against formula injection (CWE-1236).

CSV cells that a spreadsheet would read as a formula get a leading ``'`` (OWASP ASVS
5.0 1.2.10). XLSX cells are written with explicit types, so text is always stored as text
and never as a formula, numbers as numbers and dates as dates. Workbooks are written in
xlsxwriter's constant-memory mode.

A workbook is for people: a column whose heading holds "%" holds percentages (0–100, as
every service returns them) and is stored as the fraction with Excel's percent format
(74.8 → 0.748 shown "74.8%"); dates show as people write them ("25 Nov 2026"); a frame's
row labels (its index, when it has one) are written as its first column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import xlsxwriter

from sos_workforce.core.figures import exact

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


PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "d mmm yyyy"  # 25 Nov 2026, as people write it
DATE_TIME_FORMAT = "d mmm yyyy hh:mm"


def is_percent_column(heading: object) -> bool:
    """Whether a column holds percentages: its heading says so with "%"."""
    return "%" in str(heading)


@dataclass(frozen=True)
class _Formats:
    percent: object
    date: object
    date_time: object


def _write_cell(
    sheet: object, row: int, column: int, value: object, formats: _Formats, percent: bool
) -> None:
    writer = sheet  # xlsxwriter.worksheet.Worksheet (untyped library)
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        writer.write_blank(row, column, None)  # type: ignore[attr-defined]
    elif isinstance(value, bool):
        writer.write_boolean(row, column, value)  # type: ignore[attr-defined]
    elif isinstance(value, numbers.Real | Decimal):  # int, float, numpy numbers, Decimal
        figure = value if isinstance(value, int | float | Decimal | Fraction) else float(value)
        if percent:  # 74.8 (%) is stored as 0.748, exactly as the shown figure reads
            fraction = float(exact(figure) / 100)
            writer.write_number(row, column, fraction, formats.percent)  # type: ignore[attr-defined]
        else:
            writer.write_number(row, column, float(figure))  # type: ignore[attr-defined]
    elif isinstance(value, dt.datetime):
        stamp = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        writer.write_datetime(row, column, stamp, formats.date_time)  # type: ignore[attr-defined]
    elif isinstance(value, dt.date):
        writer.write_datetime(row, column, value, formats.date)  # type: ignore[attr-defined]
    else:
        writer.write_string(row, column, str(value))  # type: ignore[attr-defined]


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its row labels (a named or non-default index) as its first columns."""
    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        return frame
    return frame.reset_index()


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
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    formats = _Formats(
        percent=workbook.add_format({"num_format": PERCENT_FORMAT}),
        date=workbook.add_format({"num_format": DATE_FORMAT}),
        date_time=workbook.add_format({"num_format": DATE_TIME_FORMAT}),
    )
    for name, original in sheets.items():
        frame = _labelled(original)
        sheet = workbook.add_worksheet(name[:31])
        percents = [is_percent_column(heading) for heading in frame.columns]
        for column, heading in enumerate(frame.columns):
            sheet.set_column(column, column, _width(frame, column))
            sheet.write_string(0, column, str(heading), bold)
        sheet.freeze_panes(1, 1)  # headings and row labels stay in view
        for row_number, row in enumerate(frame.itertuples(index=False), 1):
            for column, value in enumerate(row):
                _write_cell(sheet, row_number, column, value, formats, percents[column])
    if codebook or notes:
        sheet = workbook.add_worksheet("Codebook")
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 100)
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


def _width(frame: pd.DataFrame, column: int) -> int:
    """A column wide enough for its heading and its first rows' text, within reason."""
    heading = len(str(frame.columns[column]))
    cells = (len(str(value)) for value in frame.iloc[:50, column] if value is not None)
    return max(10, min(60, max([heading, *cells]) + 2))
