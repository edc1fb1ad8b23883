"""An SMTP server per test, and settings that send to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sos_workforce.core.config import Settings
from tests.support.smtp import SmtpServer, smtp_server


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with smtp_server(tmp_path) as server:
        yield server


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """The test database's settings with email sent to the test server."""
    return Settings(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        surveys_dir=settings.surveys_dir,
        **smtp.settings(),  # type: ignore[arg-type]
    )
