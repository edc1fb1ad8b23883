"""Accounts: password policy, argon2id hashes, lockout, settings guards."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from sos_workforce.access import auth
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, PermissionDenied, SignInFailed
from sos_workforce.core.models import AuditEvent
from sos_workforce.core.security import check_password_policy, hash_password, verify_password


@pytest.mark.real_password_cost
def test_passwords_are_argon2id_at_production_cost() -> None:
    stored = hash_password("a long unusual phrase")
    assert stored.startswith("$argon2id$") and "m=65536,t=3" in stored
    assert verify_password(stored, "a long unusual phrase")
    assert not verify_password(stored, "a long unusual phrasE")
    assert not verify_password("not a hash", "x")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8"),
        ("password1", "too common"),
        ("Qwerty123", "too common"),
        ("someone", "at least 8"),
    ],
)
def test_password_policy(password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_password_policy(password)
    with pytest.raises(InvalidInput, match="email name"):
        check_password_policy("jane.smith", email="jane.smith@x.example")


@pytest.mark.real_password_cost
def test_five_failures_pause_the_source(db: Database) -> None:
    auth.create_user(
        db,
        email="Lead@X.example",
        display_name="Lead",
        role=Role.LEAD,
        password="a long unusual phrase",
        bootstrap=True,
    )
    start = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    for _ in range(auth.MAX_FAILED_SIGN_INS):
        with pytest.raises(SignInFailed, match="not recognised"):
            auth.sign_in(db, "lead@x.example", "wrong password", now=start)
    with pytest.raises(SignInFailed, match="not recognised"):  # even with the right password
        auth.sign_in(db, "lead@x.example", "a long unusual phrase", now=start)
    later = start + auth.LOCKOUT + dt.timedelta(seconds=1)
    actor = auth.sign_in(db, " LEAD@x.example ", "a long unusual phrase", now=later)
    assert actor.role is Role.LEAD
    with pytest.raises(SignInFailed, match="not recognised"):  # same words as a bad password
        auth.sign_in(db, "nobody@x.example", "a long unusual phrase")


def test_only_admins_create_accounts(db: Database) -> None:
    lead = auth.Actor(1, "l@x.example", "L", Role.LEAD, frozenset())
    with pytest.raises(PermissionDenied):
        auth.create_user(
            db,
            actor=lead,
            email="n@x.example",
            display_name="N",
            role=Role.ADMIN,
            password="a long unusual phrase",
        )
    with pytest.raises(PermissionDenied):
        auth.require(None)
    with pytest.raises(InvalidInput, match="valid email"):
        auth.create_user(
            db,
            email="not-an-email",
            display_name="N",
            role=Role.LEAD,
            password="a long unusual phrase",
            bootstrap=True,
        )


def test_settings_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(database_url="postgresql://u@h/db").database_url == (
        "postgresql+psycopg://u@h/db"
    )
    with pytest.raises(ValueError, match="SOS_SECRET_KEY"):
        Settings(environment="production")
    with pytest.raises(ValueError):
        Settings(min_group_size=2)
    monkeypatch.setenv("SOS_MIN_GROUP_SIZE", "7")
    assert Settings().min_group_size == 7
    assert Settings(database_url="").resolved_database_url.endswith("data/sos_workforce.db")


def test_local_sign_ins_are_audited_without_passwords(db: Database) -> None:
    auth.create_user(
        db,
        email="lead@x.example",
        display_name="Lead",
        role=Role.LEAD,
        password="a long unusual phrase",
        bootstrap=True,
    )
    with pytest.raises(SignInFailed):
        auth.sign_in(db, "lead@x.example", "wrong guess 123")
    with pytest.raises(SignInFailed):
        auth.sign_in(db, "typo@x.example", "a long unusual phrase")
    actor = auth.sign_in(db, "lead@x.example", "a long unusual phrase")
    with db.read() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.actor_user_id, AuditEvent.target)
            .where(AuditEvent.action != "user_created")
            .order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.actor_user_id, e.target) for e in events] == [
        ("sign_in_failed", None, f"user:{actor.user_id}"),
        ("signed_in", actor.user_id, f"user:{actor.user_id}"),
    ]  # the unknown address is not recorded at all
    with db.read() as session:
        logged = repr(session.execute(select(AuditEvent.__table__)).all())
    assert "wrong guess" not in logged and "typo" not in logged and "unusual" not in logged
