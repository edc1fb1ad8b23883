"""emailed rater links: the outbox and kept addresses serve self-profiling rounds too

Revision ID: 0023
Revises: 0019
Create Date: 2026-11-25 23:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mail_recipient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rater_link_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_mail_recipient_rater_link_id_rater_link"),
            "rater_link",
            ["rater_link_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_mail_recipient_rater_link_id"), ["rater_link_id"]
        )
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_email_outbox_round_id_profile_round"),
            "profile_round",
            ["round_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_email_outbox_round_id"), ["round_id"], unique=False)
    with op.batch_alter_table("profile_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("mail_body", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("profile_round", schema=None) as batch_op:
        batch_op.drop_column("mail_body")
        batch_op.drop_column("mail_subject")
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_outbox_round_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_email_outbox_round_id_profile_round"), type_="foreignkey"
        )
        batch_op.drop_column("round_id")
    with op.batch_alter_table("mail_recipient", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_mail_recipient_rater_link_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_mail_recipient_rater_link_id_rater_link"), type_="foreignkey"
        )
        batch_op.drop_column("rater_link_id")
