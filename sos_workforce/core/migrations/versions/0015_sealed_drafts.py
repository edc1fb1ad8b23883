"""sealed drafts: survey drafts are stored sealed with a key derived from the link's token

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 17:30:00.000000

Drafts saved before this revision were stored readable, and they cannot be sealed without
the tokens, which are not stored: they are deleted (a respondent who had saved one answers
again; nothing sent is affected).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM response_draft"))
    with op.batch_alter_table("response_draft") as batch:
        batch.drop_column("answers")
        batch.add_column(sa.Column("sealed_answers", sa.LargeBinary(), nullable=False))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM response_draft"))
    with op.batch_alter_table("response_draft") as batch:
        batch.drop_column("sealed_answers")
        batch.add_column(sa.Column("answers", sa.JSON(), nullable=False))
