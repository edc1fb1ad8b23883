"""Periods of whole months for continuously collected feedback: a month, a quarter of the
financial year (April to March), a financial year, or any run of months ("April to
December 2017", as Brent's scrutiny report has it).

Periods run in whole months so that no two of them differ by a few days' forms: the
disclosure gate (``privacy.period_blocks``) works on months.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sos_workforce.core.errors import InvalidInput

FIRST_MONTH_OF_YEAR = 4  # the financial year starts in April


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from ``first``'s month to ``last``'s, in order."""
    months, current, end = [], month_start(first), month_start(last)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def financial_year_of(day: dt.date) -> int:
    """The year the financial year holding ``day`` starts in (March 2018 → 2017)."""
    return day.year if day.month >= FIRST_MONTH_OF_YEAR else day.year - 1


def financial_year_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


@dataclass(frozen=True)
class Period:
    """The months from ``first`` to ``last`` (first days of months), both included."""

    first: dt.date
    last: dt.date
    label: str

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1:
            raise ValueError("a period runs in whole months")
        if self.last < self.first:
            raise ValueError("a period cannot end before it starts")

    @property
    def ends_on(self) -> dt.date:
        return month_end(self.last)

    @property
    def months(self) -> list[dt.date]:
        return months_between(self.first, self.last)

    def holds(self, day: dt.date) -> bool:
        return self.first <= day <= self.ends_on

    @property
    def words(self) -> str:
        """The period in a sentence: "between April and December 2017", "in May 2018"."""
        if self.first == self.last:
            return f"in {self.first:%B %Y}"
        if self.first.year == self.last.year:
            return f"between {self.first:%B} and {self.last:%B %Y}"
        return f"between {self.first:%B %Y} and {self.last:%B %Y}"


def month_period(year: int, month: int) -> Period:
    first = dt.date(year, month, 1)
    return Period(first, first, f"{first:%B %Y}")


def quarter_period(start_year: int, quarter: int) -> Period:
    """Quarter 1–4 of the financial year starting in April ``start_year`` (Q1 April to
    June, Q4 January to March of the next calendar year)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("a quarter is 1, 2, 3 or 4")
    first = add_months(dt.date(start_year, FIRST_MONTH_OF_YEAR, 1), 3 * (quarter - 1))
    last = add_months(first, 2)
    return Period(
        first,
        last,
        f"Q{quarter} {financial_year_label(start_year)} ({first:%B} to {last:%B %Y})",
    )


def quarter_of(day: dt.date) -> Period:
    start_year = financial_year_of(day)
    months_in = (day.month - FIRST_MONTH_OF_YEAR) % 12
    return quarter_period(start_year, months_in // 3 + 1)


def financial_year_period(start_year: int) -> Period:
    first = dt.date(start_year, FIRST_MONTH_OF_YEAR, 1)
    last = add_months(first, 11)
    return Period(
        first,
        last,
        f"{financial_year_label(start_year)} ({first:%B %Y} to {last:%B %Y})",
    )


def months_period(first: dt.date, last: dt.date) -> Period:
    """Any run of whole months, e.g. April to December 2017."""
    first, last = month_start(first), month_start(last)
    if last < first:
        raise InvalidInput("The last month must not be before the first.")
    if first == last:
        return Period(first, last, f"{first:%B %Y}")
    if first.year == last.year:
        return Period(first, last, f"{first:%B} to {last:%B %Y}")
    return Period(first, last, f"{first:%B %Y} to {last:%B %Y}")
