"""Retention and erasure of raw survey and diary data (UK GDPR storage limitation and
erasure).

Reports never read raw responses: they read the tallies kept on submit and sealed on close
(``tallies.py``). So raw rows past an organisation's retention period can be deleted while
every band table, trend and benchmark stays as it was. Erasure of one identified respondent
subtracts their answers from the tallies and deletes the rows.

Diaries likewise: a closed period is reported from its sealed totals (``diary_tallies``),
which carry no staff id or link, so the purge deletes its entries, participants (staff ids,
link hashes) and import records and every time-use figure stays. Erasing a worker's diaries
deletes their entries and participation and re-seals closed periods from what is left.

Comments (free text) are stored without any link to the response they came with, so they
cannot be attributed to an identified respondent; they are deleted by the retention purge.
"""

from __future__ import annotations

from sos_workforce.access import Actor, audit, require
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
        audit.record(
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
