"""Alembic environment: the URL comes from the caller's config or from ``Settings``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from sos_workforce.core.config import get_settings
from sos_workforce.core.db import make_engine
from sos_workforce.core.models import Base

# Several app processes may start together on one PostgreSQL database (docs/deploy.md):
# a transaction-scoped advisory lock makes them migrate one after another, so the second
# finds the schema already at head instead of racing the first.
MIGRATION_LOCK_KEY = 0x5050_0001

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        _run_sqlite(connection)
        return
    _migrate(connection)


def _run_sqlite(connection: Connection) -> None:
    # Batch mode rebuilds a table by copying it and dropping the old one; SQLite's DROP
    # TABLE deletes the rows first, so with foreign keys on every ON DELETE CASCADE child
    # would go with it (rebuilding ``organisation`` would empty the database). The pragma
    # only takes effect outside a transaction, hence the raw connection; integrity is
    # checked before the migration is allowed to stand.
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        _migrate(connection, check_foreign_keys=True)
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _migrate(connection: Connection, *, check_foreign_keys: bool = False) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()
        if check_foreign_keys:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"Migration left rows without their parent: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
