"""Server-side sessions: what keeps a browser signed in across reloads, deep links and tabs.

Signing in (``auth.sign_in`` or single sign-on) starts a session; the browser keeps a
random token in an HttpOnly cookie (set by the HTTP routes in ``asgi.py``) and the
database keeps only its SHA-256, so the table cannot be used to sign in. Every run of the
app resolves the token again (``resolve_session``): the account must still be active, its
role and organisations are read afresh, and the idle (``session_timeout_minutes``) and
absolute (``session_max_hours``) timeouts are checked. Signing out, and an administrator
deactivating an account, changing its role or organisations or resetting its password,
end every session of that account at once.

Single sign-on happens inside the app (``st.login``), where no cookie can be set, so it
starts a session with a one-time ticket instead (hashed, valid a minute); a full page load
of ``/auth/sso`` exchanges it for the cookie (``redeem_ticket``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from sos_workforce.access import audit
from sos_workforce.access.auth import Actor, actor_of, require
from sos_workforce.core.config import get_settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import SessionEnded
from sos_workforce.core.models import UserAccount, UserSession, utcnow
from sos_workforce.core.security import keyed_hash

# The cookie that carries a browser's session token (set and cleared by asgi.py's routes).
SESSION_COOKIE = "sos_session"
# Last-seen is written at most this often, so reruns do not write to the database each time
# (the idle timeout is therefore exact to about a minute).
TOUCH_INTERVAL = dt.timedelta(minutes=1)
TICKET_LIFETIME = dt.timedelta(seconds=60)
# Ended and expired rows are deleted this long after they stopped (as sessions start).
KEEP_ENDED = dt.timedelta(days=30)


class EndReason(StrEnum):
    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    EXPIRED = "expired"
    ACCOUNT_CHANGED = "account_changed"
    INACTIVE = "inactive"


SIGN_IN_AGAIN = "Please sign in."
END_MESSAGES: dict[str, str] = {
    EndReason.SIGNED_OUT: "You are signed out.",
    EndReason.IDLE: "You were signed out after a period of inactivity.",
    EndReason.EXPIRED: "Your session has ended (sessions last at most {hours} hours). "
    "Please sign in again.",
    EndReason.ACCOUNT_CHANGED: "Your account was changed by an administrator. "
    "Please sign in again.",
    EndReason.INACTIVE: "Your account is not active. Ask an administrator if you need it.",
}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back without their zone; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _message(reason: str | None) -> str:
    text = END_MESSAGES.get(reason or "", SIGN_IN_AGAIN)
    return text.format(hours=get_settings().session_max_hours)


def _new_row(session: Session, actor: Actor, now: dt.datetime) -> UserSession:
    session.execute(
        delete(UserSession).where(
            or_(UserSession.ended_at < now - KEEP_ENDED, UserSession.expires_at < now - KEEP_ENDED)
        )
    )
    row = UserSession(
        user_id=actor.user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=get_settings().session_max_hours),
    )
    session.add(row)
    return row


def start_session(db: Database, actor: Actor, *, now: dt.datetime | None = None) -> str:
    """Start a session for ``actor`` (just signed in) and return its token, for the cookie.
    Only the token's hash is stored."""
    require(actor)
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with db.write() as session:
        _new_row(session, actor, now).token_hash = _hash(token)
    return token


def sign_out_token(token: str) -> str:
    """The CSRF token a sign-out form must carry: keyed to the session it ends, so another
    site cannot forge one."""
    return keyed_hash(get_settings().secret_key.get_secret_value(), "sign-out form", token)


@dataclass(frozen=True)
class SsoStart:
    token: str  # for the app's own session state: this tab is signed in at once
    ticket: str  # for /auth/sso: a full page load exchanges it for the cookie


