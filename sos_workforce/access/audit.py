"""Writing the audit log: who did what, when, with counts. Never answers, tokens or
passwords. Reading it is ``audit_log``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from sos_workforce.core.models import AuditEvent

if TYPE_CHECKING:
    from sos_workforce.access.auth import Actor


def record_event(
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
