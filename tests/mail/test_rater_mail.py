"""Raters' links emailed by the app, like survey and diary links: nobody holds them; the
lead sees counts (reminders by role under the gate), corrects failed addresses, reminds
only raters who have not scored, and the addresses go when a link is spent or the round
closes. The links file stays an administrator's fallback for rounds that are not emailed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from sos_workforce import profiling
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import MailStatus, RaterRole
from sos_workforce.core.errors import InvalidInput, LinkRefused, NotFound, PermissionDenied
from sos_workforce.core.models import MailRecipient, OutboxMessage, RaterLink
from sos_workforce.mail import send_due
from tests.support.factories import World
from tests.support.smtp import SmtpServer, token_in

TODAY = dt.date.today()
LEADERS = [f"leader{n}@x.example" for n in range(6)]
MANAGERS = [f"manager{n}@x.example" for n in range(2)]


def _emailed_round(db: Database, world: World, **emails: list[str]) -> int:
    version = profiling.rounds.list_profile_versions(db, world.lead)[0].id
    opened = profiling.open_round(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=version,
        title="Spring self-profile",
        held_on=TODAY + dt.timedelta(days=7),
        emails={RaterRole(role): addresses for role, addresses in emails.items()},
        base_url="http://testserver",
    )
    assert opened.emailed
    return opened.round_id


def _kept(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(MailRecipient)) or 0)


def _score(db: Database, token: str) -> None:
    form = profiling.open_rating_form(db, token)
    profiling.submit_scores(db, token, {form.definition.items[0].code: 6})


def test_each_rater_gets_their_own_link_by_email_and_it_works_once(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    round_id = _emailed_round(db, world, leader=LEADERS, team_manager=MANAGERS)
    assert profiling.list_rounds(db, world.lead, world.organisation_id)[0].emailed

    report = send_due(db, mail_settings, limit=50)

    assert report.sent == 8
    message = smtp.mailbox.to("leader0@x.example")[0]
    assert message["Subject"] == "Spring self-profile: your link to score the self-profile"
    token = token_in(message)
    assert profiling.open_rating_form(db, token).role is RaterRole.LEADER
    assert profiling.open_rating_form(db, token_in(smtp.mailbox.to(MANAGERS[0])[0])).role is (
        RaterRole.TEAM_MANAGER
    )
    _score(db, token)
    with pytest.raises(LinkRefused, match="already been used"):
        _score(db, token)
    # The spent link's address is gone; the other seven are kept for reminders.
    assert _kept(db) == 7
    # Nothing the lead can get holds a link: the file is refused for an emailed round.
    with pytest.raises(InvalidInput, match="emailed"):
        profiling.enable_rater_links_file(db, world.admin, round_id)
    with pytest.raises(InvalidInput, match="not given out as a file"):
        profiling.issue_rater_links(db, world.lead, round_id, base_url="http://testserver")
    mail = profiling.round_mail(db, world.lead, round_id, min_group_size=5)
    assert (mail.emailed, mail.log.invitations.sent, mail.failures) == (True, 8, [])


def test_bad_addresses_open_nothing(db: Database, world: World) -> None:
    version = profiling.rounds.list_profile_versions(db, world.lead)[0].id
    with pytest.raises(InvalidInput, match="2 problem") as caught:
        profiling.open_round(
            db,
            world.lead,
            organisation_id=world.organisation_id,
            instrument_version_id=version,
            title="Broken",
            held_on=TODAY,
            emails={
                RaterRole.LEADER: ["ok@x.example", "not an address", ""],
                RaterRole.TEAM_MANAGER: ["OK@x.example"],
            },
            base_url="http://testserver",
        )
    assert "not an address" in caught.value.problems[0]
    assert "listed twice" in caught.value.problems[1]
    assert profiling.list_rounds(db, world.lead, world.organisation_id) == []
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_reminders_go_only_to_raters_who_have_not_scored_counted_by_role_under_the_gate(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    round_id = _emailed_round(db, world, leader=LEADERS, team_manager=MANAGERS)
    send_due(db, mail_settings, limit=50)
    first = {a: token_in(smtp.mailbox.to(a)[0]) for a in LEADERS + MANAGERS}
    _score(db, first[LEADERS[0]])

    queued = profiling.queue_rater_reminders(
        db, world.lead, round_id, base_url="http://testserver", min_group_size=5
    )

    # Leaders 5 and team managers 2 waiting: the managers are under k, and the leaders'
    # count would give them away as the total minus the leaders, so only the total shows.
    assert queued.total == 7
    shown = {g.group: g.queued for g in queued.groups}
    assert shown["Team managers"] is None
    assert shown["Leaders"] is None
    assert (shown["Practice leads"], shown["Front-line representatives"]) == (0, 0)
    send_due(db, mail_settings, limit=50)
    reminded = {a for a in LEADERS + MANAGERS if len(smtp.mailbox.to(a)) == 2}
    assert reminded == set(LEADERS[1:] + MANAGERS)
    reminder = smtp.mailbox.to(LEADERS[1])[1]
    assert reminder["Subject"] == "Reminder: Spring self-profile"
    with pytest.raises(LinkRefused, match="not valid"):
        profiling.open_rating_form(db, first[LEADERS[1]])
    _score(db, token_in(reminder))
    mail = profiling.round_mail(db, world.lead, round_id, min_group_size=5)
    assert (mail.reminders.sent, mail.reminders.total) == (7, 7)


def test_a_failed_invitation_is_listed_by_address_and_resent_to_a_corrected_one(
    db: Database, world: World, mail_settings: Settings, smtp: SmtpServer
) -> None:
    round_id = _emailed_round(db, world, leader=LEADERS[:1], practice_lead=["typo@x.example"])
    with db.write() as session:  # the server refused the practice lead's address
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.address == "typo@x.example")
            .values(status=MailStatus.FAILED, last_error="550 no such user")
        )
    (failure,) = profiling.round_mail(db, world.lead, round_id, min_group_size=5).failures
    assert (failure.address, failure.error) == ("typo@x.example", "550 no such user")
    with pytest.raises(InvalidInput, match="not an email address"):
        profiling.resend_rater_invitation(
            db, world.lead, round_id, failure.message_id, address="nope", base_url="http://t"
        )
    with pytest.raises(NotFound):
        profiling.resend_rater_invitation(
            db, world.lead, round_id, failure.message_id + 99, address="a@x.example", base_url="x"
        )

    profiling.resend_rater_invitation(
        db,
        world.lead,
        round_id,
        failure.message_id,
        address="fixed@x.example",
        base_url="http://testserver",
    )
    send_due(db, mail_settings, limit=50)

    token = token_in(smtp.mailbox.to("fixed@x.example")[0])
    assert profiling.open_rating_form(db, token).role is RaterRole.PRACTICE_LEAD
    mail = profiling.round_mail(db, world.lead, round_id, min_group_size=5)
    assert (mail.failures, mail.log.invitations.failed) == ([], 1)


def test_closing_the_round_forgets_its_addresses_and_drops_unsent_mail(
    db: Database, world: World
) -> None:
    round_id = _emailed_round(db, world, leader=LEADERS)
    assert _kept(db) == 6
    definition = profiling.rounds.profile_definition(
        db, world.lead, profiling.rounds.list_profile_versions(db, world.lead)[0].id
    )
    profiling.record_agreed_scores(
        db,
        world.lead,
        round_id,
        {item.code: profiling.AgreedInput(5, "Evidence.") for item in definition.items},
    )

    profiling.close_round(db, world.lead, round_id)

    assert _kept(db) == 0
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(RaterLink)) == 6


def test_only_the_rounds_lead_sees_or_reminds(
    db: Database, world: World, mail_settings: Settings
) -> None:
    round_id = _emailed_round(db, world, leader=LEADERS)
    for actor in (world.executive,):
        with pytest.raises(PermissionDenied):
            profiling.round_mail(db, actor, round_id, min_group_size=5)
        with pytest.raises(PermissionDenied):
            profiling.queue_rater_reminders(
                db, actor, round_id, base_url="http://t", min_group_size=5
            )
