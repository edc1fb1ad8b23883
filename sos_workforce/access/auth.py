"""Accounts, sign-in and authorisation.

Every service takes the acting ``Actor`` and calls ``require`` before touching data, so
role and organisation boundaries hold whatever page (or script) calls the service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from sos_workforce.access import audit
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, PermissionDenied, SignInFailed, SsoSignInExpired
from sos_workforce.core.models import Membership, Organisation, UserAccount, utcnow
from sos_workforce.core.security import check_password_policy, hash_password, verify_password

MAX_FAILED_SIGN_INS = 5
LOCKOUT = dt.timedelta(minutes=15)

# Which roles may open which areas of the app; pages and menus follow this table.
ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.LEAD: "Implementation lead",
    Role.EXECUTIVE: "Executive / scrutiny",
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user a service acts for."""

    user_id: int
    email: str
    display_name: str
    role: Role
    organisation_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def may_access(self, organisation_id: int) -> bool:
        return self.is_admin or organisation_id in self.organisation_ids


def require(actor: Actor | None, *roles: Role, organisation_id: int | None = None) -> Actor:
    """Return ``actor`` if it has one of ``roles`` (admins always do) and may act for
    ``organisation_id``; otherwise raise ``PermissionDenied``."""
    if actor is None:
        raise PermissionDenied("Please sign in first.")
    if roles and not actor.is_admin and actor.role not in roles:
        raise PermissionDenied("Your role does not allow this.")
    if organisation_id is not None and not actor.may_access(organisation_id):
        raise PermissionDenied("You do not have access to that organisation.")
    return actor


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise InvalidInput("Enter a valid email address.")
    return email


def create_user(
    db: Database,
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str | None,
    organisation_ids: list[int] | None = None,
    actor: Actor | None = None,
    bootstrap: bool = False,
) -> int:
    """Create an account. Only admins may do this, except ``bootstrap`` (the CLI and the
    demo, run by whoever controls the server). ``password=None`` is for single sign-on."""
    if not bootstrap:
        require(actor, Role.ADMIN)
    email = _normalise_email(email)
    if not display_name.strip():
        raise InvalidInput("Enter a display name.")
    if password is not None:
        check_password_policy(password, email=email)
    with db.write() as session:
        if session.scalar(select(UserAccount.id).where(UserAccount.email == email)) is not None:
            raise InvalidInput(f"An account for {email} already exists.")
        org_ids = organisation_ids or []
        if org_ids:
            found = session.scalar(
                select(func.count()).select_from(Organisation).where(Organisation.id.in_(org_ids))
            )
            if found != len(set(org_ids)):
                raise InvalidInput("One of the organisations does not exist.")
        user = UserAccount(
            email=email,
            display_name=display_name.strip(),
            role=role,
            password_hash=hash_password(password) if password is not None else None,
            is_active=True,
            failed_login_count=0,
        )
        session.add(user)
        session.flush()
        session.add_all(Membership(user_id=user.id, organisation_id=o) for o in set(org_ids))
        audit.record_event(
            session,
            actor,
            "user_created",
            target=f"user:{user.id}",
            detail=f"role={role.value}",
        )
        return user.id


def _actor_for(user: UserAccount, organisation_ids: list[int]) -> Actor:
    return Actor(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        organisation_ids=frozenset(organisation_ids),
    )


def sign_in(db: Database, email: str, password: str, *, now: dt.datetime | None = None) -> Actor:
    """Check a local password. Repeated failures lock the account for a while; the message
    never says whether the email exists."""
    now = now or utcnow()
    failure = SignInFailed("Email or password not recognised.")
    try:
        email = _normalise_email(email)
    except InvalidInput:
        raise failure from None
    with db.write() as session:
        user = session.scalar(select(UserAccount).where(UserAccount.email == email))
        if user is None or not user.is_active or user.password_hash is None:
            raise failure
        locked_until = user.locked_until
        if locked_until is not None and locked_until.tzinfo is None:
            locked_until = locked_until.replace(tzinfo=dt.UTC)
        if locked_until is not None and locked_until > now:
            raise SignInFailed(
                "This account is locked after repeated failed sign-ins. Try again later."
            )
        if not verify_password(user.password_hash, password):
            user.failed_login_count += 1
            # Failures for unknown emails are not recorded: the log would collect typos of
            # addresses (personal data) and show nothing an administrator can act on.
            audit.record_event(session, None, "sign_in_failed", target=f"user:{user.id}")
            if user.failed_login_count >= MAX_FAILED_SIGN_INS:
                user.locked_until = now + LOCKOUT
                user.failed_login_count = 0
                audit.record_event(session, None, "account_locked", target=f"user:{user.id}")
            session.commit()
            raise failure
        user.failed_login_count = 0
        user.locked_until = None
        user.last_login_at = now
        memberships = list(
            session.scalars(select(Membership.organisation_id).where(Membership.user_id == user.id))
        )
        actor = _actor_for(user, memberships)
        audit.record_event(session, actor, "signed_in", target=f"user:{user.id}", detail="password")
        return actor


