"""conference feedback collected continuously: a standing link per form, forms waiting in a
pool with the date only, moved in shuffled batches to the entries and comments

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-25 23:24:35.328695
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.Column("link_hash", sa.String(length=64), nullable=True),
        sa.Column("release_step", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"],
            ["instrument_version.id"],
            name=op.f("fk_feedback_form_instrument_version_id_instrument_version"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_feedback_form_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_form")),
        sa.UniqueConstraint("link_hash", name=op.f("uq_feedback_form_link_hash")),
        sa.UniqueConstraint(
            "organisation_id",
            "instrument_version_id",
            name=op.f("uq_feedback_form_organisation_id_instrument_version_id"),
        ),
    )
    with op.batch_alter_table("feedback_form", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_form_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "feedback_comment",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("item_code", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["feedback_form.id"],
            name=op.f("fk_feedback_comment_form_id_feedback_form"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_comment")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("feedback_comment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_comment_form_received", ["form_id", "received_on"], unique=False
        )

    op.create_table(
        "feedback_entry",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["feedback_form.id"],
            name=op.f("fk_feedback_entry_form_id_feedback_form"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_entry")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("feedback_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_entry_form_received", ["form_id", "received_on"], unique=False
        )

    op.create_table(
        "feedback_pending",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["feedback_form.id"],
            name=op.f("fk_feedback_pending_form_id_feedback_form"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_pending")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("feedback_pending", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_pending_form_id"), ["form_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback_pending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_pending_form_id"))

    op.drop_table("feedback_pending")
    with op.batch_alter_table("feedback_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_entry_form_received")

    op.drop_table("feedback_entry")
    with op.batch_alter_table("feedback_comment", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_comment_form_received")

    op.drop_table("feedback_comment")
    with op.batch_alter_table("feedback_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_form_organisation_id"))

    op.drop_table("feedback_form")