def start_sso_session(
    db: Database,
    actor: Actor,
    *,
    identity_expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> SsoStart:
    """Start a session for ``actor`` (matched by single sign-on): it lasts no longer than
    the provider's identity (``identity_expires_at``, the id token's expiry). The ticket
    is valid once, within ``TICKET_LIFETIME``; redeeming it replaces the token."""
    require(actor)
    now = now or utcnow()
    token, ticket = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with db.write() as session:
        row = _new_row(session, actor, now)
        if identity_expires_at is not None:
            row.expires_at = min(row.expires_at, identity_expires_at)
        row.token_hash = _hash(token)
        row.ticket_hash = _hash(ticket)
        row.ticket_expires_at = now + TICKET_LIFETIME
    return SsoStart(token, ticket)


def redeem_ticket(db: Database, ticket: str, *, now: dt.datetime | None = None) -> str:
    """The session token for a single-sign-on ticket, once; ``SessionEnded`` for an unknown,
    spent or expired ticket."""
    now = now or utcnow()
    with db.write() as session:
        row = session.scalar(
            select(UserSession).where(UserSession.ticket_hash == _hash(ticket)).with_for_update()
        )
        if (
            row is None
            or row.ended_at is not None
            or row.ticket_expires_at is None
            or _aware(row.ticket_expires_at) < now
        ):
            raise SessionEnded("That sign-in has expired. Please sign in again.")
        token = secrets.token_urlsafe(32)
        row.token_hash = _hash(token)
        row.ticket_hash = None
        row.ticket_expires_at = None
        row.last_seen_at = now
    return token


def resolve_session(
    db: Database, token: str | None, *, activity: bool = True, now: dt.datetime | None = None
) -> Actor:
    """The actor a session token stands for, as the database holds the account now.

    Raises ``SessionEnded`` (with the reason in plain words) for a missing or unknown token,
    an ended session, an inactive account, and past either timeout (the session is then
    ended). ``activity`` is false for runs the person did not cause (an auto-refresh):
    those neither count as interaction nor move the idle timeout."""
    if not token:
        raise SessionEnded(SIGN_IN_AGAIN)
    now = now or utcnow()
    settings = get_settings()
    idle = dt.timedelta(minutes=settings.session_timeout_minutes)
    with db.read() as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
        if row is None:
            raise SessionEnded(SIGN_IN_AGAIN)
        if row.ended_at is not None:
            raise SessionEnded(_message(row.end_reason), row.end_reason)
        user = session.get_one(UserAccount, row.user_id)
        reason: EndReason | None = None
        if not user.is_active:
            reason = EndReason.INACTIVE
        elif now >= _aware(row.expires_at):
            reason = EndReason.EXPIRED
        elif now - _aware(row.last_seen_at) > idle:
            reason = EndReason.IDLE
        actor = actor_of(session, user)
        session_id, last_seen = row.id, _aware(row.last_seen_at)
    if reason is not None:
        with db.write() as session:
            ended = session.execute(
                update(UserSession)
                .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                .values(ended_at=now, end_reason=reason.value)
            )
            if ended.rowcount:  # type: ignore[attr-defined]
                audit.record_event(
                    session, actor, "session_ended", target=f"user:{actor.user_id}", detail=reason
                )
        raise SessionEnded(_message(reason), reason.value)
    if activity and now - last_seen >= TOUCH_INTERVAL:
        with db.write() as session:
            session.execute(
                update(UserSession)
                .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                .values(last_seen_at=now)
            )
    return actor


def end_sessions_of(
    session: Session, user_id: int, reason: EndReason, *, now: dt.datetime | None = None
) -> int:
    """End every live session of an account within the caller's transaction (the account
    services call this as they change an account); return how many were ended."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason.value, ticket_hash=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def sign_out(db: Database, token: str | None, *, now: dt.datetime | None = None) -> None:
    """Sign out: end every session of the token's account (every tab and every browser),
    audited. An unknown or ended token changes nothing."""
    if not token:
        return
    with db.write() as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
        if row is None or row.ended_at is not None:
            return
        actor = actor_of(session, session.get_one(UserAccount, row.user_id))
        ended = end_sessions_of(session, row.user_id, EndReason.SIGNED_OUT, now=now)
        audit.record_event(
            session, actor, "signed_out", target=f"user:{actor.user_id}", count=ended
        )
