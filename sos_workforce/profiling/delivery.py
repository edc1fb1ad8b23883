"""How raters' links reach them without the lead holding them: invitations emailed by the
app when the round opens (``rounds.open_round`` with addresses), reminders to raters who
have not scored (chosen by the app; the lead sees counts per role under the gate), and
failed deliveries listed by address for correction. The links file stays an
administrator's audited fallback for raters without an address.

A reminder mints a new token for the same rater link: the first link stops working.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event
from sos_workforce.core.db import Database
from sos_workforce.core.enums import RaterRole, Role, RoundStatus
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.links import Relinker, rating_url
from sos_workforce.core.models import ProfileRound, RaterLink
from sos_workforce.mail import (
    RATER_REMINDER,
    Letter,
    MailOverview,
    MailScope,
    MailTemplate,
    RemindersQueued,
    mail_overview,
    reminders_by_group,
    resend_failed,
)
from sos_workforce.mail import queue_reminders as queue_mail_reminders
from sos_workforce.profiling.rounds import forget_rater_drafts, round_for


def _emailed_round(session: Session, actor: Actor, round_id: int) -> ProfileRound:
    profile_round = round_for(session, actor, round_id, Role.LEAD)
    if profile_round.mail_body is None:
        raise InvalidInput("This round's raters were not emailed, so the app cannot remind.")
    if profile_round.status is not RoundStatus.OPEN:
        raise InvalidInput("This round is closed; its links can no longer be used.")
    return profile_round


def _relinker(session: Session, base_url: str) -> Relinker:
    # Drafts were sealed with the old token: they could never be opened again.
    return Relinker(
        session,
        RaterLink,
        rating_url,
        base_url,
        forget=lambda link_id: forget_rater_drafts(session, link_id),
    )


def round_mail(db: Database, actor: Actor, round_id: int, *, min_group_size: int) -> MailOverview:
    """The round's send log (counts; reminders under the gate, since each counts raters
    who had not scored) and its failed invitations by address."""
    with db.read() as session:
        profile_round = round_for(session, actor, round_id, Role.LEAD)
        return mail_overview(
            session,
            MailScope(round_id=profile_round.id),
            emailed=profile_round.mail_body is not None,
            links_file_enabled=profile_round.links_file_enabled,
            min_group_size=min_group_size,
        )


def queue_rater_reminders(
    db: Database, actor: Actor, round_id: int, *, base_url: str, min_group_size: int
) -> RemindersQueued:
    """Queue a reminder, with a new link, to every emailed rater who has not scored. The
    app chooses them; the lead gets counts per role under the disclosure gate, never who."""
    with db.write() as session:
        profile_round = _emailed_round(session, actor, round_id)
        session.refresh(profile_round, with_for_update=True)
        unscored = dict(
            session.execute(
                select(RaterLink.id, RaterLink.rater_role)
                .where(RaterLink.round_id == profile_round.id, RaterLink.spent.is_(False))
                .order_by(RaterLink.id)
            ).all()
        )
        reminded = queue_mail_reminders(
            session,
            MailScope(round_id=profile_round.id),
            Letter(RATER_REMINDER, profile_round.title, profile_round.held_on),
            list(unscored),
            _relinker(session, base_url),
            organisation_id=profile_round.organisation_id,
        )
        record_event(
            session,
            actor,
            "reminders_queued",
            organisation_id=profile_round.organisation_id,
            target=f"profile_round:{profile_round.id}",
        )
    roles = list(RaterRole)
    per_role: dict[int, int] = {}
    for link_id in reminded:
        index = roles.index(unscored[link_id])
        per_role[index] = per_role.get(index, 0) + 1
    # The roles are siblings under the round, as in the raters-by-role counts.
    names = {index: role.label for index, role in enumerate(roles)}
    return reminders_by_group(per_role, names, dict.fromkeys(names), min_group_size=min_group_size)


def resend_rater_invitation(
    db: Database,
    actor: Actor,
    round_id: int,
    message_id: int,
    *,
    address: str,
    base_url: str,
) -> None:
    """Send a failed rater invitation again to a corrected address, with a new link."""
    with db.write() as session:
        profile_round = _emailed_round(session, actor, round_id)
        resend_failed(
            session,
            MailScope(round_id=profile_round.id),
            Letter(
                MailTemplate(profile_round.mail_subject or "", profile_round.mail_body or ""),
                profile_round.title,
                profile_round.held_on,
            ),
            message_id,
            address,
            _relinker(session, base_url),
            organisation_id=profile_round.organisation_id,
        )
        record_event(
            session,
            actor,
            "invitation_resent",
            organisation_id=profile_round.organisation_id,
            target=f"profile_round:{profile_round.id}",
        )
