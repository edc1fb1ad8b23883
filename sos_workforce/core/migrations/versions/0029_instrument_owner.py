"""instrument owner: an uploaded instrument belongs to an organisation (offered to it
only); NULL is the shared library offered to every organisation

Existing instruments: one whose every version was uploaded (an ``instrument_published``
audit row names it; the start-up sync of the shipped ``surveys/`` files records none)
belongs to the one organisation whose waves or feedback forms use it; if none use it, to
the one organisation its uploaders (leads) belong to. Everything else stays in the shared
library: the shipped instruments, and an uploaded one that several organisations already
use (their benchmarks compare its versions) or whose owner cannot be told.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-26 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instrument", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_instrument_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_instrument_organisation_id_organisation"),
            "organisation",
            ["organisation_id"],
            ["id"],
            ondelete="CASCADE",
        )
    _assign_owners(op.get_bind())


def _assign_owners(connection: sa.Connection) -> None:
    instruments = connection.execute(sa.text("SELECT id, code FROM instrument")).all()
    for instrument_id, code in instruments:
        versions = connection.execute(
            sa.text("SELECT version FROM instrument_version WHERE instrument_id = :i"),
            {"i": instrument_id},
        ).scalars()
        targets = [f"instrument:{code}:v{version}" for version in versions]
        uploaders: set[int] = set()
        uploaded = bool(targets)
        for target in targets:
            found = connection.execute(
                sa.text(
                    "SELECT actor_user_id FROM audit_event "
                    "WHERE action = 'instrument_published' AND target = :t"
                ),
                {"t": target},
            ).all()
            if not found:
                uploaded = False  # a shipped version: the instrument stays shared
                break
            uploaders.update(row[0] for row in found if row[0] is not None)
        if not uploaded:
            continue
        users = connection.execute(
            sa.text(
                "SELECT DISTINCT organisation_id FROM wave WHERE instrument_version_id IN "
                "(SELECT id FROM instrument_version WHERE instrument_id = :i) "
                "UNION SELECT DISTINCT organisation_id FROM feedback_form "
                "WHERE instrument_version_id IN "
                "(SELECT id FROM instrument_version WHERE instrument_id = :i)"
            ),
            {"i": instrument_id},
        ).scalars()
        owners = set(users)
        if not owners and uploaders:
            for user_id in uploaders:
                role = connection.execute(
                    sa.text("SELECT role FROM user_account WHERE id = :u"), {"u": user_id}
                ).scalar()
                if role == "admin":
                    continue
                owners.update(
                    connection.execute(
                        sa.text("SELECT organisation_id FROM membership WHERE user_id = :u"),
                        {"u": user_id},
                    ).scalars()
                )
        if len(owners) == 1:
            connection.execute(
                sa.text("UPDATE instrument SET organisation_id = :o WHERE id = :i"),
                {"o": owners.pop(), "i": instrument_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("instrument", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_instrument_organisation_id_organisation"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_instrument_organisation_id"))
        batch_op.drop_column("organisation_id")
