"""Diary links sent by the app through a real SMTP server: the invitation arrives and its
link opens the diary (all period long, not spent by an entry), every address is checked
before anything is stored, reminders go only to people who have recorded nothing (a new
link each, entries kept, counts under the gate), failed deliveries are listed by address
and resent, addresses go when the period closes, and the links file is an
administrator's audited fallback."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from sos_workforce import diaries
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, LinkRefused, PermissionDenied
from sos_workforce.core.models import (
    AuditEvent,
    DiaryPeriod,
    MailRecipient,
    OutboxMessage,
)
from sos_workforce.diaries import EntryInput, ParticipantInput
from sos_workforce.mail import DIARY_INVITATION, MailTemplate, send_due
from tests.support.diary_factories import AFTER, MONDAY, SUNDAY
from tests.support.factories import World
from tests.support.smtp import SmtpServer, token_in


def emailed_period(
    db: Database,
    world: World,
    people: dict[str, str],
    *,
    title: str = "Emailed diary week",
    email: MailTemplate = DIARY_INVITATION,
    today: dt.date = AFTER,
) -> diaries.LaunchedPeriod:
    """A diary period whose links go by email: ``people`` maps an address to a team."""
    participants = [
        ParticipantInput(f"SW{n:03}", world.teams[team], "Social worker", 1.0, email=address)
        for n, (address, team) in enumerate(people.items(), 1)
    ]
    return diaries.launch_period(
        db,
        world.lead,
        world.organisation_id,
        title=title,
        starts_on=MONDAY,
        ends_on=SUNDAY,
        team_ids=sorted({p.team_id for p in participants}),
        base_url="http://testserver",
        participants=participants,
        email=email,
        today=today,
    )


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


ALPHA = {f"a{n}@x.example": "Alpha" for n in range(7)}
BETA = {f"b{n}@x.example": "Beta" for n in range(3)}


def test_the_diary_invitation_arrives_and_its_link_opens_the_diary_all_period(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    launched = emailed_period(db, world, {"ann@x.example": "Alpha", "bo@x.example": "Beta"})
    assert launched.links == [] and launched.queued == 2  # nothing for the page to hold

    assert send_due(db, mail_settings, limit=10).sent == 2

    (message,) = smtp.mailbox.to("ann@x.example")
    assert message["Subject"] == "Emailed diary week: your time diary link"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "http://testserver/diary?d=" in text
    assert f"{SUNDAY:%A} {SUNDAY.day} {SUNDAY:%B %Y}" in text
    token = token_in(message)
    view = diaries.open_diary(db, token, today=AFTER)
    assert (view.title, view.team) == ("Emailed diary week", "Alpha")
    # Not spent by an entry: the same link records day after day, and the address is kept
    # (for a reminder or a resend) until the period closes.
    diaries.save_day(db, token, MONDAY, [EntryInput("travel", 30)], today=AFTER)
    tuesday = MONDAY + dt.timedelta(days=1)
    diaries.save_day(db, token, tuesday, [EntryInput("recording", 60)], today=AFTER)
    assert diaries.open_diary(db, token, today=AFTER).days[1].minutes == 60
    assert _count(db, MailRecipient) == 2
    with db.read() as session:
        rows = session.execute(select(OutboxMessage.address, OutboxMessage.body)).all()
    assert rows and all(address == "" and body is None for address, body in rows)

    diaries.close_period(db, world.lead, launched.period_id)

    assert _count(db, MailRecipient) == 0
    with pytest.raises(LinkRefused, match="has closed"):
        diaries.open_diary(db, token, today=AFTER)


def test_every_participant_needs_a_good_address_before_anything_is_stored(
    db: Database, world: World
) -> None:
    people = {"ok@x.example": "Alpha", "not an address": "Beta", "": "Alpha"}
    with pytest.raises(InvalidInput) as refused:
        emailed_period(db, world, people)
    assert any("not an email address" in p for p in refused.value.problems)
    assert any("(SW003) has no email address" in p for p in refused.value.problems)
    with pytest.raises(InvalidInput, match=r"must contain \{link\}"):
        emailed_period(db, world, {"a@x.example": "Alpha"}, email=MailTemplate("Hi", "No link"))
    assert _count(db, DiaryPeriod) == 0 and _count(db, OutboxMessage) == 0


def test_a_period_that_starts_later_sends_on_its_first_day(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    emailed_period(db, world, {"a@x.example": "Alpha"}, today=MONDAY - dt.timedelta(days=7))
    # MONDAY (2 March 2026) is in the past as these tests run, so the message is due now;
    # it was queued for the period's first day, not the launch's.
    with db.read() as session:
        due = session.scalar(select(OutboxMessage.next_attempt_at))
    assert due is not None and due.date() == MONDAY
    assert send_due(db, mail_settings, limit=10).sent == 1


def test_reminders_go_only_to_people_who_have_recorded_nothing(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    launched = emailed_period(db, world, {**ALPHA, **BETA})
    send_due(db, mail_settings, limit=50)
    first = {address: token_in(smtp.mailbox.to(address)[0]) for address in {**ALPHA, **BETA}}
    diaries.save_day(db, first["a0@x.example"], MONDAY, [EntryInput("travel", 30)], today=AFTER)
    diaries.save_day(db, first["b0@x.example"], MONDAY, [EntryInput("travel", 30)], today=AFTER)

    queued = diaries.queue_reminders(
        db,
        world.lead,
        launched.period_id,
        base_url="http://testserver",
        min_group_size=5,
        today=AFTER,
    )

    # Alpha 6 and Beta 2 have recorded nothing. Beta is under k, and Alpha would give it
    # away as the total minus Alpha, so only the total is shown.
    assert queued.total == 8
    assert {t.group: t.queued for t in queued.groups} == {"Alpha": None, "Beta": None}
    send_due(db, mail_settings, limit=50)
    reminded = {a for a in {**ALPHA, **BETA} if len(smtp.mailbox.to(a)) == 2}
    assert reminded == set(ALPHA) - {"a0@x.example"} | set(BETA) - {"b0@x.example"}
    reminder = smtp.mailbox.to("a1@x.example")[1]
    assert reminder["Subject"] == "Reminder: Emailed diary week"
    text = " ".join(reminder.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert "replaces the link in your first invitation" in text
    assert "Anything you recorded with the old link is kept" in text
    # The first link no longer works; the reminder's does. Those who had recorded keep
    # their link (and their entries).
    with pytest.raises(LinkRefused, match="not valid"):
        diaries.open_diary(db, first["a1@x.example"], today=AFTER)
    diaries.save_day(db, token_in(reminder), MONDAY, [EntryInput("travel", 45)], today=AFTER)
    assert diaries.open_diary(db, first["a0@x.example"], today=AFTER).days[0].minutes == 30
    mail = diaries.period_mail(db, world.lead, launched.period_id, min_group_size=5)
    assert mail.emailed and mail.log.invitations.sent == 10
    assert (mail.reminders.sent, mail.reminders.total) == (8, 8)
    # Nobody is named in the audit either.
    with db.read() as session:
        event = session.execute(
            select(AuditEvent.count, AuditEvent.detail, AuditEvent.target).where(
                AuditEvent.action == "reminders_queued"
            )
        ).one()
    assert tuple(event) == (None, None, f"diary:{launched.period_id}")
    # A second round reaches only the 7 still without entries; a closed period none.
    again = diaries.queue_reminders(
        db, world.lead, launched.period_id, base_url="http://t", min_group_size=5, today=AFTER
    )
    assert again.total == 7
    diaries.close_period(db, world.lead, launched.period_id)
    with pytest.raises(InvalidInput, match="only while the diary period is open"):
        diaries.queue_reminders(
            db, world.lead, launched.period_id, base_url="http://t", min_group_size=5
        )


def test_a_failed_delivery_is_listed_by_address_and_resent_to_a_corrected_one(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    smtp.mailbox.refuse["gone@x.example"] = "550 5.1.1 No such user"
    launched = emailed_period(db, world, {"ok@x.example": "Alpha", "gone@x.example": "Alpha"})
    report = send_due(db, mail_settings, limit=10)
    assert (report.sent, report.failed) == (1, 1)
    mail = diaries.period_mail(db, world.lead, launched.period_id, min_group_size=5)
    [(address, error)] = [(f.address, f.error) for f in mail.failures]
    assert address == "gone@x.example" and "550" in error
    assert (mail.log.invitations.sent, mail.log.invitations.failed) == (1, 1)

    diaries.resend_invitation(
        db,
        world.lead,
        launched.period_id,
        mail.failures[0].message_id,
        address="right@x.example",
        base_url="http://testserver",
        today=AFTER,
    )
    assert send_due(db, mail_settings, limit=10).sent == 1
    (message,) = smtp.mailbox.to("right@x.example")
    assert diaries.open_diary(db, token_in(message), today=AFTER).team == "Alpha"
    mail = diaries.period_mail(db, world.lead, launched.period_id, min_group_size=5)
    assert mail.failures == []
    assert (mail.log.invitations.sent, mail.log.invitations.failed) == (2, 1)


def test_the_links_file_needs_an_administrator_and_is_audited(db: Database, world: World) -> None:
    launched = diaries.launch_period(
        db,
        world.lead,
        world.organisation_id,
        title="Mail merge diary",
        starts_on=MONDAY,
        ends_on=SUNDAY,
        team_ids=[world.teams["Alpha"]],
        base_url="http://t",
        participants=[ParticipantInput(f"P{n}", world.teams["Alpha"], fte=1.0) for n in range(3)],
        today=AFTER,
    )
    assert launched.links == []
    with pytest.raises(InvalidInput, match="administrator can allow"):
        diaries.reissue_links(db, world.lead, launched.period_id, base_url="http://t")
    with pytest.raises(PermissionDenied):
        diaries.enable_links_file(db, world.lead, launched.period_id)

    diaries.enable_links_file(db, world.admin, launched.period_id)
    links = diaries.reissue_links(db, world.lead, launched.period_id, base_url="http://t")
    assert len(links) == 3
    # A second file replaces the first: its links stop working; entries stay.
    token = links[0].url.rsplit("d=", 1)[1]
    diaries.save_day(db, token, MONDAY, [EntryInput("travel", 30)], today=AFTER)
    again = diaries.reissue_links(db, world.lead, launched.period_id, base_url="http://t")
    with pytest.raises(LinkRefused):
        diaries.open_diary(db, token, today=AFTER)
    new = again[0].url.rsplit("d=", 1)[1]
    assert diaries.open_diary(db, new, today=AFTER).days[0].minutes == 30
    with db.read() as session:
        actions = session.execute(
            select(AuditEvent.action, AuditEvent.actor_user_id, AuditEvent.target)
            .where(AuditEvent.action.in_(["links_file_enabled", "diary_links_reissued"]))
            .order_by(AuditEvent.id)
        ).all()
    target = f"diary:{launched.period_id}"
    assert [tuple(a) for a in actions] == [
        ("links_file_enabled", world.admin.user_id, target),
        ("diary_links_reissued", world.lead.user_id, target),
        ("diary_links_reissued", world.lead.user_id, target),
    ]
    diaries.enable_links_file(db, world.admin, launched.period_id, enabled=False)
    with pytest.raises(InvalidInput, match="administrator can allow"):
        diaries.reissue_links(db, world.lead, launched.period_id, base_url="http://t")
    # Closing takes the permission back.
    diaries.enable_links_file(db, world.admin, launched.period_id)
    diaries.close_period(db, world.lead, launched.period_id)
    with db.read() as session:
        assert session.scalar(select(DiaryPeriod.links_file_enabled)) is False


def test_an_emailed_period_has_no_links_file_and_a_file_period_no_reminders(
    db: Database, world: World
) -> None:
    launched = emailed_period(db, world, {"a@x.example": "Alpha"})
    with pytest.raises(InvalidInput, match="emailed by the app"):
        diaries.enable_links_file(db, world.admin, launched.period_id)
    plain = diaries.launch_period(
        db,
        world.lead,
        world.organisation_id,
        title="Plain",
        starts_on=MONDAY,
        ends_on=SUNDAY,
        team_ids=[world.teams["Alpha"]],
        base_url="http://t",
        participants=[ParticipantInput("P1", world.teams["Alpha"], fte=1.0)],
        today=AFTER,
    )
    with pytest.raises(InvalidInput, match="not emailed"):
        diaries.queue_reminders(
            db, world.lead, plain.period_id, base_url="http://t", min_group_size=5, today=AFTER
        )


def test_erasing_a_worker_takes_their_address_and_unsent_email(db: Database, world: World) -> None:
    emailed_period(db, world, {"a@x.example": "Alpha", "b@x.example": "Alpha"})
    assert diaries.erase_diary_worker(db, world.admin, world.organisation_id, "SW001") == 1
    with db.read() as session:
        addresses = set(session.scalars(select(OutboxMessage.address)))
        kept = set(session.scalars(select(MailRecipient.address)))
    assert addresses == kept == {"b@x.example"}
