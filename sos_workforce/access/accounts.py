"""Account administration: deactivate and reactivate, change a role or the organisations a
user belongs to, reset a password (administrators) and change one's own. Every change is
audited without the password, and every administrator's change ends the account's sessions
(``access.sessions``: the person signs in again and sees their new rights at once); the
last active administrator can never be removed, by themselves or anyone else, so the
service always keeps someone who can administer it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sos_workforce.access import audit
from sos_workforce.access.auth import Actor, require
from sos_workforce.access.sessions import EndReason, end_sessions_of
from sos_workforce.core.config import get_settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.models import Membership, Organisation, SignInFailure, UserAccount
from sos_workforce.core.security import (
    check_password_policy,
    hash_password,
    keyed_hash,
    verify_password,
)

_LAST_ADMIN = (
    "This is the last active administrator. Make another account an administrator first, "
    "so that someone can still administer the service."
)


def _account(session: Session, user_id: int, *, lock: bool = False) -> UserAccount:
    user = session.get(UserAccount, user_id, with_for_update=lock)
    if user is None:
        raise NotFound("No such account.")
    return user


def _forget_failed_sign_ins(session: Session, user: UserAccount) -> None:
    """Lift every pause on this account's sign-in (failures are kept per email and source,
    as keyed hashes: ``access.auth``)."""
    secret = get_settings().secret_key.get_secret_value()
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.subject == keyed_hash(secret, "sign-in email", user.email)
        )
    )


def _refuse_losing_the_last_admin(session: Session, user: UserAccount) -> None:
    """Raise if ``user`` is the only active administrator (the caller is about to make
    them inactive or not an administrator)."""
    if user.role is not Role.ADMIN or not user.is_active:
        return
    # Lock every active administrator's row: two administrators demoting each other at
    # once must not leave none (PostgreSQL; SQLite serialises writers anyway).
    admins = session.scalars(
        select(UserAccount.id)
        .where(UserAccount.role == Role.ADMIN, UserAccount.is_active.is_(True))
        .with_for_update()
    ).all()
    if len(admins) <= 1:
        raise InvalidInput(_LAST_ADMIN)


def _administrator(actor: Actor | None, bootstrap: bool) -> None:
    """An administrator, or ``bootstrap``: the command line, run by whoever controls the
    server (audited as the system)."""
    if not bootstrap:
        require(actor, Role.ADMIN)


def set_account_active(
    db: Database, actor: Actor | None, user_id: int, *, active: bool, bootstrap: bool = False
) -> None:
    """Deactivate an account (it can no longer sign in; its data and audit trail stay) or
    reactivate it (pauses on its sign-in are lifted)."""
    _administrator(actor, bootstrap)
    with db.write() as session:
        user = _account(session, user_id, lock=True)
        if user.is_active == active:
            return
        if not active:
            _refuse_losing_the_last_admin(session, user)
        user.is_active = active
        if active:
            _forget_failed_sign_ins(session, user)
        else:
            end_sessions_of(session, user.id, EndReason.INACTIVE)
        audit.record_event(
            session,
            actor,
            "account_reactivated" if active else "account_deactivated",
            target=f"user:{user.id}",
        )


def change_role(
    db: Database, actor: Actor | None, user_id: int, role: Role, *, bootstrap: bool = False
) -> None:
    _administrator(actor, bootstrap)
    with db.write() as session:
        user = _account(session, user_id, lock=True)
        if user.role is role:
            return
        if role is not Role.ADMIN:
            _refuse_losing_the_last_admin(session, user)
        before, user.role = user.role, role
        end_sessions_of(session, user.id, EndReason.ACCOUNT_CHANGED)
        audit.record_event(
            session,
            actor,
            "role_changed",
            target=f"user:{user.id}",
            detail=f"{before.value} -> {role.value}",
        )


def account_id(db: Database, actor: Actor | None, email: str, *, bootstrap: bool = False) -> int:
    """The account with this sign-in email."""
    _administrator(actor, bootstrap)
    with db.read() as session:
        user_id = session.scalar(
            select(UserAccount.id).where(UserAccount.email == email.strip().lower())
        )
    if user_id is None:
        raise NotFound(f"No account for {email.strip()}.")
    return int(user_id)


def memberships_of(db: Database, actor: Actor, user_id: int) -> list[int]:
    """The organisations a user belongs to (for an administrator's form)."""
    require(actor, Role.ADMIN)
    with db.read() as session:
        _account(session, user_id)
        return sorted(
            session.scalars(select(Membership.organisation_id).where(Membership.user_id == user_id))
        )


def set_memberships(
    db: Database,
    actor: Actor | None,
    user_id: int,
    organisation_ids: Iterable[int],
    *,
    bootstrap: bool = False,
) -> None:
    """The organisations a user may act for, replacing the earlier set (administrators act
    for every organisation whatever their memberships)."""
    _administrator(actor, bootstrap)
    wanted = set(organisation_ids)
    with db.write() as session:
        user = _account(session, user_id, lock=True)
        found = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted))))
        if found != wanted:
            raise InvalidInput("One of the organisations does not exist.")
        current = set(
            session.scalars(select(Membership.organisation_id).where(Membership.user_id == user.id))
        )
        for organisation_id in current - wanted:
            session.delete(session.get_one(Membership, (user.id, organisation_id)))
        session.add_all(Membership(user_id=user.id, organisation_id=o) for o in wanted - current)
        if current != wanted:
            end_sessions_of(session, user.id, EndReason.ACCOUNT_CHANGED)
            audit.record_event(
                session,
                actor,
                "memberships_changed",
                target=f"user:{user.id}",
                detail=(
                    f"added {sorted(wanted - current) or 'none'}, "
                    f"removed {sorted(current - wanted) or 'none'}"
                ),
            )


def reset_password(
    db: Database, actor: Actor | None, user_id: int, new_password: str, *, bootstrap: bool = False
) -> None:
    """An administrator sets a new password for someone who lost theirs (and unlocks the
    account); tell them to change it after signing in."""
    _administrator(actor, bootstrap)
    with db.write() as session:
        user = _account(session, user_id, lock=True)
        check_password_policy(new_password, email=user.email)
        user.password_hash = hash_password(new_password)
        _forget_failed_sign_ins(session, user)
        end_sessions_of(session, user.id, EndReason.ACCOUNT_CHANGED)
        audit.record_event(session, actor, "password_reset", target=f"user:{user.id}")


def change_own_password(
    db: Database, actor: Actor, current_password: str, new_password: str
) -> None:
    require(actor)
    with db.write() as session:
        user = _account(session, actor.user_id, lock=True)
        if user.password_hash is None:
            raise InvalidInput("You sign in through your organisation; change it there.")
        if not verify_password(user.password_hash, current_password):
            raise InvalidInput("Your current password is not right.")
        if new_password == current_password:
            raise InvalidInput("Choose a password different from your current one.")
        check_password_policy(new_password, email=user.email)
        user.password_hash = hash_password(new_password)
        audit.record_event(session, actor, "password_changed", target=f"user:{user.id}")
