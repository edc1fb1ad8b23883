"""Retention and erasure of raw survey and diary data (UK GDPR storage limitation and
erasure).

Reports never read raw responses: they read the tallies kept on submit and sealed on close
(``tallies.py``). So raw rows past an organisation's retention period can be deleted while
every band table, trend and benchmark stays as it was. Erasure of one identified respondent
subtracts their answers from the tallies and deletes the rows.

Diaries likewise: a closed period is reported from its sealed totals (``diary_tallies``),
which carry no staff id or link, so the purge deletes its entries, participants (staff ids,
link hashes) and import records and every time-use figure stays. Erasing a worker's diaries
deletes their entries and participation and re-seals closed periods from what is left.

Comments (free text) are stored without any link to the response they came with, so they
cannot be attributed to an identified respondent; they are deleted by the retention purge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sos_workforce import audit, diary_tallies, tallies
from sos_workforce.auth import Actor, require
from sos_workforce.db import Database
from sos_workforce.diary_codes import diary_codes
from sos_workforce.enums import DiaryStatus, Role, WaveStatus
from sos_workforce.errors import InvalidInput, NotFound
from sos_workforce.models import (
    Answer,
    DiaryEntry,
    DiaryImport,
    DiaryParticipant,
    DiaryPeriod,
    Invitation,
    Organisation,
    Response,
    ResponseDraft,
    TextAnswer,
    Wave,
)
from sos_workforce.tabular import normalise_staff_id

MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650


def set_retention(db: Database, actor: Actor, organisation_id: int, days: int | None) -> None:
    """Keep raw survey responses for ``days`` after a wave closes (None: keep them)."""
    require(actor, Role.ADMIN, organisation_id=organisation_id)
    if days is not None and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput(
            f"The retention period must be between {MIN_RETENTION_DAYS} and "
            f"{MAX_RETENTION_DAYS} days."
        )
    with db.write() as session:
        organisation = session.get_one(Organisation, organisation_id)
        organisation.retention_days = days
        audit.record(
            session,
            actor,
            "retention_set",
            organisation_id=organisation_id,
            count=days,
        )


def get_retention(db: Database, actor: Actor, organisation_id: int) -> int | None:
    require(actor, Role.ADMIN, organisation_id=organisation_id)
    with db.read() as session:
        return session.get_one(Organisation, organisation_id).retention_days


@dataclass(frozen=True)
class PurgeResult:
    waves: int
    responses: int
    comments: int
    diary_periods: int = 0
    diary_entries: int = 0


def purge_expired(
    db: Database, actor: Actor | None, *, today: dt.date | None = None, system: bool = False
) -> PurgeResult:
    """Delete raw responses, answers, comments, drafts and links of waves that closed more
    than their organisation's retention period ago, and the entries, participants and
    import records of diary periods that ended (and closed) that long ago. Aggregates stay.
    ``system`` is the scheduled command (no signed-in user); otherwise an administrator."""
    if not system:
        require(actor, Role.ADMIN)
    today = today or dt.date.today()
    waves = responses = comments = 0
    with db.write() as session:
        expired = session.execute(
            select(Wave.id, Wave.organisation_id, Wave.closes_on, Organisation.retention_days)
            .join(Organisation, Organisation.id == Wave.organisation_id)
            .where(Wave.status == WaveStatus.CLOSED, Organisation.retention_days.is_not(None))
        ).all()
        for wave_id, organisation_id, closes_on, days in expired:
            if days is None or closes_on + dt.timedelta(days=days) >= today:
                continue
            response_ids = select(Response.id).where(Response.wave_id == wave_id)
            deleted_responses = session.scalar(
                select(func.count()).select_from(Response).where(Response.wave_id == wave_id)
            )
            if not deleted_responses and not session.scalar(
                select(func.count()).select_from(Invitation).where(Invitation.wave_id == wave_id)
            ):
                continue  # already purged
            session.execute(delete(Answer).where(Answer.response_id.in_(response_ids)))
            session.execute(delete(Response).where(Response.wave_id == wave_id))
            deleted_comments = session.execute(
                delete(TextAnswer).where(TextAnswer.wave_id == wave_id)
            ).rowcount  # type: ignore[attr-defined]
            session.execute(delete(ResponseDraft).where(ResponseDraft.wave_id == wave_id))
            session.execute(delete(Invitation).where(Invitation.wave_id == wave_id))
            waves += 1
            responses += int(deleted_responses or 0)
            comments += int(deleted_comments or 0)
            audit.record(
                session,
                actor,
                "responses_purged",
                organisation_id=organisation_id,
                target=f"wave:{wave_id}",
                count=int(deleted_responses or 0),
                detail=f"retention {days} days",
            )
        periods, entries = _purge_diaries(session, actor, today)
    return PurgeResult(waves, responses, comments, periods, entries)


def _purge_diaries(session: Session, actor: Actor | None, today: dt.date) -> tuple[int, int]:
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
        audit.record(
            session,
            actor,
            "diaries_purged",
            organisation_id=organisation_id,
            target=f"diary:{period_id}",
            count=deleted,
            detail=f"retention {days} days",
        )
    return periods, entries


def erase_respondent(db: Database, actor: Actor, organisation_id: int, email: str) -> int:
    """Erase every identified response given with ``email`` in the organisation's waves:
    their answers are subtracted from the tallies (and a closed wave's sealed totals are
    rewritten), then the rows are deleted. Returns how many responses were erased."""
    require(actor, Role.ADMIN, organisation_id=organisation_id)
    wanted = email.strip().lower()
    if "@" not in wanted:
        raise InvalidInput("Give the email address the person gave with their response.")
    with db.write() as session:
        if session.get(Organisation, organisation_id) is None:
            raise NotFound("No such organisation.")
        found = session.execute(
            select(Response, Wave.status)
            .join(Wave, Wave.id == Response.wave_id)
            .where(
                Wave.organisation_id == organisation_id,
                func.lower(Response.respondent_email) == wanted,
            )
        ).all()
        for response, status in found:
            values = session.execute(
                select(Answer.item_id, Answer.value).where(Answer.response_id == response.id)
            ).all()
            tallies.add_response(
                session,
                response.wave_id,
                response.team_id,
                tallies.grouping_of(
                    response.staff_role, response.employment_type, response.tenure_band
                ),
                [(item_id, value) for item_id, value in values],
                delta=-1,
            )
            session.execute(delete(Answer).where(Answer.response_id == response.id))
            session.delete(response)
            session.flush()
            if status is WaveStatus.CLOSED:
                tallies.seal_wave(session, response.wave_id)
        audit.record(
            session,
            actor,
            "respondent_erased",
            organisation_id=organisation_id,
            count=len(found),
        )
        return len(found)


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
            session.execute(delete(DiaryParticipant).where(DiaryParticipant.id == participant_id))
            if status is DiaryStatus.CLOSED:
                diary_tallies.seal_period(session, period_id, codes)
        audit.record(
            session,
            actor,
            "diary_worker_erased",
            organisation_id=organisation_id,
            count=len(found),
        )
        return len(found)
