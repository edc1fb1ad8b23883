"""workforce census fields: starters, headcounts of agency staff and leavers, which
figures count where a roster and summary figures share a date; a team's vacancies may be
not recorded

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-25 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workforce_summary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starters_fte", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("starters_headcount", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("agency_headcount", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("leavers_headcount", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("precedence", sa.String(length=10), nullable=True))
    with op.batch_alter_table("establishment", schema=None) as batch_op:
        batch_op.alter_column("vacancies_fte", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE establishment SET vacancies_fte = 0 WHERE vacancies_fte IS NULL")
    with op.batch_alter_table("establishment", schema=None) as batch_op:
        batch_op.alter_column("vacancies_fte", existing_type=sa.Float(), nullable=False)
    with op.batch_alter_table("workforce_summary", schema=None) as batch_op:
        batch_op.drop_column("precedence")
        batch_op.drop_column("leavers_headcount")
        batch_op.drop_column("agency_headcount")
        batch_op.drop_column("starters_headcount")
        batch_op.drop_column("starters_fte")
