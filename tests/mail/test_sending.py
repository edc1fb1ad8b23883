"""Invitations sent by the app through a real SMTP server (STARTTLS, AUTH): the message
arrives, its link works exactly once; retries, failures listed by address, exactly-once
claiming by concurrent senders, the rate, and nothing personal left once sent."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import MailStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.core.models import MailRecipient, OutboxMessage, Wave, utcnow
from sos_workforce.mail import (
    SURVEY_INVITATION,
    MailNotConfigured,
    MailTemplate,
    send_due,
    send_now,
)
from tests.support.factories import World, emailed_wave
from tests.support.smtp import SmtpServer, token_in

TODAY = dt.date.today()


def _outbox(db: Database) -> list[OutboxMessage]:
    with db.read() as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()  # read() rolls back, which would expire them
        return rows


def test_the_invitation_arrives_and_its_link_works_exactly_once(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    launched = emailed_wave(db, world, {"ann@testshire.example": "Alpha", "bo@x.example": "Beta"})
    assert launched.links == [] and launched.queued == 2  # nothing for the page to hold

    report = send_due(db, mail_settings, limit=10)

    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    assert sorted(smtp.mailbox.recipients) == ["ann@testshire.example", "bo@x.example"]
    assert smtp.mailbox.logins  # authenticated, after STARTTLS (the server requires both)
    (message,) = smtp.mailbox.to("ann@testshire.example")
    assert message["Subject"] == "Emailed wave: your invitation to the staff survey"
    assert "surveys@testshire.example" in message["From"]
    token = token_in(message)
    surveys.submit_response(db, token, {"understanding": 7})
    with pytest.raises(LinkRefused, match="already been used"):
        surveys.submit_response(db, token, {"understanding": 2})
    # Sent: no link and no address is left in the outbox; the spent link's address is gone.
    rows = _outbox(db)
    assert {row.status for row in rows} == {MailStatus.SENT}
    assert all(row.body is None and row.address == "" for row in rows)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(MailRecipient)) == 1
    assert send_due(db, mail_settings, limit=10).handled == 0  # nothing sent twice


def test_the_lead_edits_the_template_and_a_bad_one_is_refused(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    with pytest.raises(InvalidInput, match=r"must contain \{link\}"):
        emailed_wave(db, world, {"a@x.example": "Alpha"}, email=MailTemplate("Hi", "No link"))
    template = MailTemplate("Survey {title} {x}", "Go: {link}")
    with pytest.raises(InvalidInput, match=r"Unknown placeholder"):
        emailed_wave(db, world, {"a@x.example": "Alpha"}, email=template)
    emailed_wave(
        db,
        world,
        {"a@x.example": "Alpha"},
        email=MailTemplate("Please answer {title}", "Dear colleague,\n{link}\nBy {closes_on}"),
        title="Spring",
    )
    send_due(db, mail_settings, limit=10)
    (message,) = smtp.mailbox.to("a@x.example")
    assert message["Subject"] == "Please answer Spring"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert text.startswith("Dear colleague,\nhttp://testserver/survey?t=")
    closes = TODAY + dt.timedelta(days=14)
    assert f"By {closes:%A} {closes.day} {closes:%B %Y}" in text  # "Monday 7 December 2026"


def test_every_person_needs_a_good_address_before_anything_is_stored(
    db: Database, world: World
) -> None:
    people = {"ok@x.example": "Alpha", "not an address": "Beta", "": "Alpha"}
    with pytest.raises(InvalidInput) as refused:
        emailed_wave(db, world, people)
    assert any("not an email address" in p for p in refused.value.problems)
    assert any("has no email address" in p for p in refused.value.problems)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Wave)) == 0
    assert _outbox(db) == []
    with pytest.raises(InvalidInput, match="roster"):
        surveys.launch_wave(
            db,
            world.lead,
            organisation_id=world.organisation_id,
            instrument_version_id=world.instrument_version_id,
            title="Headcount",
            opens_on=TODAY,
            closes_on=TODAY,
            headcounts={world.teams["Alpha"]: 5},
            base_url="http://testserver",
            email=SURVEY_INVITATION,
        )


def test_a_temporary_refusal_is_retried_then_failed_after_the_maximum_attempts(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    smtp.mailbox.refuse["busy@x.example"] = "450 4.2.1 Mailbox busy, try later"
    launched = emailed_wave(db, world, {"ok@x.example": "Alpha", "busy@x.example": "Alpha"})
    now = utcnow()
    first = send_due(db, mail_settings, limit=10, now=now)
    assert (first.sent, first.retrying, first.failed) == (1, 1, 0)
    # Not due again until its back-off has passed.
    assert send_due(db, mail_settings, limit=10, now=now).handled == 0
    second = send_due(db, mail_settings, limit=10, now=now + dt.timedelta(minutes=1, seconds=1))
    assert (second.retrying, second.failed) == (1, 0)
    third = send_due(db, mail_settings, limit=10, now=now + dt.timedelta(minutes=4))
    assert (third.retrying, third.failed) == (0, 1)  # SOS_MAIL_MAX_ATTEMPTS = 3
    assert smtp.mailbox.rcpt_attempts["busy@x.example"] == 3

    mail = surveys.wave_mail(db, world.lead, launched.wave_id, min_group_size=5)
    assert [(f.address, "450" in f.error) for f in mail.failures] == [("busy@x.example", True)]
    assert (mail.log.invitations.sent, mail.log.invitations.failed) == (1, 1)

    # The lead corrects it: a new link goes to the new address; the failure keeps no address.
    surveys.resend_invitation(
        db,
        world.lead,
        launched.wave_id,
        mail.failures[0].message_id,
        address="right@x.example",
        base_url="http://testserver",
    )
    send_due(db, mail_settings, limit=10, now=now + dt.timedelta(minutes=5))
    (message,) = smtp.mailbox.to("right@x.example")
    surveys.submit_response(db, token_in(message), {"understanding": 5})
    mail = surveys.wave_mail(db, world.lead, launched.wave_id, min_group_size=5)
    assert mail.failures == []
    assert (mail.log.invitations.sent, mail.log.invitations.failed) == (2, 1)


def test_a_permanent_refusal_fails_at_once(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    smtp.mailbox.refuse["gone@x.example"] = "550 5.1.1 No such user"
    launched = emailed_wave(db, world, {"gone@x.example": "Alpha"})
    assert send_due(db, mail_settings, limit=10).failed == 1
    (failure,) = surveys.wave_mail(db, world.lead, launched.wave_id, min_group_size=5).failures
    assert failure.address == "gone@x.example" and "550" in failure.error


def test_the_certificate_and_the_password_are_checked(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    emailed_wave(db, world, {"a@x.example": "Alpha"})
    untrusted = mail_settings.model_copy(update={"smtp_ca_file": None})
    assert send_due(db, untrusted, limit=10).retrying == 1  # the test CA is not trusted
    wrong = mail_settings.model_copy(update={"smtp_password": mail_settings.smtp_password})
    object.__setattr__(wrong, "smtp_username", "someone-else")
    later = utcnow() + dt.timedelta(minutes=2)
    assert send_due(db, wrong, limit=10, now=later).retrying == 1
    assert smtp.mailbox.messages == []
    (row,) = _outbox(db)
    assert row.status is MailStatus.QUEUED and "535" in (row.last_error or "")
    assert send_due(db, mail_settings, limit=10, now=later + dt.timedelta(minutes=5)).sent == 1


def test_mail_must_be_configured(db: Database, world: World, settings: Settings) -> None:
    emailed_wave(db, world, {"a@x.example": "Alpha"})
    with pytest.raises(MailNotConfigured, match="SOS_SMTP_HOST"):
        send_now(db, world.lead, settings, world.organisation_id)


def test_two_senders_send_each_message_exactly_once(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    people = {f"p{n}@x.example": "Alpha" if n % 2 else "Beta" for n in range(40)}
    emailed_wave(db, world, people)
    reports = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            while (report := send_due(db, mail_settings, limit=3)).handled:
                reports.append(report)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sorted(smtp.mailbox.recipients) == sorted(people)  # each once, none twice
    assert sum(r.sent for r in reports) == 40
    assert {row.status for row in _outbox(db)} == {MailStatus.SENT}


def test_a_message_left_sending_by_a_dead_sender_is_sent_later(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    emailed_wave(db, world, {"a@x.example": "Alpha"})
    claimed_at = utcnow() - dt.timedelta(minutes=3)
    with db.write() as session:
        session.execute(
            update(OutboxMessage).values(
                status=MailStatus.SENDING, claimed_at=claimed_at, attempts=1
            )
        )
    assert send_due(db, mail_settings, limit=10).handled == 0  # perhaps still in flight
    later = claimed_at + dt.timedelta(minutes=11)
    assert send_due(db, mail_settings, limit=10, now=later).sent == 1
    assert len(smtp.mailbox.messages) == 1


def test_the_rate_per_minute_is_kept(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    emailed_wave(db, world, {f"r{n}@x.example": "Alpha" for n in range(5)})
    slow = mail_settings.model_copy(update={"mail_rate_per_minute": 3})
    pauses: list[float] = []
    now = utcnow()
    assert send_due(db, slow, limit=10, now=now, sleep=pauses.append).sent == 3
    assert len(pauses) == 2 and all(0 < pause <= 20 for pause in pauses)  # 20 s apart
    assert send_due(db, slow, limit=10, now=now, sleep=pauses.append).handled == 0
    later = now + dt.timedelta(seconds=61)
    assert send_due(db, slow, limit=10, now=later, sleep=pauses.append).sent == 2
