"""rater links file: rater links are made only where an administrator allows it per round

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-25 21:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profile_round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("links_file_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("profile_round", schema=None) as batch_op:
        batch_op.drop_column("links_file_enabled")
