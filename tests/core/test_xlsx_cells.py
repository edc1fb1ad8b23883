"""Workbooks are for people: numbers are stored as numbers, percentages as numbers in
Excel's percent format, dates as dates written as people write them, and every sheet's
rows carry their labels."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
import openpyxl
import pandas as pd

from sos_workforce.core.exports import DATE_FORMAT, PERCENT_FORMAT, xlsx_bytes


def _sheet(data: bytes, name: str) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book[name].iter_rows()]


def test_numbers_percentages_and_dates_keep_their_types() -> None:
    frame = pd.DataFrame(
        {
            "Statement": ["=SUM(A1)", "Safety goals", "Three Houses"],
            "7–10 %": [74.8, 100.0, 6.25],
            "n answering": np.array([123, 8, 16], dtype="int64"),
            "Mean score": [8.8, 7.25, None],
            "Opened": [dt.date(2026, 11, 25), dt.date(2026, 1, 2), None],
            "Recorded": [dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC), None, None],
        }
    )
    rows = _sheet(xlsx_bytes({"Bands": frame}), "Bands")
    header, first, second, third = rows
    assert [cell.value for cell in header] == list(frame.columns)
    # Text that looks like a formula stays text.
    assert first[0].value == "=SUM(A1)" and first[0].data_type == "s"
    # Percentages: numbers, shown by Excel as 74.8%, 100.0%, 6.3%.
    for row, fraction in zip((first, second, third), (0.748, 1.0, 0.0625), strict=True):
        assert row[1].data_type == "n" and row[1].value == fraction
        assert row[1].number_format == PERCENT_FORMAT == "0.0%"
    # Counts from an int64 column and plain floats are numbers, not text.
    assert [row[2].value for row in (first, second, third)] == [123, 8, 16]
    assert all(row[2].data_type == "n" for row in (first, second, third))
    assert first[3].value == 8.8 and first[3].data_type == "n" and third[3].value is None
    # Dates are dates, formatted "25 Nov 2026"; a moment in UTC keeps its time.
    assert first[4].is_date and first[4].value.date() == dt.date(2026, 11, 25)
    assert first[4].number_format == DATE_FORMAT == "d mmm yyyy"
    assert first[5].is_date and first[5].value == dt.datetime(2026, 11, 25, 9, 30)
    assert third[4].value is None


def test_a_frames_row_labels_are_written_as_its_first_column() -> None:
    frame = pd.DataFrame(
        {"Us (%)": [74.8, 64.5], "n": [123, 121]},
        index=pd.Index(
            ["Understanding of principles", "Integrated into my work"], name="Statement"
        ),
    )
    rows = _sheet(xlsx_bytes({"Benchmarks": frame}), "Benchmarks")
    assert [cell.value for cell in rows[0]] == ["Statement", "Us (%)", "n"]
    assert [row[0].value for row in rows[1:]] == list(frame.index)
    assert rows[1][1].value == 0.748 and rows[1][1].number_format == "0.0%"
