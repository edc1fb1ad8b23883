"""Engine factory, unit-of-work sessions and migrations.

SQLite is configured for concurrent use: WAL, ``busy_timeout``, foreign keys, and
``BEGIN IMMEDIATE`` for every write transaction. A deferred transaction that reads and
then writes fails at once with "database is locked" under contention, ignoring
``busy_timeout``; an immediate one queues for the write lock instead. Reads keep a plain
deferred ``BEGIN`` so they never wait for writers (WAL gives them a snapshot).

SQLite admits one writer at a time, and its busy handler waits for the lock by sleeping
(1, 2, 5 … up to 100 ms between tries), so with many writer threads the lock often sits
free while every waiter sleeps. Write transactions of one process therefore queue first
on a lock per engine, which hands over at once; SQLite's own lock and ``busy_timeout``
still order writers across processes. A writer that has waited ``busy_timeout`` for the
in-process lock goes on to SQLite regardless, which then behaves exactly as without it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from sos_workforce.core.config import Settings
from sos_workforce.core.private_files import create_private_file

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_WRITE_OPTION = "sos_write_transaction"


@dataclass(frozen=True)
class _WriterQueue:
    """The in-process queue of an SQLite engine's write transactions."""

    lock: threading.RLock
    wait_seconds: float

    @contextmanager
    def turn(self) -> Iterator[None]:
        # Re-entrant: a nested write in the same thread fails in SQLite as it always did.
        acquired = self.lock.acquire(timeout=self.wait_seconds)
        try:
            yield
        finally:
            if acquired:
                self.lock.release()


_writer_queues: WeakKeyDictionary[Engine, _WriterQueue] = WeakKeyDictionary()


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    _writer_queues[engine] = _WriterQueue(threading.RLock(), busy_timeout_ms / 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the project's SQLite settings applied."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            create_private_file(Path(database))  # SQLite gives its WAL the same mode
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """The application's handle on its database: one engine, short sessions.

    ``read()`` and ``write()`` each open one session for one unit of work and commit (write)
    or roll back (read) when the block ends. Services receive a ``Database``; pages get one
    through ``st.cache_resource`` and never hold a session between reruns.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{_WRITE_OPTION: True})
        queue = _writer_queues.get(engine)
        if queue is None and self.is_sqlite:  # an engine not made by make_engine
            queue = _writer_queues[engine] = _WriterQueue(threading.RLock(), 10.0)
        self._writers = queue

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(
            make_engine(
                settings.resolved_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
            )
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a write transaction, committed on success."""
        with (
            self._write_turn(),
            Session(self._write_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction, committed on success and rolled back
        on any error: the same transaction as ``write()`` without the ORM unit of work,
        for hot paths that use Core statements only (survey submission)."""
        with self._write_turn(), self._write_engine.begin() as connection:
            yield connection

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        if self._writers is None:  # PostgreSQL: row locks, many writers at once
            yield
        else:
            with self._writers.turn():
                yield

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; never commits."""
        with Session(self.engine) as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    """An Alembic ``Config`` pointing at the packaged migrations and ``url``."""
    import sys

    from alembic.config import Config

    # Alembic binds its default stdout at import time; use the current one.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the latest)."""
    from alembic import command

    make_engine(url).dispose()  # creates the SQLite folder if needed
    command.upgrade(alembic_config(url), revision)


def current_revisions(url: str) -> set[str]:
    """Revisions the database at ``url`` is stamped with."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
