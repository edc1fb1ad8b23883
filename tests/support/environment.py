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
    engine = make_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_settings(url: str, data_dir: Path, **overrides: object) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, **overrides)  # type: ignore[arg-type]


def require_chromium() -> None:
    """Browser tests run in Debian's chromium; without it they skip (and fail under CI)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)"
        )
