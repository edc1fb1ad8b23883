"""SQLite write transactions of one process queue on an in-process lock before SQLite's
own write lock; waiting longer than ``busy_timeout`` behaves exactly as without it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from sos_workforce.core.db import Database, make_engine


def _database(tmp_path: Path, busy_timeout_ms: int) -> Database:
    database = Database(
        make_engine(f"sqlite:///{tmp_path / 'w.db'}", busy_timeout_ms=busy_timeout_ms)
    )
    with database.write() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
    return database


def _hold_write(database: Database, seconds: float, started: threading.Event) -> None:
    with database.write_connection() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        started.set()
        time.sleep(seconds)


def test_a_writer_waits_its_turn_and_both_commit(tmp_path: Path) -> None:
    database = _database(tmp_path, 5_000)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write, args=(database, 0.3, started))
    holder.start()
    started.wait()
    with database.write() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
    holder.join()
    with database.read() as session:
        assert session.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    database.dispose()


def test_a_writer_that_waits_past_busy_timeout_fails_as_locked(tmp_path: Path) -> None:
    database = _database(tmp_path, 200)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write, args=(database, 2.0, started))
    holder.start()
    started.wait()
    begun = time.perf_counter()
    with pytest.raises(OperationalError, match="locked"), database.write() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
    assert time.perf_counter() - begun < 1.5  # no hang: queue wait, then SQLite's own
    holder.join()
    database.dispose()


def test_a_nested_write_in_one_thread_fails_as_locked_rather_than_hanging(
    tmp_path: Path,
) -> None:
    database = _database(tmp_path, 200)
    with database.write() as outer:
        outer.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(OperationalError, match="locked"), database.write() as inner:
            inner.execute(text("INSERT INTO t VALUES (2)"))
    with database.read() as session:
        assert session.execute(text("SELECT n FROM t")).scalars().all() == [1]
    database.dispose()
