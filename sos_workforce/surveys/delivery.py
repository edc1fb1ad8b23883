"""How personal survey links reach people without anyone holding them: invitations
emailed by the app from the outbox (``sos_workforce.mail``), reminders to those who have
not answered (chosen by the app; the lead sees counts per team under the gate), failed
deliveries listed by address for correction, and the links file for a mail merge as an
administrator's audited fallback per wave.

A reminder cannot send the first link again: its plain token was never stored. It mints a
new token for the same invitation, so the first link stops working and a draft saved with
it is lost (it is sealed with the old token); the reminder's text says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Channel, Role, WaveStatus
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.links import Relinker, survey_url
from sos_workforce.core.models import Invitation, ResponseDraft, Team, Wave, WaveTeam
from sos_workforce.mail import (
    HELD,
    SURVEY_REMINDER,
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

LINKS_FILE_WARNING = "Whoever holds this file can answer as anyone on it."


@dataclass(frozen=True)
class IssuedLink:
    team: str
    url: str
    staff_ref: str | None = None  # from an audience roster, for mail merge
    email: str | None = None  # never filled since links are emailed by the app


def _wave(session: Session, actor: Actor, wave_id: int, *roles: Role, lock: bool = False) -> Wave:
    wave = session.get(Wave, wave_id, with_for_update=lock)
    if wave is None:
        raise NotFound("No such survey wave.")
    require(actor, *roles, organisation_id=wave.organisation_id)
    return wave


# --- launch -----------------------------------------------------------------------------


def _send_from(wave: Wave, today: dt.date) -> dt.datetime:
    """When a wave's invitations may go: held for a draft, else from its opening day."""
    if wave.status is WaveStatus.DRAFT:
        return HELD
    start = max(wave.opens_on, today)
    return dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC) if start > today else _now()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def queue_invitations(
    session: Session,
    wave: Wave,
    template: MailTemplate,
    invitations: Sequence[tuple[int, str, str]],
    *,
    base_url: str,
    today: dt.date,
) -> int:
    """Keep each (invitation id, token, address) and queue its invitation email, in the
    launch's transaction."""
    wave.mail_subject, wave.mail_body = template.subject, template.body
    return queue_mail(
        session,
        MailScope(wave_id=wave.id),
        Letter(template, wave.title, wave.closes_on),
        [(owner, survey_url(base_url, token), address) for owner, token, address in invitations],
        organisation_id=wave.organisation_id,
        not_before=_send_from(wave, today),
    )


# --- what the lead sees -------------------------------------------------------------------


def wave_mail(db: Database, actor: Actor, wave_id: int, *, min_group_size: int) -> MailOverview:
    """The wave's send log (counts) and its failed invitations by address."""
    with db.read() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        return mail_overview(
            session,
            MailScope(wave_id=wave.id),
            emailed=wave.mail_body is not None,
            links_file_enabled=wave.links_file_enabled,
            min_group_size=min_group_size,
        )


# --- reminders ----------------------------------------------------------------------------


def _drop_drafts(session: Session, token_hashes: list[str]) -> None:
    if token_hashes:
        session.execute(
            delete(ResponseDraft).where(ResponseDraft.token_hash.in_(token_hashes)),
            execution_options={"synchronize_session": False},
        )


