"""open link limits: when an unspent open-link start was made (it expires; the row goes
when the link is spent), and the starts of the last minute per team for the rate limit

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-26 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open_link_pending",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_open_link_pending_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_open_link_pending")),
    )
    with op.batch_alter_table("open_link_pending", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_open_link_pending_started_at"), ["started_at"], unique=False
        )
    # Unspent open-link starts from before this revision expire from now on.
    invitation = sa.table(
        "invitation",
        sa.column("id", sa.Integer()),
        sa.column("spent", sa.Boolean()),
        sa.column("channel", sa.String()),
    )
    pending = sa.table(
        "open_link_pending",
        sa.column("invitation_id", sa.Integer()),
        sa.column("started_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        pending.insert().from_select(
            ["invitation_id", "started_at"],
            sa.select(invitation.c.id, sa.func.current_timestamp()).where(
                invitation.c.spent == sa.false(), invitation.c.channel == "open_link"
            ),
        )
    )
    op.create_table(
        "open_link_start",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_open_link_start_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["wave.id"],
            name=op.f("fk_open_link_start_wave_id_wave"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_link_start")),
    )
    with op.batch_alter_table("open_link_start", schema=None) as batch_op:
        batch_op.create_index("ix_open_link_start_wave_team", ["wave_id", "team_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_open_link_start_started_at"), ["started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("open_link_start", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_link_start_started_at"))
        batch_op.drop_index("ix_open_link_start_wave_team")
    op.drop_table("open_link_start")
    with op.batch_alter_table("open_link_pending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_link_pending_started_at"))
    op.drop_table("open_link_pending")
