"""results released in steps: submitted responses wait in a pool with nothing pointing back
to their invitation, and enter the results in shuffled batches of at least a wave's step

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25 20:20:00.000000

Responses stored before this revision are already in the results; waves running now take
the default step of 5.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNEL = sa.Enum(
    "personal_link",
    "open_link",
    name="channel",
    native_enum=False,
    length=20,
)


def upgrade() -> None:
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("release_step", sa.SmallInteger(), server_default="5", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reopened", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("live_results", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table(
        "pending_response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("channel", _CHANNEL, nullable=False),
        sa.Column("staff_role", sa.String(length=80), nullable=True),
        sa.Column("employment_type", sa.String(length=40), nullable=True),
        sa.Column("tenure_band", sa.String(length=40), nullable=True),
        sa.Column("respondent_name", sa.String(length=200), nullable=True),
        sa.Column("respondent_email", sa.String(length=320), nullable=True),
        sa.Column("item_values", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_pending_response_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["wave.id"],
            name=op.f("fk_pending_response_wave_id_wave"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_response")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("pending_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_response_wave_id"), ["wave_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_response_wave_id"))
    op.drop_table("pending_response")
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_column("live_results")
        batch_op.drop_column("reopened")
        batch_op.drop_column("release_step")
