"""Test environment helpers shared by conftest files and tests (not fixtures)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database, make_engine
from sos_workforce.core.models import Base
from tests.support.browser import CHROMIUM
from tests.support.factories import World

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason`` locally; under CI a missing dependency is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


def empty_postgres(url: str) -> None:
    """Every table emptied and every id sequence restarted, as in a fresh database.
    DELETE of a test's few rows is several times faster than TRUNCATE, which replaces
    each table's files (about 0.4 s for the whole schema)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(text(f'DELETE FROM "{table.name}"'))  # noqa: S608 - our names
        sequences = connection.scalars(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        ).all()
        for sequence in sequences:
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    engine.dispose()


@dataclass(frozen=True)
class WorldTemplate:
    """A database holding ``build_world``'s world: its SQLite file and its rows."""

    path: Path
    world: World
    rows: TableRows


# Every table's rows in primary-key order (parents before children), and each id
# sequence's last value.
TableRows = tuple[dict[str, list[dict[str, Any]]], dict[str, int]]


def snapshot_rows(database: Database) -> TableRows:
    tables: dict[str, list[dict[str, Any]]] = {}
    sequences: dict[str, int] = {}
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            tables[table.name] = [dict(row) for row in rows]
            (key, *more) = table.primary_key.columns
            values = [row[key.name] for row in tables[table.name]]
            if not more and values and all(isinstance(value, int) for value in values):
                # PostgreSQL names a serial or identity column's sequence like this.
                sequences[f"{table.name}_{key.name}_seq"] = max(values)
    return tables, sequences


def restore_rows(url: str, rows: TableRows) -> None:
    """Put a snapshot's rows into an emptied PostgreSQL database, with each id sequence
    continuing after them, as if the same calls had just been made."""
    tables, sequences = rows
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if tables.get(table.name):
                connection.execute(insert(table), tables[table.name])
        existing = set(
            connection.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            )
        )
        for sequence, last in sequences.items():
            if sequence in existing:
                connection.execute(
                    text("SELECT setval(:name, :last)"), {"name": sequence, "last": last}
                )
    engine.dispose()


def make_settings(url: str, data_dir: Path, **overrides: object) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, **overrides)  # type: ignore[arg-type]


def require_chromium() -> None:
    """Browser tests run in Debian's chromium; without it they skip (and fail under CI)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)"
        )
