"""Accounts, sign-in and authorisation.

Every service takes the acting ``Actor`` and calls ``require`` before touching data, so
role and organisation boundaries hold whatever page (or script) calls the service.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sos_workforce.access import audit
from sos_workforce.core.config import IPNetwork, get_settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, PermissionDenied, SignInFailed, SsoSignInExpired
from sos_workforce.core.models import (
    Membership,
    Organisation,
    SignInFailure,
    UserAccount,
    utcnow,
)
from sos_workforce.core.security import (
    check_password_policy,
    hash_password,
    keyed_hash,
    verify_nothing,
    verify_password,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

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


def actor_of(session: Session, user: UserAccount) -> Actor:
    """The actor for an account as the database holds it now (role and memberships)."""
    memberships = list(
        session.scalars(select(Membership.organisation_id).where(Membership.user_id == user.id))
    )
    return _actor_for(user, memberships)


SIGN_IN_REFUSED = (
    f"Email or password not recognised. After {MAX_FAILED_SIGN_INS} failed attempts, "
    f"signing in from this device is paused for {LOCKOUT.seconds // 60} minutes."
)
SLOWDOWN_STEP = 0.5  # seconds of delay per MAX_FAILED_SIGN_INS failures from other sources
MAX_SLOWDOWN = 4.0
LOCAL_SOURCE = "local"


def source_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]
) -> str:
    """Where a sign-in comes from: the connection's own address (``None`` is loopback, as
    Streamlit reports it), or, only when that address is a trusted proxy, the nearest
    address in ``X-Forwarded-For`` that is not one (read from the right: each proxy
    appends the address it was reached from, and a client can write anything on the
    left)."""
    address = _ip(peer) if peer else ipaddress.ip_address("127.0.0.1")
    if address is None:
        return (peer or "")[:100]
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    while hops and any(address in network for network in trusted):
        hop = _ip(hops.pop())
        if hop is None:
            break  # a malformed entry: keep the last trusted proxy's own address
        address = hop
    return str(address)


def _ip(text: str | None) -> IPAddress | None:
    """An address as a proxy writes it: bare, IPv4 with a port, or [IPv6] with one."""
    if not text:
        return None
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.rsplit(":", 1)[0])
    for candidate in candidates:
        try:
            return ipaddress.ip_address(candidate)
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class _Throttle:
    paused: bool  # this source has failed MAX_FAILED_SIGN_INS times within LOCKOUT
    delay: float  # seconds to wait: failures from other sources slow every attempt


def _throttle(session: Session, subject: str, source: str, now: dt.datetime) -> _Throttle:
    since = now - LOCKOUT
    rows = session.execute(
        select(SignInFailure.source, SignInFailure.failures).where(
            SignInFailure.subject == subject, SignInFailure.last_failed_at > since
        )
    ).all()
    own = sum(failures for where, failures in rows if where == source)
    others = sum(failures for where, failures in rows if where != source)
    delay = min(MAX_SLOWDOWN, SLOWDOWN_STEP * (others // MAX_FAILED_SIGN_INS))
    return _Throttle(own >= MAX_FAILED_SIGN_INS, delay)


def _record_failure(session: Session, subject: str, source: str, now: dt.datetime) -> int:
    """Count a failure from ``source`` (a new count once the last is older than the pause)
    and forget failures older than the pause; return this source's count."""
    since = now - LOCKOUT
    session.execute(delete(SignInFailure).where(SignInFailure.last_failed_at <= since))
    row = session.get(SignInFailure, (subject, source))
    if row is None:
        row = SignInFailure(subject=subject, source=source, failures=0, last_failed_at=now)
        session.add(row)
    row.failures += 1
    row.last_failed_at = now
    session.flush()
    return row.failures


def sign_in(
    db: Database,
    email: str,
    password: str,
    *,
    source: str = LOCAL_SOURCE,
    now: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Actor:
    """Check a local password.

    An unknown email, a wrong password and a paused source get the same words
    (``SIGN_IN_REFUSED``) after the same work (an argon2id check, against a stand-in hash
    when there is no account). Failures are counted per (email, source): five from one
    source pause that source for ``LOCKOUT``, even with the right password; failures from
    other sources only slow every attempt down (``SLOWDOWN_STEP`` seconds per five, at
    most ``MAX_SLOWDOWN``), so a stranger cannot keep the owner out. Unknown emails are
    counted the same way, or the slowdown would tell which emails have accounts."""
    now = now or utcnow()
    failure = SignInFailed(SIGN_IN_REFUSED)
    try:
        email = _normalise_email(email)
    except InvalidInput:
        verify_nothing(password)
        raise failure from None
    secret = get_settings().secret_key.get_secret_value()
    subject = keyed_hash(secret, "sign-in email", email)
    source_key = keyed_hash(secret, "sign-in source", source)
    with db.read() as session:
        throttle = _throttle(session, subject, source_key, now)
    sleep(throttle.delay)
    with db.write() as session:
        user = session.scalar(select(UserAccount).where(UserAccount.email == email))
        usable = user is not None and user.is_active and user.password_hash is not None
        if throttle.paused or not usable:
            verify_nothing(password)
            matched = False
        else:
            assert user is not None and user.password_hash is not None
            matched = verify_password(user.password_hash, password)
        if throttle.paused:
            raise failure
        if not matched:
            failures = _record_failure(session, subject, source_key, now)
            if user is not None:
                # Failures for unknown emails are not audited: the log would collect typos
                # of addresses (personal data) and show nothing an administrator can act on.
                audit.record_event(session, None, "sign_in_failed", target=f"user:{user.id}")
                if failures == MAX_FAILED_SIGN_INS:
                    audit.record_event(
                        session,
                        None,
                        "account_locked",
                        target=f"user:{user.id}",
                        detail=f"one source paused for {LOCKOUT.seconds // 60} minutes",
                    )
            session.commit()
            raise failure
        assert user is not None
        session.execute(
            delete(SignInFailure).where(
                SignInFailure.subject == subject, SignInFailure.source == source_key
            )
        )
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
