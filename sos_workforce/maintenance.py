"""Operations across the domains: backups, integrity checks and the retention purge.

SQLite: ``backup_sqlite`` uses SQLite's online backup API, so a consistent copy is taken
while the app keeps serving. PostgreSQL: use ``pg_dump`` (see README, "Backups").
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from sos_workforce.access import Actor, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.private_files import create_private_file
from sos_workforce.diaries import purge_expired_periods
from sos_workforce.surveys import expire_open_starts, purge_expired_waves


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise InvalidInput(
            "This command works on the SQLite database. For PostgreSQL use pg_dump "
            "(see README, Backups)."
        )
    return Path(parsed.database)


def backup_sqlite(url: str, destination: Path) -> Path:
    """Copy the live database at ``url`` to ``destination`` (which must not exist)."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise InvalidInput(f"There is no database at {source_path}.")
    if destination.exists():
        raise InvalidInput(f"{destination} already exists; choose a new file name.")
    create_private_file(destination)  # as protected as the live database
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(destination)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()
    problems = integrity_problems(destination)
    if problems:
        destination.unlink()
        raise InvalidInput(f"The backup failed its integrity check: {problems[0]}")
    return destination


def integrity_problems(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` findings; an empty list means the file is sound."""
    connection = sqlite3.connect(path)
    try:
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()
    return [] if rows == ["ok"] else rows


@dataclass(frozen=True)
class PurgeResult:
    waves: int
    responses: int
    comments: int
    diary_periods: int = 0
    diary_entries: int = 0
    open_link_starts: int = 0


def purge_expired(
    db: Database,
    actor: Actor | None,
    *,
    today: dt.date | None = None,
    system: bool = False,
    now: dt.datetime | None = None,
    open_link_expiry_hours: int = 24,
) -> PurgeResult:
    """Delete raw responses, answers, comments, drafts and links of waves that closed more
    than their organisation's retention period ago, and the entries, participants and
    import records of diary periods that ended (and closed) that long ago, and unfinished
    open-link starts older than ``open_link_expiry_hours``. Aggregates stay.
    ``system`` is the scheduled command (no signed-in user); otherwise an administrator."""
    if not system:
        require(actor, Role.ADMIN)
    today = today or dt.date.today()
    with db.write() as session:
        waves, responses, comments = purge_expired_waves(session, actor, today)
        periods, entries = purge_expired_periods(session, actor, today)
        starts = expire_open_starts(session, now or dt.datetime.now(dt.UTC), open_link_expiry_hours)
    return PurgeResult(waves, responses, comments, periods, entries, starts)
