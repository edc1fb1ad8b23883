"""Dates as people write them, in one helper."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sos_workforce.core.dates import NOT_RECORDED, as_date, as_date_range, as_moment


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.date(2026, 11, 25), "25 Nov 2026"),
        (dt.date(2026, 1, 5), "5 Jan 2026"),  # no leading zero
        (dt.date(2025, 9, 30), "30 Sep 2025"),
        (dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC), "25 Nov 2026"),
        # 00:30 in London summer time is 23:30 UTC the day before.
        (dt.datetime(2026, 7, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))), "30 Jun 2026"),
        (pd.Timestamp("2026-11-25"), "25 Nov 2026"),
        (None, NOT_RECORDED),
        (pd.NaT, NOT_RECORDED),
    ],
)
def test_dates(value: dt.date | None, shown: str) -> None:
    assert as_date(value) == shown


def test_long_months_and_missing_words() -> None:
    assert as_date(dt.date(2026, 11, 25), long=True) == "25 November 2026"
    assert as_date(None, "—") == "—"


def test_moments_are_utc_to_the_minute() -> None:
    assert as_moment(dt.datetime(2026, 11, 25, 14, 5, 59, tzinfo=dt.UTC)) == "25 Nov 2026, 14:05"
    assert as_moment(dt.datetime(2026, 11, 25, 9, 7)) == "25 Nov 2026, 09:07"  # naive is UTC
    assert as_moment(None) == NOT_RECORDED


def test_ranges() -> None:
    assert as_date_range(dt.date(2025, 10, 22), dt.date(2025, 11, 12)) == "22 Oct to 12 Nov 2025"
    assert as_date_range(dt.date(2025, 12, 22), dt.date(2026, 1, 5)) == "22 Dec 2025 to 5 Jan 2026"
