"""Sealed time-diary totals: per person and per team, role and activity, written when a
diary period closes.

An open period is reported from its raw entries (they change until it closes). A closed
period is reported only from ``diary_worker_total`` and ``diary_activity_total``, so:

- national figures read a few rows per period (``diary_period_activity_total``) instead of
  millions of entries;
- the raw entries and the participants (staff ids, link hashes) can be deleted by the
  retention purge without changing any result;
- erasing one worker re-seals the period from what is left.

The same two queries feed the raw report and the seal, so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    SQLColumnExpression,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from sos_workforce.core.models import (
    DiaryActivityTotal,
    DiaryEntry,
    DiaryParticipant,
    DiaryPeriodActivityTotal,
    DiaryWorkerTotal,
)
from sos_workforce.diaries.codes import DiaryCodes

WORKER_COLUMNS = (
    "team_id",
    "role",
    "fte",
    "contracted_hours",
    "minutes",
    "direct_minutes",
    "admin_minutes",
    "weekdays_recorded",
)
ACTIVITY_COLUMNS = ("team_id", "role", "activity", "minutes")


def _is_weekday(session: Session, day: SQLColumnExpression[dt.date]) -> ColumnElement[bool]:
    """Monday to Friday, in the database's own date functions."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("isodow", day).between(1, 5)
    return func.strftime("%w", day).in_(("1", "2", "3", "4", "5"))


WorkerRows = Select[int, str, float, float, int, int, int, int]
ActivityRows = Select[int, str, str, int]


def worker_rows(session: Session, period_id: int, codes: DiaryCodes) -> WorkerRows:
    """One row per participant of a period (``WORKER_COLUMNS``), from the raw entries;
    someone who recorded nothing has 0 minutes."""
    entry, person = DiaryEntry, DiaryParticipant
    direct = case((entry.activity.in_(codes.direct_codes), entry.minutes), else_=0)
    admin = case((entry.activity.in_(codes.admin_codes), entry.minutes), else_=0)
    return (
        select(
            person.team_id,
            person.role,
            person.fte,
            person.contracted_hours,
            func.coalesce(func.sum(entry.minutes), 0),
            func.coalesce(func.sum(direct), 0, type_=Integer),
            func.coalesce(func.sum(admin), 0, type_=Integer),
            func.count(distinct(case((_is_weekday(session, entry.entry_date), entry.entry_date)))),
        )
        .outerjoin(entry, entry.participant_id == person.id)
        .where(person.period_id == period_id)
        .group_by(person.id, person.team_id, person.role, person.fte, person.contracted_hours)
    )


def activity_rows(period_id: int) -> ActivityRows:
    """Minutes per team, role and activity code of a period (``ACTIVITY_COLUMNS``), from
    the raw entries."""
    entry, person = DiaryEntry, DiaryParticipant
    return (
        select(person.team_id, person.role, entry.activity, func.sum(entry.minutes))
        .join(entry, entry.participant_id == person.id)
        .where(person.period_id == period_id)
        .group_by(person.team_id, person.role, entry.activity)
    )


def sealed_worker_rows(period_id: int) -> WorkerRows:
    total = DiaryWorkerTotal
    return select(
        total.team_id,
        total.role,
        total.fte,
        total.contracted_hours,
        total.minutes,
        total.direct_minutes,
        total.admin_minutes,
        total.weekdays_recorded,
    ).where(total.period_id == period_id)


def sealed_activity_rows(period_id: int) -> ActivityRows:
    total = DiaryActivityTotal
    return select(total.team_id, total.role, total.activity, total.minutes).where(
        total.period_id == period_id
    )


def unseal_period(session: Session, period_id: int) -> None:
    for model in (DiaryWorkerTotal, DiaryActivityTotal, DiaryPeriodActivityTotal):
        session.execute(delete(model).where(model.period_id == period_id))


def seal_period(session: Session, period_id: int, codes: DiaryCodes) -> None:
    """(Re)write a period's sealed totals from its raw entries (idempotent)."""
    unseal_period(session, period_id)
    workers = worker_rows(session, period_id, codes).add_columns(literal(period_id))
    session.execute(insert(DiaryWorkerTotal).from_select([*WORKER_COLUMNS, "period_id"], workers))
    activities = activity_rows(period_id).add_columns(literal(period_id))
    session.execute(
        insert(DiaryActivityTotal).from_select([*ACTIVITY_COLUMNS, "period_id"], activities)
    )
    entry, person = DiaryEntry, DiaryParticipant
    session.execute(
        insert(DiaryPeriodActivityTotal).from_select(
            ["period_id", "activity", "minutes", "workers"],
            select(
                person.period_id,
                entry.activity,
                func.sum(entry.minutes),
                func.count(distinct(entry.participant_id)),
            )
            .join(entry, entry.participant_id == person.id)
            .where(person.period_id == period_id)
            .group_by(person.period_id, entry.activity),
        )
    )
