"""Implementation timeline (phases, milestones) and self-profiling rounds

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 04:36:08.831798
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profile_instrument_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_instrument_version")),
        sa.UniqueConstraint(
            "code", "version", name=op.f("uq_profile_instrument_version_code_version")
        ),
    )
    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_milestone_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
        sa.UniqueConstraint(
            "organisation_id", "title", name=op.f("uq_milestone_organisation_id_title")
        ),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "phase_start",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "phase",
            sa.Enum(
                "preparation",
                "intensive_year_1",
                "intensive_year_2",
                "sustainment",
                name="implementationphase",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_phase_start_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "phase", name=op.f("pk_phase_start")),
    )
    op.create_table(
        "profile_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="roundstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_profile_round_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"],
            ["profile_instrument_version.id"],
            name=op.f("fk_profile_round_instrument_version_id_profile_instrument_version"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_profile_round_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_round")),
        sa.UniqueConstraint(
            "organisation_id", "title", name=op.f("uq_profile_round_organisation_id_title")
        ),
    )
    with op.batch_alter_table("profile_round", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_round_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "agreed_score",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=80), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 0 AND 10", name=op.f("ck_agreed_score_score_range")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_agreed_score_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["profile_round.id"],
            name=op.f("fk_agreed_score_round_id_profile_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "item_code", name=op.f("pk_agreed_score")),
    )
    op.create_table(
        "rater_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "rater_role",
            sa.Enum(
                "leader",
                "practice_lead",
                "team_manager",
                "front_line",
                name="raterrole",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("spent", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["profile_round.id"],
            name=op.f("fk_rater_link_round_id_profile_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rater_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_rater_link_token_hash")),
    )
    with op.batch_alter_table("rater_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rater_link_round_id"), ["round_id"], unique=False)

    op.create_table(
        "rater_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "rater_role",
            sa.Enum(
                "leader",
                "practice_lead",
                "team_manager",
                "front_line",
                name="raterrole",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("item_code", sa.String(length=80), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("score BETWEEN 0 AND 10", name=op.f("ck_rater_score_score_range")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["profile_round.id"],
            name=op.f("fk_rater_score_round_id_profile_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rater_score")),
    )
    with op.batch_alter_table("rater_score", schema=None) as batch_op:
        batch_op.create_index("ix_rater_score_round_item", ["round_id", "item_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rater_score", schema=None) as batch_op:
        batch_op.drop_index("ix_rater_score_round_item")

    op.drop_table("rater_score")
    with op.batch_alter_table("rater_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rater_link_round_id"))

    op.drop_table("rater_link")
    op.drop_table("agreed_score")
    with op.batch_alter_table("profile_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_round_organisation_id"))

    op.drop_table("profile_round")
    op.drop_table("phase_start")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_organisation_id"))

    op.drop_table("milestone")
    op.drop_table("profile_instrument_version")