SSO_NO_ACCESS = (
    "Your account is not set up for sos-workforce. Ask an administrator to add your "
    "email address, or sign in with a local account."
)


def _claim_is_true(value: object) -> bool:
    # Some providers send JSON booleans, some the strings "true" / "false".
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def actor_for_sso_email(
    db: Database,
    email: object,
    *,
    email_verified: object = None,
    expires_at: object = None,
    now: dt.datetime | None = None,
) -> Actor:
    """The actor for an identity the single-sign-on provider has vouched for.

    Roles and organisations come from our database, matched by email (case-insensitive).
    ``email_verified`` must be true when the provider sends it; an identity past its
    ``expires_at`` (the id token's ``exp``, seconds since the epoch) must sign in again.
    A refusal raises ``SignInFailed`` with a plain message; unknown or inactive accounts
    and unverified emails are audited (the email's domain only, never the address).
    """
    now = now or utcnow()
    if (
        isinstance(expires_at, int | float)
        and not isinstance(expires_at, bool)
        and expires_at < now.timestamp()
    ):
        raise SsoSignInExpired("Your single sign-on has expired. Please sign in again.")
    domain = str(email).rsplit("@", 1)[-1][:100] if isinstance(email, str) else ""
    with db.write() as session:
        if email_verified is not None and not _claim_is_true(email_verified):
            audit.record_event(session, None, "sso_refused", detail=f"email not verified; {domain}")
            session.commit()
            raise SignInFailed(
                "Your identity provider has not verified your email address, so it cannot "
                "be used to sign in here."
            )
        try:
            address = _normalise_email(email) if isinstance(email, str) else None
        except InvalidInput:
            address = None
        if address is None:
            audit.record_event(session, None, "sso_refused", detail="no usable email")
            session.commit()
            raise SignInFailed(
                "Your identity provider did not send an email address, so you cannot be "
                "matched to an account here."
            )
        user = session.scalar(select(UserAccount).where(UserAccount.email == address))
        if user is None or not user.is_active:
            audit.record_event(
                session,
                None,
                "sso_refused",
                target=f"user:{user.id}" if user else None,
                detail=f"{'inactive account' if user else 'unknown email'}; {domain}",
            )
            session.commit()
            raise SignInFailed(SSO_NO_ACCESS)
        user.last_login_at = now
        user.failed_login_count = 0
        memberships = list(
            session.scalars(select(Membership.organisation_id).where(Membership.user_id == user.id))
        )
        actor = _actor_for(user, memberships)
        audit.record_event(
            session, actor, "signed_in", target=f"user:{user.id}", detail="single sign-on"
        )
        return actor


@dataclass(frozen=True)
class UserSummary:
    id: int
    email: str
    display_name: str
    role: Role
    is_active: bool
    organisations: str
    last_login_at: dt.datetime | None


def list_users(db: Database, actor: Actor) -> list[UserSummary]:
    require(actor, Role.ADMIN)
    with db.read() as session:
        names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
        members: dict[int, list[str]] = {}
        for user_id, organisation_id in session.execute(
            select(Membership.user_id, Membership.organisation_id)
        ):
            members.setdefault(user_id, []).append(names[organisation_id])
        return [
            UserSummary(
                id=user.id,
                email=user.email,
                display_name=user.display_name,
                role=user.role,
                is_active=user.is_active,
                organisations="all (admin)"
                if user.role is Role.ADMIN
                else ", ".join(sorted(members.get(user.id, []))),
                last_login_at=user.last_login_at,
            )
            for user in session.scalars(select(UserAccount).order_by(UserAccount.email))
        ]
