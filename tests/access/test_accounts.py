"""Account administration on both databases: deactivate and reactivate, roles, memberships,
password resets and one's own password; all audited (never a password), all refused to
anyone but an administrator, and the last active administrator always kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sos_workforce import access
from sos_workforce.access import auth
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound, PermissionDenied, SignInFailed
from sos_workforce.core.models import AuditEvent, UserAccount
from tests.support.database import dump
from tests.support.factories import PASSWORD, World

NEW_PASSWORD = "a quiet harbour at dusk"


def _events(db: Database) -> list[tuple[str, str | None, str | None]]:
    with db.read() as session:
        return [
            (e.action, e.target, e.detail)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_a_deactivated_account_cannot_sign_in_until_it_is_reactivated(
    db: Database, world: World
) -> None:
    access.set_account_active(db, world.admin, world.lead.user_id, active=False)

    with pytest.raises(SignInFailed):
        auth.sign_in(db, world.lead.email, PASSWORD)
    assert not next(
        u for u in access.list_users(db, world.admin) if u.email == world.lead.email
    ).is_active
    access.set_account_active(db, world.admin, world.lead.user_id, active=True)
    assert auth.sign_in(db, world.lead.email, PASSWORD).user_id == world.lead.user_id
    actions = [(a, t) for a, t, _ in _events(db) if a.startswith("account_")]
    assert actions == [
        ("account_deactivated", f"user:{world.lead.user_id}"),
        ("account_reactivated", f"user:{world.lead.user_id}"),
    ]


def test_the_last_active_administrator_is_always_kept(db: Database, world: World) -> None:
    before = dump(db)
    with pytest.raises(InvalidInput, match="last active administrator"):
        access.set_account_active(db, world.admin, world.admin.user_id, active=False)
    with pytest.raises(InvalidInput, match="last active administrator"):
        access.change_role(db, world.admin, world.admin.user_id, Role.LEAD)
    assert dump(db) == before
    # With a second administrator, the first may step down.
    access.change_role(db, world.admin, world.executive.user_id, Role.ADMIN)
    access.change_role(db, world.admin, world.admin.user_id, Role.LEAD)
    with pytest.raises(InvalidInput, match="last active administrator"):
        access.set_account_active(db, world.admin, world.executive.user_id, active=False)
    with db.read() as session:
        roles = dict(session.execute(select(UserAccount.email, UserAccount.role)).all())
    assert roles[world.admin.email] is Role.LEAD
    assert roles[world.executive.email] is Role.ADMIN


def test_roles_and_memberships_change_and_are_audited(db: Database, world: World) -> None:
    other = access.create_organisation(db, None, "Otherby Council", "otherby", bootstrap=True)
    access.change_role(db, world.admin, world.lead.user_id, Role.EXECUTIVE)
    access.set_memberships(db, world.admin, world.lead.user_id, [other])

    assert access.memberships_of(db, world.admin, world.lead.user_id) == [other]
    executive = auth.sign_in(db, world.lead.email, PASSWORD)
    assert (executive.role, executive.organisation_ids) == (Role.EXECUTIVE, frozenset({other}))
    events = _events(db)
    assert ("role_changed", f"user:{world.lead.user_id}", "lead -> executive") in events
    assert (
        "memberships_changed",
        f"user:{world.lead.user_id}",
        f"added [{other}], removed [{world.organisation_id}]",
    ) in events
    before = dump(db)
    with pytest.raises(InvalidInput, match="does not exist"):
        access.set_memberships(db, world.admin, world.lead.user_id, [other, 999_999])
    with pytest.raises(NotFound):
        access.change_role(db, world.admin, 999_999, Role.LEAD)
    assert dump(db) == before


def test_a_password_reset_unlocks_and_a_weak_one_changes_nothing(
    db: Database, world: World
) -> None:
    for _ in range(auth.MAX_FAILED_SIGN_INS):
        with pytest.raises(SignInFailed):
            auth.sign_in(db, world.lead.email, "not the password")
    before = dump(db)
    with pytest.raises(InvalidInput, match="at least|too common"):
        access.reset_password(db, world.admin, world.lead.user_id, "password")
    assert dump(db) == before

    access.reset_password(db, world.admin, world.lead.user_id, NEW_PASSWORD)

    assert auth.sign_in(db, world.lead.email, NEW_PASSWORD).user_id == world.lead.user_id
    with pytest.raises(SignInFailed):
        auth.sign_in(db, world.lead.email, PASSWORD)
    assert all(NEW_PASSWORD not in str(event) for event in _events(db))


def test_people_change_their_own_password_knowing_the_current_one(
    db: Database, world: World
) -> None:
    with pytest.raises(InvalidInput, match="current password is not right"):
        access.change_own_password(db, world.executive, "a wrong guess", NEW_PASSWORD)
    with pytest.raises(InvalidInput, match="different"):
        access.change_own_password(db, world.executive, PASSWORD, PASSWORD)

    access.change_own_password(db, world.executive, PASSWORD, NEW_PASSWORD)

    assert auth.sign_in(db, world.executive.email, NEW_PASSWORD).role is Role.EXECUTIVE
    assert ("password_changed", f"user:{world.executive.user_id}", None) in _events(db)
    assert all(NEW_PASSWORD not in str(event) for event in _events(db))


def test_only_an_administrator_administers_accounts(db: Database, world: World) -> None:
    before = dump(db)
    for actor in (world.lead, world.executive, None):
        with pytest.raises(PermissionDenied):
            access.set_account_active(db, actor, world.admin.user_id, active=False)
        with pytest.raises(PermissionDenied):
            access.change_role(db, actor, world.lead.user_id, Role.ADMIN)
        with pytest.raises(PermissionDenied):
            access.set_memberships(db, actor, world.lead.user_id, [])
        with pytest.raises(PermissionDenied):
            access.reset_password(db, actor, world.admin.user_id, NEW_PASSWORD)
    assert dump(db) == before
