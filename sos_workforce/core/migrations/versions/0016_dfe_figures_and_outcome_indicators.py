"""dfe figures and outcome indicators: DfE's published files (rows of the tidy files and
the statistical-neighbour model), each organisation's DfE LA codes, and the direction an
authority sets for an outcome indicator

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 17:36:44.788795
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dfe_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Integer(), nullable=False),
        sa.Column("fictional", sa.Boolean(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["user_account.id"],
            name=op.f("fk_dfe_file_imported_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dfe_file")),
        sa.UniqueConstraint("source", name=op.f("uq_dfe_file_source")),
    )
    op.create_table(
        "outcome_direction",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(length=60), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "direction IN ('higher', 'lower')", name=op.f("ck_outcome_direction_direction")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_outcome_direction_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "indicator_id", name=op.f("pk_outcome_direction")
        ),
    )
    op.create_table(
        "dfe_neighbour",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("old_la_code", sa.String(length=3), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("la_name", sa.String(length=120), nullable=False),
        sa.Column("neighbour_code", sa.String(length=3), nullable=False),
        sa.Column("closeness", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["dfe_file.id"],
            name=op.f("fk_dfe_neighbour_file_id_dfe_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "old_la_code", "rank", name=op.f("pk_dfe_neighbour")),
    )
    op.create_table(
        "dfe_row",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("time_period", sa.SmallInteger(), nullable=False),
        sa.Column("area_code", sa.String(length=40), nullable=False),
        sa.Column("breakdown", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("old_la_code", sa.String(length=40), nullable=True),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["dfe_file.id"],
            name=op.f("fk_dfe_row_file_id_dfe_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "file_id", "time_period", "area_code", "breakdown", name=op.f("pk_dfe_row")
        ),
    )
    with op.batch_alter_table("dfe_row", schema=None) as batch_op:
        batch_op.create_index("ix_dfe_row_level", ["file_id", "level"], unique=False)
        batch_op.create_index("ix_dfe_row_old_la_code", ["file_id", "old_la_code"], unique=False)

    # Columns and unique indexes only: SQLite adds both in place, where a unique constraint
    # would rebuild the table (and dropping the old table would cascade to its children).
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("old_la_code", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("new_la_code", sa.String(length=9), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_organisation_new_la_code"), ["new_la_code"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_organisation_old_la_code"), ["old_la_code"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_old_la_code"))
        batch_op.drop_index(batch_op.f("ix_organisation_new_la_code"))
        batch_op.drop_column("new_la_code")
        batch_op.drop_column("old_la_code")

    with op.batch_alter_table("dfe_row", schema=None) as batch_op:
        batch_op.drop_index("ix_dfe_row_old_la_code")
        batch_op.drop_index("ix_dfe_row_level")

    op.drop_table("dfe_row")
    op.drop_table("dfe_neighbour")
    op.drop_table("outcome_direction")
    op.drop_table("dfe_file")
