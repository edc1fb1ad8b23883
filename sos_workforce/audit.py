"""The audit log: who did what, when, with counts. Never answers, tokens or passwords."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from sos_workforce.models import AuditEvent, UserAccount

if TYPE_CHECKING:
    from sos_workforce.auth import Actor


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    organisation_id: int | None = None,
    target: str | None = None,
    count: int | None = None,
    detail: str | None = None,
) -> None:
    """Add an audit event to the caller's transaction (so it commits or rolls back with it)."""
    session.add(
        AuditEvent(
            actor_user_id=actor.user_id if actor else None,
            organisation_id=organisation_id,
            action=action,
            target=target,
            count=count,
            detail=detail[:500] if detail else None,
        )
    )


@dataclass(frozen=True)
class AuditEntry:
    occurred_at: dt.datetime
    actor: str
    action: str
    target: str | None
    count: int | None
    detail: str | None


def recent(session: Session, organisation_id: int | None, limit: int = 200) -> list[AuditEntry]:
    query = (
        select(AuditEvent, UserAccount.email)
        .outerjoin(UserAccount, UserAccount.id == AuditEvent.actor_user_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    return [
        AuditEntry(
            occurred_at=event.occurred_at,
            actor=email or "system",
            action=event.action,
            target=event.target,
            count=event.count,
            detail=event.detail,
        )
        for event, email in session.execute(query)
    ]
