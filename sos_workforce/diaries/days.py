"""The rules of one diary day, pure (no database): durations or start and end times, no
more than 24 hours, no zero or negative durations, no end before start, no overlaps, known
activity codes, a Signs of Safety tool only for direct work. Each problem names its row.
Also the calendar helpers of a period (weekdays, days) and the standard week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.tabular import MAX_PROBLEMS_LISTED
from sos_workforce.diaries.codes import DiaryCodes

STANDARD_WEEKLY_HOURS = 37.0  # full-time contracted hours: contracted = FTE × 37
MINUTES_PER_DAY = 24 * 60
MAX_ENTRIES_PER_DAY = 60
NOT_RECORDED = "Not recorded"


# --- entries and their validation ---------------------------------------------------------


@dataclass(frozen=True)
class EntryInput:
    """One row of a day as typed (or read from a file): an activity with minutes, or with
    start and end times (or both, if they agree), and optionally the SoS tool used."""

    activity: str | None
    minutes: float | None = None
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    sos_tool: str | None = None


@dataclass(frozen=True)
class Entry:
    """A valid entry, as stored."""

    activity: str
    minutes: int
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    sos_tool: str | None = None

    def as_input(self) -> EntryInput:
        return EntryInput(self.activity, self.minutes, self.starts_at, self.ends_at, self.sos_tool)


def hours_and_minutes(minutes: int) -> str:
    """ "7 h 30 min", "45 min", "0 min"."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _clock(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _minutes_between(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _lookup(value: str | None, table: Mapping[str, str]) -> str | None:
    if value is None:
        return None
    return table.get(" ".join(str(value).split()).casefold())


def check_day(
    codes: DiaryCodes,
    entries: Sequence[EntryInput],
    labels: Sequence[str] | None = None,
    where: str = "",
) -> tuple[list[Entry], list[str]]:
    """Check one day's entries. Returns the clean entries and the problems, each naming its
    row (``labels``, default "Row 1", "Row 2", …); ``where`` prefixes day-level problems
    (e.g. "SW1 on 02/03/2026: ")."""
    names = list(labels) if labels is not None else [f"Row {n}" for n in range(1, len(entries) + 1)]
    activities, tools = codes.activity_lookup(), codes.tool_lookup()
    problems: list[str] = []
    clean: list[Entry] = []
    timed: list[tuple[dt.time, dt.time, str]] = []
    if len(entries) > MAX_ENTRIES_PER_DAY:
        problems.append(f"{where}more than {MAX_ENTRIES_PER_DAY} entries in one day.")
    for name, entry in zip(names, entries, strict=True):
        row_problems: list[str] = []
        activity = _lookup(entry.activity, activities)
        if entry.activity is None or not str(entry.activity).strip():
            row_problems.append(f"{name}: choose an activity.")
        elif activity is None:
            row_problems.append(f"{name}: '{entry.activity}' is not one of the activities.")
        tool = None
        if entry.sos_tool is not None and str(entry.sos_tool).strip():
            tool = _lookup(entry.sos_tool, tools)
            if tool is None:
                row_problems.append(
                    f"{name}: '{entry.sos_tool}' is not one of the Signs of Safety tools."
                )
            elif activity is not None:
                code = codes.activity(activity)
                if code is not None and not code.allows_tool:
                    row_problems.append(
                        f"{name}: a Signs of Safety tool can be recorded only for direct work "
                        f"with a child or family, not for '{code.label}'."
                    )
        minutes: int | None = None
        start, end = entry.starts_at, entry.ends_at
        if (start is None) != (end is None):
            row_problems.append(
                f"{name}: give both a start and an end time, or leave both empty and give "
                "the minutes."
            )
        elif start is not None and end is not None:
            between = _minutes_between(start, end)
            if between < 0:
                row_problems.append(
                    f"{name}: it ends at {_clock(end)}, before it starts at {_clock(start)}. "
                    "Record work after midnight on the next day."
                )
            elif between == 0:
                row_problems.append(
                    f"{name}: it starts and ends at {_clock(start)}, so it lasts no time."
                )
            else:
                minutes = between
        if entry.minutes is not None:
            given = float(entry.minutes)
            if given != int(given):
                row_problems.append(f"{name}: give the minutes as a whole number.")
            elif given <= 0:
                row_problems.append(
                    f"{name}: the time spent must be more than zero (it says {given:g} minutes)."
                )
            elif given > MINUTES_PER_DAY:
                row_problems.append(
                    f"{name}: {given:g} minutes is more than the 24 hours in a day."
                )
            elif start is not None and end is not None and minutes not in (None, int(given)):
                row_problems.append(
                    f"{name}: {given:g} minutes does not match {_clock(start)}–"
                    f"{_clock(end)} ({minutes} minutes); give one or the other."
                )
            else:
                minutes = int(given)
        elif start is None and end is None:
            row_problems.append(f"{name}: give the minutes, or a start and an end time.")
        problems.extend(row_problems)
        if row_problems or activity is None or minutes is None:
            continue
        clean.append(Entry(activity, minutes, start, end, tool))
        if start is not None and end is not None:
            timed.append((start, end, name))
    timed.sort()
    for (start_a, end_a, name_a), (start_b, end_b, name_b) in zip(timed, timed[1:], strict=False):
        if start_b < end_a:
            problems.append(
                f"{name_a} and {name_b} overlap ({_clock(start_a)}–{_clock(end_a)} and "
                f"{_clock(start_b)}–{_clock(end_b)})."
            )
    total = sum(entry.minutes for entry in clean)
    if total > MINUTES_PER_DAY:
        problems.append(
            f"{where}the entries add up to {hours_and_minutes(total)}, more than the 24 hours "
            "in a day."
        )
    return clean, problems


def validate_day(
    codes: DiaryCodes, entries: Sequence[EntryInput], labels: Sequence[str] | None = None
) -> list[Entry]:
    """``check_day``, raising ``InvalidInput`` listing every problem."""
    clean, problems = check_day(codes, entries, labels)
    if problems:
        raise InvalidInput(
            "Nothing was saved. Please correct:\n" + "\n".join(problems[:MAX_PROBLEMS_LISTED]),
            problems[:MAX_PROBLEMS_LISTED],
        )
    return clean


def provisional_total(entries: Sequence[EntryInput]) -> int:
    """Minutes a day adds up to as typed so far (rows not yet complete count as 0), for a
    running total while someone fills in the grid."""
    total = 0
    for entry in entries:
        if entry.minutes is not None and float(entry.minutes) > 0:
            total += int(float(entry.minutes))
        elif entry.starts_at is not None and entry.ends_at is not None:
            total += max(0, _minutes_between(entry.starts_at, entry.ends_at))
    return total


def weekdays_between(start: dt.date, end: dt.date) -> int:
    """Monday–Friday dates from ``start`` to ``end`` inclusive."""
    return sum(
        1
        for offset in range((end - start).days + 1)
        if (start + dt.timedelta(offset)).weekday() < 5
    )


def period_days(starts_on: dt.date, ends_on: dt.date) -> list[dt.date]:
    return [starts_on + dt.timedelta(days=n) for n in range((ends_on - starts_on).days + 1)]
