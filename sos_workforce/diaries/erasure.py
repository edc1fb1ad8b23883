"""Retention and erasure of raw diary data. A closed period is reported from its sealed
totals (``tallies``), which carry no staff id or link, so the purge deletes its entries,
participants (staff ids, link hashes) and import records and every time-use figure stays.
Erasing a worker's diaries deletes their entries and participation and re-seals closed
periods from what is left.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus, Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.models import (
    DiaryEntry,
    DiaryImport,
    DiaryParticipant,
    DiaryPeriod,
    MailRecipient,
    Organisation,
    OutboxMessage,
)
from sos_workforce.core.tabular import normalise_staff_id
from sos_workforce.diaries import tallies as diary_tallies
from sos_workforce.diaries.codes import diary_codes


def purge_expired_periods(session: Session, actor: Actor | None, today: dt.date) -> tuple[int, int]:
    """Delete the entries, participants and import records of diary periods that ended
    (and closed) more than their organisation's retention period ago; sealed totals stay.
    Returns (periods, entries) deleted. The caller authorises and owns the transaction."""
    expired = session.execute(
        select(
            DiaryPeriod.id,
            DiaryPeriod.organisation_id,
            DiaryPeriod.ends_on,
            Organisation.retention_days,
        )
        .join(Organisation, Organisation.id == DiaryPeriod.organisation_id)
        .where(DiaryPeriod.status == DiaryStatus.CLOSED, Organisation.retention_days.is_not(None))
    ).all()
    periods = entries = 0
    for period_id, organisation_id, ends_on, days in expired:
        if days is None or ends_on + dt.timedelta(days=days) >= today:
            continue
        people = select(DiaryParticipant.id).where(DiaryParticipant.period_id == period_id)
        if not session.scalar(select(func.count()).select_from(people.subquery())):
            continue  # already purged
        deleted = int(
            session.execute(
                delete(DiaryEntry).where(DiaryEntry.participant_id.in_(people))
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
        session.execute(delete(DiaryParticipant).where(DiaryParticipant.period_id == period_id))
        session.execute(delete(DiaryImport).where(DiaryImport.period_id == period_id))
        periods += 1
        entries += deleted
        record_event(
            session,
            actor,
            "diaries_purged",
            organisation_id=organisation_id,
            target=f"diary:{period_id}",
            count=deleted,
            detail=f"retention {days} days",
        )
    return periods, entries


def erase_diary_worker(db: Database, actor: Actor, organisation_id: int, staff_id: str) -> int:
    """Erase every diary kept under ``staff_id`` in the organisation's periods still
    holding raw rows: their entries and participation are deleted and closed periods are
    re-sealed without them. Returns how many diaries were erased. (After the retention
    purge a period keeps only totals without staff ids, which cannot be traced to anyone.)"""
    require(actor, Role.ADMIN, organisation_id=organisation_id)
    wanted = normalise_staff_id(staff_id)
    if not wanted:
        raise InvalidInput("Give the staff id the diary was kept under.")
    with db.write() as session:
        if session.get(Organisation, organisation_id) is None:
            raise NotFound("No such organisation.")
        found = session.execute(
            select(DiaryParticipant.id, DiaryPeriod.id, DiaryPeriod.status)
            .join(DiaryPeriod, DiaryPeriod.id == DiaryParticipant.period_id)
            .where(
                DiaryPeriod.organisation_id == organisation_id,
                DiaryParticipant.worker_ref == wanted,
            )
        ).all()
        codes = diary_codes()
        for participant_id, period_id, status in found:
            session.execute(delete(DiaryEntry).where(DiaryEntry.participant_id == participant_id))
            # Their email address and any unsent or failed email to it (sent ones keep
            # neither address nor link).
            kept = select(MailRecipient.id).where(MailRecipient.participant_id == participant_id)
            session.execute(delete(OutboxMessage).where(OutboxMessage.recipient_id.in_(kept)))
            session.execute(delete(DiaryParticipant).where(DiaryParticipant.id == participant_id))
            if status is DiaryStatus.CLOSED:
                diary_tallies.seal_period(session, period_id, codes)
        record_event(
            session,
            actor,
            "diary_worker_erased",
            organisation_id=organisation_id,
            count=len(found),
        )
        return len(found)
