"""Server-side sessions on both databases: the token is stored only hashed; every resolve
reads the account afresh; idle and absolute timeouts; last-seen written at most once a
minute and never by an automatic refresh; sign-out and the account changes end every
session of the account; single sign-on's one-time ticket."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from sos_workforce import access
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import PermissionDenied, SessionEnded
from sos_workforce.core.models import AuditEvent, UserAccount, UserSession, utcnow
from tests.support.database import dump
from tests.support.factories import World

NEW_PASSWORD = "a quiet harbour at dusk"


def _row(db: Database, token: str) -> UserSession:
    digest = hashlib.sha256(token.encode()).hexdigest()
    with db.read() as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == digest))
        assert row is not None
        session.expunge(row)
        return row


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _audited(db: Database, action: str) -> list[tuple[str | None, str | None]]:
    with db.read() as session:
        return [
            (event.target, event.detail)
            for event in session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def test_a_session_is_stored_only_as_a_hash_and_resolves_to_the_account_as_it_is_now(
    db: Database, world: World
) -> None:
    token = access.start_session(db, world.lead)
    assert len(token) >= 40
    dumped = repr(dump(db))
    assert token not in dumped
    assert hashlib.sha256(token.encode()).hexdigest() in dumped
    actor = access.resolve_session(db, token)
    assert actor == world.lead
    # A change made behind the session's back (not through the account services) is seen
    # at the next resolve: the role is read afresh every time.
    with db.write() as session:
        session.get_one(UserAccount, world.lead.user_id).role = Role.EXECUTIVE
    assert access.resolve_session(db, token).role is Role.EXECUTIVE
    with pytest.raises(SessionEnded, match="Please sign in"):
        access.resolve_session(db, token + "x")
    with pytest.raises(SessionEnded, match="Please sign in"):
        access.resolve_session(db, None)


def test_the_idle_timeout_ends_a_session_and_an_auto_refresh_is_not_activity(
    db: Database, world: World
) -> None:
    start = utcnow()
    token = access.start_session(db, world.executive, now=start)
    # Within the minute, resolving writes nothing (reruns do not write each time).
    before = dump(db)
    access.resolve_session(db, token, now=start + dt.timedelta(seconds=30))
    assert dump(db) == before
    # An automatic refresh an hour on does not move last-seen…
    access.resolve_session(db, token, activity=False, now=start + dt.timedelta(minutes=59))
    assert _aware(_row(db, token).last_seen_at) == start
    # …so the next run after 60 minutes without interaction ends the session.
    with pytest.raises(SessionEnded, match="period of inactivity"):
        access.resolve_session(db, token, activity=False, now=start + dt.timedelta(minutes=61))
    row = _row(db, token)
    assert row.end_reason == "idle" and row.ended_at is not None
    with pytest.raises(SessionEnded, match="period of inactivity"):
        access.resolve_session(db, token, now=start + dt.timedelta(minutes=62))
    assert _audited(db, "session_ended") == [(f"user:{world.executive.user_id}", "idle")]


def test_interaction_keeps_a_session_alive_until_the_absolute_timeout(
    db: Database, world: World
) -> None:
    start = utcnow()
    token = access.start_session(db, world.lead, now=start)
    moment = start
    for _ in range(12):  # every 50 minutes: never idle for an hour
        moment += dt.timedelta(minutes=50)
        access.resolve_session(db, token, now=moment)
    assert _aware(_row(db, token).last_seen_at) == moment
    with pytest.raises(SessionEnded, match="at most 12 hours"):
        access.resolve_session(db, token, now=start + dt.timedelta(hours=12, minutes=1))
    assert _row(db, token).end_reason == "expired"


def test_signing_out_ends_every_session_of_the_account_and_no_one_elses(
    db: Database, world: World
) -> None:
    first = access.start_session(db, world.lead)
    second = access.start_session(db, world.lead)
    other = access.start_session(db, world.executive)
    access.sign_out(db, first)
    for token in (first, second):
        with pytest.raises(SessionEnded, match="You are signed out"):
            access.resolve_session(db, token)
    assert access.resolve_session(db, other) == world.executive
    assert _audited(db, "signed_out") == [(f"user:{world.lead.user_id}", None)]
    before = dump(db)
    access.sign_out(db, first)  # already ended, or unknown: nothing changes
    access.sign_out(db, "unknown")
    access.sign_out(db, None)
    assert dump(db) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("deactivate", "not active"),
        ("role", "changed by an administrator"),
        ("memberships", "changed by an administrator"),
        ("password", "changed by an administrator"),
    ],
)
def test_an_administrators_change_to_an_account_ends_its_sessions(
    db: Database, world: World, change: str, message: str
) -> None:
    token = access.start_session(db, world.lead)
    bystander = access.start_session(db, world.executive)
    user_id = world.lead.user_id
    if change == "deactivate":
        access.set_account_active(db, world.admin, user_id, active=False)
    elif change == "role":
        access.change_role(db, world.admin, user_id, Role.EXECUTIVE)
    elif change == "memberships":
        access.set_memberships(db, world.admin, user_id, [])
    else:
        access.reset_password(db, world.admin, user_id, NEW_PASSWORD)
    with pytest.raises(SessionEnded, match=message):
        access.resolve_session(db, token)
    assert access.resolve_session(db, bystander) == world.executive


def test_a_deactivated_account_is_refused_even_if_its_session_was_not_ended(
    db: Database, world: World
) -> None:
    token = access.start_session(db, world.lead)
    with db.write() as session:  # as a database administrator might, behind the app
        session.get_one(UserAccount, world.lead.user_id).is_active = False
    with pytest.raises(SessionEnded, match="not active"):
        access.resolve_session(db, token)
    assert _row(db, token).end_reason == "inactive"


def test_a_single_sign_on_ticket_works_once_within_a_minute(db: Database, world: World) -> None:
    start = utcnow()
    started = access.start_sso_session(db, world.lead, now=start)
    assert access.resolve_session(db, started.token, now=start) == world.lead
    token = access.redeem_ticket(db, started.ticket, now=start + dt.timedelta(seconds=30))
    assert token != started.token
    assert access.resolve_session(db, token, now=start + dt.timedelta(seconds=31)) == world.lead
    with pytest.raises(SessionEnded):  # the token it replaced is gone
        access.resolve_session(db, started.token, now=start + dt.timedelta(seconds=31))
    with pytest.raises(SessionEnded, match="expired"):  # once only
        access.redeem_ticket(db, started.ticket, now=start + dt.timedelta(seconds=32))
    late = access.start_sso_session(db, world.lead, now=start)
    with pytest.raises(SessionEnded, match="expired"):
        access.redeem_ticket(db, late.ticket, now=start + dt.timedelta(seconds=61))
    with pytest.raises(SessionEnded, match="expired"):
        access.redeem_ticket(db, "forged", now=start)


def test_a_single_sign_on_session_ends_with_the_providers_identity(
    db: Database, world: World
) -> None:
    start = utcnow()
    started = access.start_sso_session(
        db, world.executive, identity_expires_at=start + dt.timedelta(minutes=5), now=start
    )
    access.resolve_session(db, started.token, now=start + dt.timedelta(minutes=4))
    with pytest.raises(SessionEnded, match="Your session has ended"):
        access.resolve_session(db, started.token, now=start + dt.timedelta(minutes=5))


def test_starting_a_session_needs_an_actor_and_clears_long_ended_rows(
    db: Database, world: World
) -> None:
    with pytest.raises(PermissionDenied):
        access.start_session(db, None)  # type: ignore[arg-type]
    long_ago = utcnow() - dt.timedelta(days=40)
    old = access.start_session(db, world.lead, now=long_ago)
    access.sign_out(db, old, now=long_ago)
    access.start_session(db, world.lead)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_the_sign_out_form_token_is_bound_to_its_session(db: Database, world: World) -> None:
    first = access.start_session(db, world.lead)
    second = access.start_session(db, world.lead)
    assert access.sign_out_token(first) != access.sign_out_token(second)
    assert access.sign_out_token(first) == access.sign_out_token(first)
    assert first not in access.sign_out_token(first)
