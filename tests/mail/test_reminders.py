"""Reminders chosen by the app (only unspent invitations, a new link each, counts under
the gate), addresses forgotten on spend and close, a draft's invitations held until it
opens, and the links file as an administrator's audited fallback."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, LinkRefused, PermissionDenied
from sos_workforce.core.models import AuditEvent, MailRecipient, OutboxMessage
from sos_workforce.mail import send_due
from tests.support.factories import World, emailed_wave, launch, token_of
from tests.support.smtp import SmtpServer, token_in

ALPHA = {f"a{n}@x.example": "Alpha" for n in range(7)}
BETA = {f"b{n}@x.example": "Beta" for n in range(3)}


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_reminders_go_only_to_unspent_links_and_replace_them(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    launched = emailed_wave(db, world, {**ALPHA, **BETA})
    send_due(db, mail_settings, limit=50)
    first = {address: token_in(smtp.mailbox.to(address)[0]) for address in {**ALPHA, **BETA}}
    surveys.submit_response(db, first["a0@x.example"], {"understanding": 6})
    surveys.submit_response(db, first["b0@x.example"], {"understanding": 6})
    # A started draft under a link that the reminder will replace.
    surveys.save_draft(db, first["a1@x.example"], {"understanding": 3})

    queued = surveys.queue_reminders(
        db, world.lead, launched.wave_id, base_url="http://testserver", min_group_size=5
    )

    # Alpha 6 and Beta 2 are waiting. Beta is under k, and Alpha would give it away as the
    # total minus Alpha, so only the total is shown (the gate of response rates).
    assert queued.total == 8
    assert {t.group: t.queued for t in queued.groups} == {"Alpha": None, "Beta": None}
    assert queued.label(queued.groups[1].queued) == "fewer than 5"
    send_due(db, mail_settings, limit=50)
    reminded = {a for a in {**ALPHA, **BETA} if len(smtp.mailbox.to(a)) == 2}
    assert reminded == set(ALPHA) - {"a0@x.example"} | set(BETA) - {"b0@x.example"}
    reminder = smtp.mailbox.to("a1@x.example")[1]
    assert reminder["Subject"] == "Reminder: Emailed wave"
    text = reminder.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "replaces the link in your first invitation" in " ".join(text.split())
    # The first link no longer works (its draft is gone with it); the reminder's does.
    with pytest.raises(LinkRefused, match="not valid"):
        surveys.open_survey(db, first["a1@x.example"])
    assert surveys.open_survey(db, token_in(reminder)).draft == {}
    surveys.submit_response(db, token_in(reminder), {"understanding": 4})
    mail = surveys.wave_mail(db, world.lead, launched.wave_id, min_group_size=5)
    assert mail.log.invitations.sent == 10
    assert (mail.reminders.sent, mail.reminders.total) == (8, 8)  # gated: 0 waiting, 0 failed
    # Nobody is named anywhere the lead looks, and the audit says only that it happened.
    with db.read() as session:
        event = session.execute(
            select(AuditEvent.count, AuditEvent.detail).where(
                AuditEvent.action == "reminders_queued"
            )
        ).one()
    assert tuple(event) == (None, None)


def test_addresses_go_when_a_link_is_spent_and_when_the_wave_closes(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    launched = emailed_wave(db, world, {**ALPHA, **BETA})
    send_due(db, mail_settings, limit=3)  # seven are still waiting in the outbox
    assert _count(db, MailRecipient) == 10
    token = token_in(smtp.mailbox.messages[0])
    surveys.submit_response(db, token, {"understanding": 6})
    assert _count(db, MailRecipient) == 9

    surveys.close_wave(db, world.lead, launched.wave_id)

    assert _count(db, MailRecipient) == 0
    with db.read() as session:
        left = session.execute(select(OutboxMessage.status, OutboxMessage.address)).all()
    assert all(address == "" for _, address in left) and len(left) == 3  # the sent ones
    with pytest.raises(InvalidInput, match="only while the wave is open"):
        surveys.queue_reminders(
            db, world.lead, launched.wave_id, base_url="http://testserver", min_group_size=5
        )


def test_a_drafts_invitations_wait_until_it_opens(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    launched = emailed_wave(db, world, {"a@x.example": "Alpha"}, draft=True)
    assert send_due(db, mail_settings, limit=10).handled == 0
    surveys.open_wave(db, world.lead, launched.wave_id)
    assert send_due(db, mail_settings, limit=10).sent == 1


def test_discarding_a_draft_discards_its_queued_invitations(
    db: Database, world: World, mail_settings: Settings
) -> None:
    launched = emailed_wave(db, world, {"a@x.example": "Alpha"}, draft=True)
    surveys.discard_draft_wave(db, world.lead, launched.wave_id)
    assert _count(db, OutboxMessage) == 0 and _count(db, MailRecipient) == 0


def test_reminders_need_an_emailed_wave(db: Database, world: World) -> None:
    launched = launch(db, world)
    with pytest.raises(InvalidInput, match="not emailed"):
        surveys.queue_reminders(
            db, world.lead, launched.wave_id, base_url="http://testserver", min_group_size=5
        )


def test_the_links_file_needs_an_administrator_and_is_audited(db: Database, world: World) -> None:
    launched = surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=world.instrument_version_id,
        title="Mail merge wave",
        opens_on=dt.date.today(),
        closes_on=dt.date.today() + dt.timedelta(days=7),
        headcounts={world.teams["Alpha"]: 3},
        base_url="http://testserver",
    )
    assert launched.links == []
    with pytest.raises(InvalidInput, match="administrator can allow"):
        surveys.issue_links_file(db, world.lead, launched.wave_id, base_url="http://testserver")
    with pytest.raises(PermissionDenied):
        surveys.enable_links_file(db, world.lead, launched.wave_id)

    surveys.enable_links_file(db, world.admin, launched.wave_id)
    links = surveys.issue_links_file(db, world.lead, launched.wave_id, base_url="http://t")
    assert len(links) == 3
    # A second file replaces the first: its links stop working.
    again = surveys.issue_links_file(db, world.lead, launched.wave_id, base_url="http://t")
    with pytest.raises(LinkRefused):
        surveys.submit_response(db, token_of(links[0]), {"understanding": 5})
    surveys.submit_response(db, token_of(again[0]), {"understanding": 5})
    assert len(surveys.issue_links_file(db, world.lead, launched.wave_id, base_url="x")) == 2
    with db.read() as session:
        actions = session.execute(
            select(AuditEvent.action, AuditEvent.actor_user_id, AuditEvent.count)
            .where(AuditEvent.action.in_(["links_file_enabled", "survey_links_issued"]))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(a) for a in actions] == [
        ("links_file_enabled", world.admin.user_id, None),
        ("survey_links_issued", world.lead.user_id, 3),
        ("survey_links_issued", world.lead.user_id, 3),
        ("survey_links_issued", world.lead.user_id, 2),
    ]
    surveys.enable_links_file(db, world.admin, launched.wave_id, enabled=False)
    with pytest.raises(InvalidInput, match="administrator can allow"):
        surveys.issue_links_file(db, world.lead, launched.wave_id, base_url="x")


def test_an_emailed_wave_has_no_links_file(db: Database, world: World) -> None:
    launched = emailed_wave(db, world, {"a@x.example": "Alpha"})
    with pytest.raises(InvalidInput, match="emailed by the app"):
        surveys.enable_links_file(db, world.admin, launched.wave_id)
