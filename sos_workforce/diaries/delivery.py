"""How personal diary links reach people without the lead holding them: invitations
emailed by the app from the outbox (``sos_workforce.mail``), reminders to those who have
recorded nothing yet (chosen by the app; the lead sees counts per team under the gate),
failed deliveries listed by address for correction, and the links file for a mail merge
as an administrator's audited fallback per period (``periods.reissue_links``).

A diary link is not spent by an entry: people return to it every day of the period. So,
unlike a survey invitation's, a participant's address is kept (for a reminder or a resend)
until the period closes, and deleted then (``periods.close_period``).

A reminder cannot send the first link again: its plain token was never stored. It mints a
new token for the same participant, so the first link stops working; entries already
saved stay, since they belong to the participant, not to the token. The reminder says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus, Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.links import Relinker, diary_url
from sos_workforce.core.models import (
    DiaryEntry,
    DiaryParticipant,
    DiaryPeriod,
    DiaryPeriodTeam,
    Team,
)
from sos_workforce.mail import (
    DIARY_REMINDER,
    Letter,
    MailOverview,
    MailScope,
    MailTemplate,
    RemindersQueued,
    mail_overview,
    reminders_by_group,
    resend_failed,
)
from sos_workforce.mail import queue_invitations as queue_mail
from sos_workforce.mail import queue_reminders as queue_mail_reminders

DIARY_LINKS_FILE_WARNING = "Whoever holds this file can fill in the diary of anyone on it."


def _period(
    session: Session, actor: Actor, period_id: int, *roles: Role, lock: bool = False
) -> DiaryPeriod:
    period = session.get(DiaryPeriod, period_id, with_for_update=lock)
    if period is None:
        raise NotFound("No such diary period.")
    require(actor, *roles, organisation_id=period.organisation_id)
    return period


def _send_from(period: DiaryPeriod, today: dt.date) -> dt.datetime:
    """When a period's invitations may go: from its first day (now, if it has begun)."""
    if period.starts_on > today:
        return dt.datetime.combine(period.starts_on, dt.time(), tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)


def queue_invitations(
    session: Session,
    period: DiaryPeriod,
    template: MailTemplate,
    invitations: Sequence[tuple[int, str, str]],
    *,
    base_url: str,
    today: dt.date,
) -> int:
    """Keep each (participant id, token, address) and queue its invitation email, in the
    launch's transaction. The address is kept until the period closes (see the module)."""
    period.mail_subject, period.mail_body = template.subject, template.body
    return queue_mail(
        session,
        MailScope(period_id=period.id),
        Letter(template, period.title, period.ends_on),
        [(owner, diary_url(base_url, token), address) for owner, token, address in invitations],
        organisation_id=period.organisation_id,
        not_before=_send_from(period, today),
    )


# --- what the lead sees -------------------------------------------------------------------


def period_mail(db: Database, actor: Actor, period_id: int, *, min_group_size: int) -> MailOverview:
    """The period's send log (counts; reminders under the gate, as each is a count of
    people who had recorded nothing) and its failed invitations by address."""
    with db.read() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        return mail_overview(
            session,
            MailScope(period_id=period.id),
            emailed=period.mail_body is not None,
            links_file_enabled=period.links_file_enabled,
            min_group_size=min_group_size,
        )


# --- reminders ----------------------------------------------------------------------------


def queue_reminders(
    db: Database,
    actor: Actor,
    period_id: int,
    *,
    base_url: str,
    min_group_size: int,
    today: dt.date | None = None,
) -> RemindersQueued:
    """Queue a reminder, with a new link, to everyone emailed who has recorded nothing. The
    app chooses them; the lead gets counts per team under the disclosure gate, never who."""
    today = today or dt.date.today()
    with db.write() as session:
        period = _period(session, actor, period_id, Role.LEAD, lock=True)
        if period.mail_body is None:
            raise InvalidInput("This period's links were not emailed, so the app cannot remind.")
        if period.status is not DiaryStatus.OPEN:
            raise InvalidInput("Reminders can be sent only while the diary period is open.")
        if today < period.starts_on:
            raise InvalidInput("The diary period has not started yet; nobody could record.")
        nothing_yet = dict(
            session.execute(
                select(DiaryParticipant.id, DiaryParticipant.team_id)
                .where(
                    DiaryParticipant.period_id == period.id,
                    ~exists().where(DiaryEntry.participant_id == DiaryParticipant.id),
                )
                .order_by(DiaryParticipant.id)
            ).all()
        )
        reminded = queue_mail_reminders(
            session,
            MailScope(period_id=period.id),
            Letter(DIARY_REMINDER, period.title, period.ends_on),
            list(nothing_yet),
            Relinker(session, DiaryParticipant, diary_url, base_url),
            organisation_id=period.organisation_id,
        )
        teams = dict(
            session.execute(
                select(Team.id, Team.name)
                .join(DiaryPeriodTeam, DiaryPeriodTeam.team_id == Team.id)
                .where(DiaryPeriodTeam.period_id == period.id)
            ).all()
        )
        record_event(
            session,
            actor,
            "reminders_queued",
            organisation_id=period.organisation_id,
            target=f"diary:{period.id}",
        )
    per_team: dict[int, int] = {}
    for participant_id in reminded:
        team = nothing_yet[participant_id]
        per_team[team] = per_team.get(team, 0) + 1
    # The period's teams are siblings under the whole period, as in its participation
    # counts, so a hidden team's count cannot be worked out from the total and the rest.
    return reminders_by_group(per_team, teams, dict.fromkeys(teams), min_group_size=min_group_size)


# --- failed deliveries ------------------------------------------------------------------


def resend_invitation(
    db: Database,
    actor: Actor,
    period_id: int,
    message_id: int,
    *,
    address: str,
    base_url: str,
    today: dt.date | None = None,
) -> None:
    """Send a failed invitation again to a corrected address, with a new link."""
    today = today or dt.date.today()
    with db.write() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is DiaryStatus.CLOSED or period.mail_body is None:
            raise InvalidInput("This diary period is closed; its invitations can no longer go.")
        resend_failed(
            session,
            MailScope(period_id=period.id),
            Letter(
                MailTemplate(period.mail_subject or "", period.mail_body),
                period.title,
                period.ends_on,
            ),
            message_id,
            address,
            Relinker(session, DiaryParticipant, diary_url, base_url),
            organisation_id=period.organisation_id,
            not_before=_send_from(period, today),
        )
        record_event(
            session,
            actor,
            "invitation_resent",
            organisation_id=period.organisation_id,
            target=f"diary:{period.id}",
        )


# --- the links file: an administrator's fallback ------------------------------------------


def enable_links_file(db: Database, actor: Actor, period_id: int, *, enabled: bool = True) -> None:
    """An administrator lets the lead download this period's personal diary links as a
    file for a mail merge (``periods.reissue_links``), or takes that back. Audited:
    whoever holds the file can fill in the diary of anyone on it."""
    with db.write() as session:
        period = _period(session, actor, period_id, Role.ADMIN)
        if enabled and period.mail_body is not None:
            raise InvalidInput(
                "This period's invitations are emailed by the app; a links file would replace "
                "the emailed links."
            )
        if enabled and period.status is DiaryStatus.CLOSED:
            raise InvalidInput("This diary period is closed.")
        period.links_file_enabled = enabled
        record_event(
            session,
            actor,
            "links_file_enabled" if enabled else "links_file_disabled",
            organisation_id=period.organisation_id,
            target=f"diary:{period.id}",
        )
