"""Retention and erasure of raw survey data (UK GDPR storage limitation and erasure).

Reports never read raw responses: they read the tallies kept on submit and sealed on close
(``tallies``). So raw rows past an organisation's retention period can be deleted while
every band table, trend and benchmark stays as it was. Erasure of one identified respondent
subtracts their answers from the tallies and deletes the rows. Comments are stored without
any link to their response, so they cannot be attributed to an identified respondent; the
retention purge deletes them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role, WaveStatus
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.models import (
    Answer,
    Invitation,
    InvitationIdentity,
    Organisation,
    PendingResponse,
    Response,
    ResponseDraft,
    TextAnswer,
    TrainingOptIn,
    Wave,
)
from sos_workforce.surveys import tallies


def erase_respondent(db: Database, actor: Actor, organisation_id: int, email: str) -> int:
    """Erase every identified response given with ``email`` in the organisation's waves:
    their answers are subtracted from the tallies (and a closed wave's sealed totals are
    rewritten), then the rows are deleted; so are their requests for support or training
    (with what followed them) and any name kept for one. Returns how many responses and
    requests were erased."""
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
        # Answers still waiting in the pool (or held back at a close) are in no figure yet.
        pooled = session.execute(
            delete(PendingResponse).where(
                PendingResponse.wave_id.in_(
                    select(Wave.id).where(Wave.organisation_id == organisation_id)
                ),
                func.lower(PendingResponse.respondent_email) == wanted,
            )
        ).rowcount  # type: ignore[attr-defined]
        optins = session.execute(
            delete(TrainingOptIn).where(
                TrainingOptIn.organisation_id == organisation_id,
                func.lower(TrainingOptIn.email) == wanted,
            )
        ).rowcount  # type: ignore[attr-defined]
        session.execute(
            delete(InvitationIdentity).where(
                func.lower(InvitationIdentity.email) == wanted,
                InvitationIdentity.invitation_id.in_(
                    select(Invitation.id)
                    .join(Wave, Wave.id == Invitation.wave_id)
                    .where(Wave.organisation_id == organisation_id)
                ),
            )
        )
        found_count = len(found) + int(pooled or 0) + int(optins or 0)
        record_event(
            session,
            actor,
            "respondent_erased",
            organisation_id=organisation_id,
            count=found_count,
        )
        return found_count


def purge_expired_waves(
    session: Session, actor: Actor | None, today: dt.date
) -> tuple[int, int, int]:
    """Delete raw responses, answers, comments, drafts and links of waves that closed more
    than their organisation's retention period ago (tallies stay). Returns (waves,
    responses, comments) deleted. The caller authorises and owns the transaction."""
    waves = responses = comments = 0
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
        session.execute(delete(PendingResponse).where(PendingResponse.wave_id == wave_id))
        session.execute(delete(Invitation).where(Invitation.wave_id == wave_id))
        waves += 1
        responses += int(deleted_responses or 0)
        comments += int(deleted_comments or 0)
        record_event(
            session,
            actor,
            "responses_purged",
            organisation_id=organisation_id,
            target=f"wave:{wave_id}",
            count=int(deleted_responses or 0),
            detail=f"retention {days} days",
        )
    return waves, responses, comments
