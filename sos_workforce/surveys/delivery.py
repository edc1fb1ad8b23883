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
from sos_workforce.core.enums import Channel, MailKind, Role, WaveStatus
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.links import mint_token, survey_url
from sos_workforce.core.models import Invitation, ResponseDraft, Team, Wave, WaveTeam
from sos_workforce.core.security import hash_token
from sos_workforce.mail import (
    HELD,
    SURVEY_REMINDER,
    FailedDelivery,
    MailTemplate,
    Outgoing,
    SendLog,
    enqueue,
    failed_deliveries,
    failed_message,
    normalise_address,
    recipients_of,
    remember_recipients,
    render,
    retire_failed,
    send_log,
)
from sos_workforce.privacy import GroupCount, gated_counts

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
    recipient_ids = remember_recipients(
        session,
        [address for _, _, address in invitations],
        invitation_ids=[invitation_id for invitation_id, _, _ in invitations],
    )
    messages = []
    for (_, token, address), recipient_id in zip(invitations, recipient_ids, strict=True):
        subject, body = render(
            template, link=survey_url(base_url, token), title=wave.title, closes_on=wave.closes_on
        )
        messages.append(Outgoing(address, subject, body, recipient_id))
    return enqueue(
        session,
        messages,
        organisation_id=wave.organisation_id,
        kind=MailKind.INVITATION,
        wave_id=wave.id,
        not_before=_send_from(wave, today),
    )


# --- what the lead sees -------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderCounts:
    """Reminders waiting, sent and failed, under the disclosure gate (each is a count of
    people who had not answered): None where it is under k or would follow from the rest."""

    queued: int | None
    sent: int | None
    failed: int | None
    total: int | None


@dataclass(frozen=True)
class WaveMail:
    emailed: bool  # the wave's invitations were sent by email
    log: SendLog  # invitations by status (use ``reminders`` for reminders)
    reminders: ReminderCounts
    failures: list[FailedDelivery]
    links_file_enabled: bool


def wave_mail(db: Database, actor: Actor, wave_id: int, *, min_group_size: int) -> WaveMail:
    """The wave's send log (counts) and its failed invitations by address."""
    with db.read() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        log = send_log(session, wave_id=wave.id)
        failures = failed_deliveries(session, wave_id=wave.id)
        emailed, enabled = wave.mail_body is not None, wave.links_file_enabled
    sent = log.reminders
    shown = gated_counts(
        {
            0: GroupCount(None, 0),
            1: GroupCount(0, sent.queued),
            2: GroupCount(0, sent.sent),
            3: GroupCount(0, sent.failed),
        },
        min_group_size,
    )
    return WaveMail(
        emailed=emailed,
        log=log,
        reminders=ReminderCounts(shown[1], shown[2], shown[3], shown[0]),
        failures=failures,
        links_file_enabled=enabled,
    )


# --- reminders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamReminders:
    team: str
    queued: int | None  # None: fewer than the minimum group size (or derivable from others)


@dataclass(frozen=True)
class RemindersQueued:
    min_group_size: int
    teams: list[TeamReminders]
    total: int | None

    def label(self, count: int | None) -> str:
        return f"fewer than {self.min_group_size}" if count is None else str(count)


_ALL_TEAMS = 0


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
        kept = recipients_of(session, wave_id=wave.id)
        waiting = session.execute(
            select(Invitation)
            .where(
                Invitation.wave_id == wave.id,
                Invitation.spent.is_(False),
                Invitation.channel == Channel.PERSONAL_LINK,
                Invitation.id.in_(list(kept)),
            )
            .order_by(Invitation.id)
        ).scalars()
        messages: list[Outgoing] = []
        per_team: dict[int, int] = {}
        old_hashes: list[str] = []
        for invitation in waiting:
            token = mint_token()
            old_hashes.append(invitation.token_hash)
            invitation.token_hash = hash_token(token)
            recipient_id, address = kept[invitation.id]
            subject, body = render(
                SURVEY_REMINDER,
                link=survey_url(base_url, token),
                title=wave.title,
                closes_on=wave.closes_on,
            )
            messages.append(Outgoing(address, subject, body, recipient_id))
            per_team[invitation.team_id] = per_team.get(invitation.team_id, 0) + 1
        if old_hashes:  # sealed with the old token: nobody can open them any more
            session.execute(
                delete(ResponseDraft).where(ResponseDraft.token_hash.in_(old_hashes)),
                execution_options={"synchronize_session": False},
            )
        session.flush()
        enqueue(
            session,
            messages,
            organisation_id=wave.organisation_id,
            kind=MailKind.REMINDER,
            wave_id=wave.id,
        )
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
    groups = {_ALL_TEAMS: GroupCount(None, 0)}
    groups.update(
        {team: GroupCount(parent or _ALL_TEAMS, per_team.get(team, 0)) for team, parent, _ in tree}
    )
    shown = gated_counts(groups, min_group_size)
    names = {team: name for team, _, name in tree}
    return RemindersQueued(
        min_group_size,
        [
            TeamReminders(names[team], shown[team])
            for team in sorted(in_wave | set(per_team), key=names.__getitem__)
        ],
        shown[_ALL_TEAMS],
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
    address = normalise_address(address)
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        if wave.status is WaveStatus.CLOSED or wave.mail_body is None:
            raise InvalidInput("This wave is closed; its invitations can no longer be sent.")
        try:
            message, recipient = failed_message(session, message_id, wave_id=wave.id)
        except LookupError:
            raise NotFound("That failed delivery is not in this wave's list.") from None
        invitation = session.get(Invitation, recipient.invitation_id)
        if invitation is None:  # pragma: no cover - the recipient goes with its invitation
            raise NotFound("That failed delivery is not in this wave's list.")
        token = mint_token()
        invitation.token_hash = hash_token(token)
        recipient.address = address
        retire_failed(session, message)
        subject, body = render(
            MailTemplate(wave.mail_subject or "", wave.mail_body),
            link=survey_url(base_url, token),
            title=wave.title,
            closes_on=wave.closes_on,
        )
        session.flush()
        enqueue(
            session,
            [Outgoing(address, subject, body, recipient.id)],
            organisation_id=wave.organisation_id,
            kind=MailKind.INVITATION,
            wave_id=wave.id,
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
        links: list[IssuedLink] = []
        old_hashes: list[str] = []
        for invitation, team in rows:
            token = mint_token()
            old_hashes.append(invitation.token_hash)
            invitation.token_hash = hash_token(token)
            links.append(IssuedLink(team, survey_url(base_url, token), invitation.roster_ref))
        if old_hashes:
            session.execute(
                delete(ResponseDraft).where(ResponseDraft.token_hash.in_(old_hashes)),
                execution_options={"synchronize_session": False},
            )
        record_event(
            session,
            actor,
            "survey_links_issued",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
            count=len(links),
        )
        return links
