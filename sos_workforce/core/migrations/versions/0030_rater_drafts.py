"""rater drafts: a rater's unfinished scores, sealed with a key derived from the link's
token, so the rater form can be saved and resumed

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-26 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rater_draft",
        sa.Column("rater_link_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("sealed_scores", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rater_link_id"],
            ["rater_link.id"],
            name=op.f("fk_rater_draft_rater_link_id_rater_link"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["profile_round.id"],
            name=op.f("fk_rater_draft_round_id_profile_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rater_link_id", name=op.f("pk_rater_draft")),
    )
    with op.batch_alter_table("rater_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rater_draft_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rater_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rater_draft_round_id"))
    op.drop_table("rater_draft")
