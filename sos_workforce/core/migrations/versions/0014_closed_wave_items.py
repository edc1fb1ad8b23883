"""closed wave items: answering and top-band counts per closed wave and scale item

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 12:30:00.000000

Filled for waves closed before this revision from ``closed_wave_tally`` and each item's top
band, read from the stored instrument definition (the JSON ``register`` wrote: sections,
items with ``kind``, ``code`` and ``bands``).
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = sa.text(
    """
    INSERT INTO closed_wave_item (wave_id, item_id, n, top_n)
    SELECT t.wave_id, t.item_id, SUM(t.n),
           SUM(CASE WHEN t.value BETWEEN :low AND :high THEN t.n ELSE 0 END)
    FROM closed_wave_tally t JOIN instrument_item i ON i.id = t.item_id
    WHERE i.instrument_version_id = :version AND i.code = :code
    GROUP BY t.wave_id, t.item_id
    """
)


def upgrade() -> None:
    op.create_table(
        "closed_wave_item",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("top_n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["instrument_item.id"],
            name=op.f("fk_closed_wave_item_item_id_instrument_item"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["wave.id"],
            name=op.f("fk_closed_wave_item_wave_id_wave"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("wave_id", "item_id", name=op.f("pk_closed_wave_item")),
    )
    connection = op.get_bind()
    versions = connection.execute(sa.text("SELECT id, definition FROM instrument_version"))
    for version_id, stored in versions.all():
        definition = json.loads(stored) if isinstance(stored, str) else stored
        for section in definition["sections"]:
            for item in section["items"]:
                if item["kind"] not in ("scale", "scaling"):
                    continue
                top = item["bands"][-1]
                connection.execute(
                    BACKFILL,
                    {
                        "version": version_id,
                        "code": item["code"],
                        "low": top["min"],
                        "high": top["max"],
                    },
                )


def downgrade() -> None:
    op.drop_table("closed_wave_item")
