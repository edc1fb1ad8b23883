"""Backups and integrity checks.

SQLite: ``backup_sqlite`` uses SQLite's online backup API, so a consistent copy is taken
while the app keeps serving. PostgreSQL: use ``pg_dump`` (see README, "Backups").
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from sos_workforce.errors import InvalidInput


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
    destination.parent.mkdir(parents=True, exist_ok=True)
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
