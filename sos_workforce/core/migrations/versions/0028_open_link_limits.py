"""open link limits: when an unspent open-link start was made (it expires), and the
starts of the last minute per team for the rate limit

Revision ID: 0028
Revises: 0026
Create Date: 2026-11-26 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
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
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("started_at")
