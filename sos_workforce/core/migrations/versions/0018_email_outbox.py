"""email outbox: queued invitation and reminder emails, the addresses kept for reminders
until a link is spent or its wave closes, and per wave and diary period the invitation
template and the administrator's links-file switch

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25 20:05:51.687389
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_mail_recipient_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["diary_participant.id"],
            name=op.f("fk_mail_recipient_participant_id_diary_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_recipient")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_mail_recipient_invitation_id")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_mail_recipient_participant_id")),
    )
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("invitation", "reminder", name="mailkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "sending",
                "sent",
                "failed",
                name="mailstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_email_outbox_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["diary_period.id"],
            name=op.f("fk_email_outbox_period_id_diary_period"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["mail_recipient.id"],
            name=op.f("fk_email_outbox_recipient_id_mail_recipient"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_email_outbox_wave_id_wave"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
    )
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_email_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_email_outbox_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_email_outbox_period_id"), ["period_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_email_outbox_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_email_outbox_wave_id"), ["wave_id"], unique=False)

    with op.batch_alter_table("diary_period", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("links_file_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("mail_subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("mail_body", sa.Text(), nullable=True))

    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("links_file_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("mail_subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("mail_body", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_column("mail_body")
        batch_op.drop_column("mail_subject")
        batch_op.drop_column("links_file_enabled")

    with op.batch_alter_table("diary_period", schema=None) as batch_op:
        batch_op.drop_column("mail_body")
        batch_op.drop_column("mail_subject")
        batch_op.drop_column("links_file_enabled")

    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_outbox_wave_id"))
        batch_op.drop_index(batch_op.f("ix_email_outbox_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_email_outbox_period_id"))
        batch_op.drop_index(batch_op.f("ix_email_outbox_organisation_id"))
        batch_op.drop_index("ix_email_outbox_due")

    op.drop_table("email_outbox")
    op.drop_table("mail_recipient")
