"""Migration 0016 on a populated SQLite database: organisations gain their LA code columns
in place; nothing that belongs to them is lost (a table rebuild would have cascaded)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from sos_workforce.core.db import make_engine, upgrade


def test_upgrading_a_populated_database_keeps_organisations_and_their_teams(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'populated.db'}"
    upgrade(url, "0014")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (id, name, code, created_at) "
                "VALUES (1, 'Brent Council', 'brent', '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text("INSERT INTO team (id, organisation_id, name) VALUES (1, 1, 'Localities')")
        )
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM team")).scalar() == 1
        row = connection.execute(
            text("SELECT name, old_la_code, new_la_code FROM organisation")
        ).one()
        assert tuple(row) == ("Brent Council", None, None)
        connection.execute(text("UPDATE organisation SET old_la_code = '304'"))
    engine.dispose()