def queue_reminders(
    db: Database,
    actor: Actor,
    wave_id: int,
    *,
    base_url: str,
    min_group_size: int,
    today: dt.date | None = None,
) -> RemindersQueued:
    """Queue a reminder, with a new link, to everyone emailed whose link is unspent. The
    app chooses them; the lead gets counts per team under the disclosure gate, never who."""
    today = today or dt.date.today()
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD, lock=True)
        if wave.mail_body is None:
            raise InvalidInput("This wave's links were not emailed, so the app cannot remind.")
        if wave.status is not WaveStatus.OPEN or not wave.opens_on <= today <= wave.closes_on:
            raise InvalidInput("Reminders can be sent only while the wave is open.")
        waiting = dict(
            session.execute(
                select(Invitation.id, Invitation.team_id)
                .where(
                    Invitation.wave_id == wave.id,
                    Invitation.spent.is_(False),
                    Invitation.channel == Channel.PERSONAL_LINK,
                )
                .order_by(Invitation.id)
            ).all()
        )
        relink = Relinker(session, Invitation, survey_url, base_url)
        replaced = relink.replaced
        reminded = queue_mail_reminders(
            session,
            MailScope(wave_id=wave.id),
            Letter(SURVEY_REMINDER, wave.title, wave.closes_on),
            list(waiting),
            relink,
            organisation_id=wave.organisation_id,
        )
        _drop_drafts(session, replaced)
        in_wave = set(session.scalars(select(WaveTeam.team_id).where(WaveTeam.wave_id == wave.id)))
        tree = session.execute(
            select(Team.id, Team.parent_id, Team.name).where(
                Team.organisation_id == wave.organisation_id
            )
        ).all()
        record_event(
            session,
            actor,
            "reminders_queued",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
        )
    per_team: dict[int, int] = {}
    for invitation_id in reminded:
        per_team[waiting[invitation_id]] = per_team.get(waiting[invitation_id], 0) + 1
    names = {team: name for team, _, name in tree}
    return reminders_by_group(
        per_team,
        {team: names[team] for team in in_wave | set(per_team)},
        {team: parent for team, parent, _ in tree},
        min_group_size=min_group_size,
    )


# --- failed deliveries ------------------------------------------------------------------


def resend_invitation(
    db: Database,
    actor: Actor,
    wave_id: int,
    message_id: int,
    *,
    address: str,
    base_url: str,
    today: dt.date | None = None,
) -> None:
    """Send a failed invitation again to a corrected address, with a new link."""
    today = today or dt.date.today()
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        if wave.status is WaveStatus.CLOSED or wave.mail_body is None:
            raise InvalidInput("This wave is closed; its invitations can no longer be sent.")
        relink = Relinker(session, Invitation, survey_url, base_url)  # no draft to drop
        resend_failed(
            session,
            MailScope(wave_id=wave.id),
            Letter(
                MailTemplate(wave.mail_subject or "", wave.mail_body), wave.title, wave.closes_on
            ),
            message_id,
            address,
            relink,
            organisation_id=wave.organisation_id,
            not_before=_send_from(wave, today),
        )
        record_event(
            session,
            actor,
            "invitation_resent",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
        )


# --- the links file: an administrator's fallback ------------------------------------------


def enable_links_file(db: Database, actor: Actor, wave_id: int, *, enabled: bool = True) -> None:
    """An administrator lets the lead download this wave's personal links as a file for a
    mail merge (or takes that back). Audited: whoever holds the file can answer as anyone."""
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.ADMIN)
        if enabled and wave.mail_body is not None:
            raise InvalidInput(
                "This wave's invitations are emailed by the app; a links file would replace "
                "the emailed links."
            )
        if wave.status is WaveStatus.CLOSED and enabled:
            raise InvalidInput("This wave is closed.")
        wave.links_file_enabled = enabled
        record_event(
            session,
            actor,
            "links_file_enabled" if enabled else "links_file_disabled",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
        )


def issue_links_file(
    db: Database, actor: Actor, wave_id: int, *, base_url: str
) -> list[IssuedLink]:
    """New personal links for everyone whose link is unspent, returned once for a mail
    merge, when an administrator has enabled the file for this wave. Any earlier file's
    links stop working. Audited."""
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD, lock=True)
        if not wave.links_file_enabled:
            raise InvalidInput(
                "Personal links are not given out as a file. An administrator can allow it "
                "for this wave; otherwise launch with emailed invitations or use the open link."
            )
        if wave.status is WaveStatus.CLOSED:
            raise InvalidInput("This wave is closed; its links can no longer be used.")
        rows = session.execute(
            select(Invitation, Team.name)
            .join(Team, Team.id == Invitation.team_id)
            .where(
                Invitation.wave_id == wave.id,
                Invitation.spent.is_(False),
                Invitation.channel == Channel.PERSONAL_LINK,
            )
            .order_by(Team.name, Invitation.roster_ref, Invitation.id)
        ).all()
        relink = Relinker(session, Invitation, survey_url, base_url)
        replaced = relink.replaced
        links = [
            IssuedLink(team, relink(invitation.id), invitation.roster_ref)
            for invitation, team in rows
        ]
        _drop_drafts(session, replaced)
        record_event(
            session,
            actor,
            "survey_links_issued",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
            count=len(links),
        )
        return links
