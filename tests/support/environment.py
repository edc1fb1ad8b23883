"""Test environment helpers shared by conftest files and tests (not fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from sos_workforce.core.config import Settings
from sos_workforce.core.db import make_engine
from sos_workforce.core.models import Base
from tests.support.browser import CHROMIUM

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


def make_settings(url: str, data_dir: Path, **overrides: object) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, **overrides)  # type: ignore[arg-type]


def require_chromium() -> None:
    """Browser tests run in Debian's chromium; without it they skip (and fail under CI)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)"
        )
