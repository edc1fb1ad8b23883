"""The staff side of a diary link: open the diary, read a day, save a day (replacing it,
after checking every row), copy the previous day. A link is personal and pseudonymous
(a staff id, no name), valid for the whole period and up to ``LATE_ENTRY_DAYS`` after its
end unless the lead closes the period first, and not single-use; only its SHA-256 is
stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sos_workforce.core.dates import as_date, as_day
from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.core.models import DiaryEntry, DiaryParticipant, DiaryPeriod, Organisation, Team
from sos_workforce.core.security import hash_token, is_well_formed_token
from sos_workforce.diaries.codes import diary_codes
from sos_workforce.diaries.days import Entry, EntryInput, period_days, validate_day

# Staff may still fill in their diary this many days after the period's end date (e.g.
# Friday's entries on Monday), unless the lead has closed the period first.
LATE_ENTRY_DAYS = 14


# --- the staff side: a personal link --------------------------------------------------------

_INVALID_LINK = (
    "This diary link is not valid. Please check that you copied the whole link, or ask "
    "your implementation lead for a new one."
)
_CLOSED = (
    "This diary period has closed, so entries can no longer be added or changed. Thank "
    "you for taking part."
)


def _by_token(session: Session, token: str, today: dt.date) -> tuple[DiaryParticipant, DiaryPeriod]:
    if not is_well_formed_token(token):
        raise LinkRefused(_INVALID_LINK)
    found = session.execute(
        select(DiaryParticipant, DiaryPeriod)
        .join(DiaryPeriod, DiaryPeriod.id == DiaryParticipant.period_id)
        .where(DiaryParticipant.token_hash == hash_token(token))
    ).first()
    if found is None:
        raise LinkRefused(_INVALID_LINK)
    participant, period = found
    if period.status is DiaryStatus.CLOSED:
        raise LinkRefused(_CLOSED)
    if today < period.starts_on:
        raise LinkRefused(
            f"This diary starts on {period.starts_on:%A} {as_date(period.starts_on, long=True)}. "
            "Please come back then."
        )
    if today > period.ends_on + dt.timedelta(days=LATE_ENTRY_DAYS):
        raise LinkRefused(
            f"This diary period ended on {as_date(period.ends_on, long=True)} and can no longer be "
            "changed. Thank you for taking part."
        )
    return participant, period


@dataclass(frozen=True)
class DaySummary:
    day: dt.date
    minutes: int
    entries: int


@dataclass(frozen=True)
class DiaryView:
    """What a diary link opens: the period and the days that can be filled in so far."""

    organisation: str
    team: str
    worker_ref: str
    title: str
    starts_on: dt.date
    ends_on: dt.date
    open_until: dt.date
    days: list[DaySummary]  # every day of the period up to today

    @property
    def total_minutes(self) -> int:
        return sum(day.minutes for day in self.days)


def _day_totals(session: Session, participant_id: int) -> dict[dt.date, tuple[int, int]]:
    return {
        day: (int(minutes), int(count))
        for day, minutes, count in session.execute(
            select(DiaryEntry.entry_date, func.sum(DiaryEntry.minutes), func.count())
            .where(DiaryEntry.participant_id == participant_id)
            .group_by(DiaryEntry.entry_date)
        )
    }


def open_diary(db: Database, token: str, *, today: dt.date | None = None) -> DiaryView:
    """Check a diary link and return the period with each day's total so far."""
    today = today or dt.date.today()
    with db.read() as session:
        participant, period = _by_token(session, token, today)
        totals = _day_totals(session, participant.id)
        return DiaryView(
            organisation=session.get_one(Organisation, period.organisation_id).name,
            team=session.get_one(Team, participant.team_id).name,
            worker_ref=participant.worker_ref,
            title=period.title,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
            open_until=period.ends_on + dt.timedelta(days=LATE_ENTRY_DAYS),
            days=[
                DaySummary(day, *totals.get(day, (0, 0)))
                for day in period_days(period.starts_on, min(period.ends_on, today))
            ],
        )


def _check_day_in_period(period: DiaryPeriod, day: dt.date, today: dt.date) -> None:
    if not period.starts_on <= day <= period.ends_on:
        raise InvalidInput(
            f"{day:%d/%m/%Y} is outside this diary period ({period.starts_on:%d/%m/%Y} to "
            f"{period.ends_on:%d/%m/%Y})."
        )
    if day > today:
        raise InvalidInput(f"{as_day(day)} has not happened yet, so it cannot be filled in.")


def _entries(session: Session, participant_id: int, day: dt.date) -> list[Entry]:
    rows = session.scalars(
        select(DiaryEntry)
        .where(DiaryEntry.participant_id == participant_id, DiaryEntry.entry_date == day)
        .order_by(DiaryEntry.id)
    )
    return [Entry(r.activity, r.minutes, r.starts_at, r.ends_at, r.sos_tool) for r in rows]


def day_entries(
    db: Database, token: str, day: dt.date, *, today: dt.date | None = None
) -> list[Entry]:
    """The saved entries of one day."""
    today = today or dt.date.today()
    with db.read() as session:
        participant, period = _by_token(session, token, today)
        _check_day_in_period(period, day, today)
        return _entries(session, participant.id, day)


def save_day(
    db: Database,
    token: str,
    day: dt.date,
    entries: Sequence[EntryInput],
    *,
    labels: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> DaySummary:
    """Replace one day's entries with ``entries`` (an empty list clears the day). All rows
    are checked first; if any is wrong nothing is saved and every problem is listed, each
    naming its row (``labels``, default "Row 1", "Row 2", …)."""
    today = today or dt.date.today()
    with db.write() as session:
        participant, period = _by_token(session, token, today)
        _check_day_in_period(period, day, today)
        clean = validate_day(diary_codes(), entries, labels)
        session.execute(
            delete(DiaryEntry).where(
                DiaryEntry.participant_id == participant.id, DiaryEntry.entry_date == day
            )
        )
        if clean:
            session.execute(
                insert(DiaryEntry),
                [
                    {
                        "participant_id": participant.id,
                        "entry_date": day,
                        "activity": e.activity,
                        "minutes": e.minutes,
                        "starts_at": e.starts_at,
                        "ends_at": e.ends_at,
                        "sos_tool": e.sos_tool,
                    }
                    for e in clean
                ],
            )
    return DaySummary(day, sum(e.minutes for e in clean), len(clean))


def copy_previous_day(
    db: Database, token: str, day: dt.date, *, today: dt.date | None = None
) -> tuple[dt.date | None, list[Entry]]:
    """The entries of the nearest earlier day of the period that has any ("copy
    yesterday"), to start ``day`` from. Nothing is saved: the worker checks and saves."""
    today = today or dt.date.today()
    with db.read() as session:
        participant, period = _by_token(session, token, today)
        _check_day_in_period(period, day, today)
        previous = session.scalar(
            select(func.max(DiaryEntry.entry_date)).where(
                DiaryEntry.participant_id == participant.id,
                DiaryEntry.entry_date < day,
                DiaryEntry.entry_date >= period.starts_on,
            )
        )
        if previous is None:
            return None, []
        return previous, _entries(session, participant.id, previous)
