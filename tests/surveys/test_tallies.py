"""Tallies always equal a recount of the raw rows, under concurrency and after upgrades."""

from __future__ import annotations

import random
import threading
from pathlib import Path

from sqlalchemy import text

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database, make_engine, upgrade
from sos_workforce.surveys.results import wave_band_tables
from tests.support.database import recount
from tests.support.factories import build_world, launch, release_all, stored_responses, token_of


def test_concurrent_submissions_to_one_team_keep_tallies_exact(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    launched = launch(db, world, {"Alpha": 64, "Beta": 16})
    rng = random.Random(7)
    jobs = [
        (token_of(link), {"understanding": rng.randint(1, 10), "integration": rng.randint(1, 10)})
        for link in launched.links
    ]
    errors: list[BaseException] = []

    def worker(chunk: list[tuple[str, dict[str, int]]]) -> None:
        for token, answers in chunk:
            try:
                surveys.submit_response(db, token, answers)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(jobs[i::16],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stored_responses(db) == 80  # in the results or waiting for the next step
    release_all(db, launched.wave_id)
    _, people = recount(db)
    assert sum(people.values()) == 80


def test_a_populated_database_upgrades_with_tallies_backfilled(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as connection:
        for statement in [
            "INSERT INTO organisation (id, name, code, created_at)"
            " VALUES (1, 'Old', 'old', '2020-01-01')",
            "INSERT INTO team (id, organisation_id, name) VALUES (1, 1, 'A')",
            "INSERT INTO user_account (id, email, display_name, role, is_active,"
            " failed_login_count, created_at)"
            " VALUES (1, 'l@x.example', 'L', 'lead', 1, 0, '2020-01-01')",
            "INSERT INTO membership (user_id, organisation_id) VALUES (1, 1)",
        ]:
            connection.execute(text(statement))
    engine.dispose()
    settings = Settings(database_url=url, data_dir=tmp_path)
    database = Database.from_settings(settings)
    # Register the real instrument at 0001 through the same code the app used then.
    from sos_workforce.surveys.instruments import load_instrument_file, register

    with database.write() as session:
        # Today's register() reads the owner column migration 0029 adds: the 0001 table
        # has it only while registering, so the upgrade below adds it as it would.
        session.execute(text("ALTER TABLE instrument ADD COLUMN organisation_id INTEGER"))
        register(session, load_instrument_file(settings.surveys_dir / "sos_confidence.yaml"))
        session.execute(text("ALTER TABLE instrument DROP COLUMN organisation_id"))
        item = session.execute(
            text("SELECT id FROM instrument_item WHERE code = 'understanding'")
        ).scalar_one()
        version = session.execute(text("SELECT id FROM instrument_version")).scalar_one()
        session.execute(
            text(
                "INSERT INTO wave (id, organisation_id, instrument_version_id, title, status,"
                " opens_on, closes_on, allow_identified, created_at)"
                " VALUES (1, 1, :v, 'W', 'closed', '2020-01-01', '2020-01-31', 0, '2020-01-01')"
            ),
            {"v": version},
        )
        for response_id in range(1, 7):
            session.execute(
                text(
                    "INSERT INTO response (id, wave_id, team_id, submitted_on, channel) VALUES"
                    " (:r, 1, 1, '2020-01-05', 'personal_link')"
                ),
                {"r": response_id},
            )
            session.execute(
                text("INSERT INTO answer (response_id, item_id, value) VALUES (:r, :i, :v)"),
                {"r": response_id, "i": item, "v": 4 + response_id},
            )
    database.dispose()

    upgrade(url)  # 0001 → head on a populated database
    database = Database.from_settings(settings)
    answers, people = recount(database)
    assert people == {(1, 1): 6} and sum(answers.values()) == 6
    from sos_workforce.access.auth import Actor
    from sos_workforce.core.enums import Role

    lead = Actor(1, "l@x.example", "L", Role.LEAD, frozenset({1}))
    [table] = wave_band_tables(database, lead, 1, min_group_size=5)
    assert table.rows[0].counts == (0, 2, 4)  # values 5..10: 5, 6 | 7, 8, 9, 10
    database.dispose()
