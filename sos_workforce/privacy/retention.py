"""Each organisation's retention period for raw survey and diary data. The purge itself
(``maintenance.purge_expired``) and erasure live with the data they delete
(``surveys.erasure``, ``diaries.erasure``).
"""

from __future__ import annotations

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.models import (
    Organisation,
)

MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650


def set_retention(db: Database, actor: Actor, organisation_id: int, days: int | None) -> None:
    """Keep raw survey responses for ``days`` after a wave closes (None: keep them)."""
    require(actor, Role.ADMIN, organisation_id=organisation_id)
    if days is not None and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput(
            f"The retention period must be between {MIN_RETENTION_DAYS} and "
            f"{MAX_RETENTION_DAYS} days."
        )
    with db.write() as session:
        organisation = session.get_one(Organisation, organisation_id)
        organisation.retention_days = days
        record_event(
            session,
            actor,
            "retention_set",
            organisation_id=organisation_id,
            count=days,
        )


def get_retention(db: Database, actor: Actor, organisation_id: int) -> int | None:
    require(actor, Role.ADMIN, organisation_id=organisation_id)
    with db.read() as session:
        return session.get_one(Organisation, organisation_id).retention_days
