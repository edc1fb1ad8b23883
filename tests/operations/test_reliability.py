"""Crash safety, backups and migrations on populated databases (SQLite)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from sos_workforce.cli import app
from sos_workforce.core import config
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.models import Answer, Response
from sos_workforce.maintenance import backup_sqlite, integrity_problems
from tests.support.factories import World, build_world, launch, stored_responses, token_of

ROOT = Path(__file__).resolve().parents[2]

SqliteWorld = tuple[Database, World, str]  # the database, its world and its URL


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def sqlite_world(sqlite_url: str, tmp_path: Path) -> Iterator[SqliteWorld]:
    settings = Settings(database_url=sqlite_url, data_dir=tmp_path)
    database = Database.from_settings(settings)
    yield database, build_world(database, settings), sqlite_url
    database.dispose()


def test_sigkill_during_submissions_loses_nothing_acknowledged(
    sqlite_world: SqliteWorld, tmp_path: Path
) -> None:
    database, world, url = sqlite_world
    launched = launch(database, world, {"Alpha": 400})
    links = tmp_path / "links.txt"
    links.write_text("\n".join(token_of(link) for link in launched.links))
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "support" / "submit_stream.py"), url, str(links)],
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
    # The stream may have acknowledged more while this test read line 60 (a busy machine):
    # every line it printed before the kill is an acknowledgement.
    for line in process.stdout.read().splitlines():
        acknowledged = int(line)
    stored = stored_responses(database)  # released into the results or waiting for a step
    # Every acknowledged response is there (one more may have committed unacknowledged).
    assert acknowledged + 1 <= stored <= acknowledged + 2
    assert _count(database, Answer) == _count(database, Response)
    assert integrity_problems(Path(url.removeprefix("sqlite:///"))) == []


def test_backup_while_in_use_restores_to_the_same_data(
    sqlite_world: SqliteWorld, tmp_path: Path
) -> None:
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
    # Five in the results (one step) and one waiting: both kinds survive the backup.
    assert stored_responses(restored) == 6
    assert _count(restored, Response) == 5 and _count(restored, Answer) == 5
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


def _roster_csv(rows: int) -> bytes:
    lines = ["Staff id,Team,Role,Employment type,FTE,Start date"]
    lines += [
        f"S{index:06d},Team {index % 40},Social worker,"
        f"{'agency' if index % 7 == 0 else 'permanent'},1.0,01/09/2020"
        for index in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_sigkill_inside_a_bulk_import_leaves_nothing_half_imported(
    sqlite_world: SqliteWorld, tmp_path: Path
) -> None:
    import datetime as dt
    import json

    from sos_workforce.core.models import AuditEvent, RosterMember, RosterSnapshot
    from sos_workforce.workforce.rosters import import_roster

    database, world, url = sqlite_world
    rows = 60_000  # large enough that SQLite spills uncommitted pages to the WAL file
    roster = tmp_path / "roster.csv"
    roster.write_bytes(_roster_csv(rows))
    lead = world.lead
    actor = json.dumps(
        {
            "user_id": lead.user_id,
            "email": lead.email,
            "display_name": lead.display_name,
            "role": lead.role.value,
            "organisation_ids": sorted(lead.organisation_ids),
        }
    )
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "support" / "import_process.py"),
            url,
            actor,
            str(roster),
            "2024-09-30",
            "--pause-in-transaction",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line.strip())
        if line.startswith("written"):
            break
    # Every member row is in the open transaction, uncommitted: kill now.
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert seen[-1] == f"written {rows}", seen
    path = Path(url.removeprefix("sqlite:///"))
    assert Path(f"{path}-wal").stat().st_size > 1_000_000  # uncommitted pages reached disk

    # "Restart": a fresh engine recovers the database from the WAL.
    database.dispose()
    restarted = Database.from_settings(Settings(database_url=url, data_dir=tmp_path))
    assert _count(restarted, RosterSnapshot) == 0
    assert _count(restarted, RosterMember) == 0
    with restarted.read() as session:
        imported = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "roster_imported")
        )
    assert imported == 0
    assert integrity_problems(path) == []

    # The same import now succeeds, whole.
    result = import_roster(
        restarted,
        lead,
        world.organisation_id,
        data=roster.read_bytes(),
        filename="roster.csv",
        as_of=dt.date(2024, 9, 30),
    )
    assert result.created and result.rows == rows
    assert _count(restarted, RosterMember) == rows
    assert integrity_problems(path) == []
    restarted.dispose()
