"""Crash safety, backups and migrations on populated databases (SQLite)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from sos_workforce import config
from sos_workforce.cli import app
from sos_workforce.config import Settings
from sos_workforce.db import Database
from sos_workforce.errors import InvalidInput
from sos_workforce.maintenance import backup_sqlite, integrity_problems
from sos_workforce.models import Answer, Response
from tests.factories import build_world, launch, token_of

ROOT = Path(__file__).resolve().parent.parent


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def sqlite_world(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(database_url=sqlite_url, data_dir=tmp_path)
    database = Database.from_settings(settings)
    yield database, build_world(database, settings), sqlite_url
    database.dispose()


def test_sigkill_during_submissions_loses_nothing_acknowledged(
    sqlite_world, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    database, world, url = sqlite_world
    launched = launch(database, world, {"Alpha": 400})
    links = tmp_path / "links.txt"
    links.write_text("\n".join(token_of(link) for link in launched.links))
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "submit_stream.py"), url, str(links)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    acknowledged = -1
    for line in process.stdout:
        acknowledged = int(line)
        if acknowledged >= 60:
            break
    process.send_signal(signal.SIGKILL)  # mid-stream, no chance to clean up
    process.wait()
    assert process.returncode == -signal.SIGKILL
    stored = _count(database, Response)
    # Every acknowledged response is there (one more may have committed unacknowledged).
    assert acknowledged + 1 <= stored <= acknowledged + 2
    assert _count(database, Answer) == stored
    assert integrity_problems(Path(url.removeprefix("sqlite:///"))) == []


def test_backup_while_in_use_restores_to_the_same_data(sqlite_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sos_workforce import surveys

    database, world, url = sqlite_world
    launched = launch(database, world, {"Alpha": 8})
    for link in launched.links[:6]:
        surveys.submit_response(database, token_of(link), {"understanding": 7})
    reader = sqlite3.connect(url.removeprefix("sqlite:///"))  # an open reader, as in the app
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM response").fetchone()
    backup = backup_sqlite(url, tmp_path / "backups" / "copy.db")
    reader.rollback()
    reader.close()
    restored = Database.from_settings(
        Settings(database_url=f"sqlite:///{backup}", data_dir=tmp_path)
    )
    assert _count(restored, Response) == 6 and _count(restored, Answer) == 6
    restored.dispose()
    assert integrity_problems(backup) == []
    with pytest.raises(InvalidInput, match="already exists"):
        backup_sqlite(url, backup)
    with pytest.raises(InvalidInput, match="pg_dump"):
        backup_sqlite("postgresql+psycopg://x@localhost/db", tmp_path / "pg.db")


def test_backup_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOS_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["db", "backup", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    again = runner.invoke(app, ["db", "backup", str(tmp_path / "b.db")])
    assert again.exit_code == 1 and "already exists" in again.output
    config.get_settings.cache_clear()
