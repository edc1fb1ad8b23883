"""What a process does before it serves anything: bring the schema up to date, then load the
instruments shipped in ``surveys/``. The app, the command line, the demo and the tests all
start through here, so they never see a database in a different state.

It sits above the domains (it syncs the survey and self-profile instruments), beside the
command line, not in ``core``.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database, upgrade
from sos_workforce.profiling import sync_profiles
from sos_workforce.surveys import sync_directory


def sync_instruments(db: Database, surveys_dir: Path) -> None:
    """Register every instrument and self-profile file (all or nothing; idempotent)."""
    with db.write() as session:
        sync_directory(session, surveys_dir)
        sync_profiles(session, surveys_dir)


def prepare_database(settings: Settings) -> Database:
    """Migrate the configured database to head, load the instruments, hand out the engine."""
    upgrade(settings.resolved_database_url)
    database = Database.from_settings(settings)
    sync_instruments(database, settings.surveys_dir)
    return database


_shared: dict[tuple[str, str], Database] = {}
_shared_lock = threading.Lock()


def shared_database(settings: Settings) -> Database:
    """``prepare_database`` once per process and database: the app's pages and its HTTP
    routes (``asgi.py``) share one engine, and two first requests never migrate at once."""
    key = (settings.resolved_database_url, str(settings.surveys_dir))
    with _shared_lock:
        if key not in _shared:
            _shared[key] = prepare_database(settings)
        return _shared[key]
