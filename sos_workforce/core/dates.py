"""Dates and moments as people write them: "25 Nov 2026", "25 Nov 2026, 14:05". The one
place pages, exports meant for people and reports format a date; machine columns (an
ISO date in a CSV meant for another system, a file name) keep ISO 8601."""

from __future__ import annotations

import datetime as dt

import pandas as pd

NOT_RECORDED = "not recorded"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULL_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def as_date(value: dt.date | None, missing: str = NOT_RECORDED, *, long: bool = False) -> str:
    """ "25 Nov 2026" (``long``: "25 November 2026"); a moment gives its date in UTC;
    ``missing`` for None. The day has no leading zero, whatever the platform."""
    if _missing(value):
        return missing
    assert value is not None
    if isinstance(value, dt.datetime):
        value = _utc(value).date()
    months = _FULL_MONTHS if long else _MONTHS
    return f"{value.day} {months[value.month - 1]} {value.year}"


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def as_day(value: dt.date, *, year: bool = False, short: bool = False) -> str:
    """A day as a diary names it: "Wednesday 5 March" (``year``: "Wednesday 5 March 2025";
    ``short``: "Wed 5 Mar"). No leading zero, whatever the platform."""
    day = _DAYS[value.weekday()][:3] if short else _DAYS[value.weekday()]
    month = _MONTHS[value.month - 1] if short else _FULL_MONTHS[value.month - 1]
    return f"{day} {value.day} {month}" + (f" {value.year}" if year else "")


def as_moment(value: dt.datetime | None, missing: str = NOT_RECORDED) -> str:
    """ "25 Nov 2026, 14:05" in UTC (a naive time is taken as UTC, as the database stores
    it); ``missing`` for None."""
    if _missing(value):
        return missing
    assert value is not None
    moment = _utc(value)
    return f"{as_date(moment.date())}, {moment:%H:%M}"


def as_date_range(start: dt.date, end: dt.date) -> str:
    """ "22 Oct to 12 Nov 2025"; "22 Dec 2025 to 5 Jan 2026" across years."""
    if start.year == end.year:
        return f"{start.day} {_MONTHS[start.month - 1]} to {as_date(end)}"
    return f"{as_date(start)} to {as_date(end)}"


def _utc(value: dt.datetime) -> dt.datetime:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
