"""The synthetic data generator: consistent tallies, usable by every report."""

from __future__ import annotations

from sqlalchemy import select

from sos_workforce.access.auth import Actor
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import Wave
from sos_workforce.devdata import generate_synthetic
from sos_workforce.surveys.benchmarks import benchmark_wave
from sos_workforce.surveys.results import WHOLE_WAVE, load_wave_counts
from tests.support.database import recount


def test_small_preset_is_consistent_and_reportable(db: Database) -> None:
    report = generate_synthetic(db, orgs=4, staff=200, waves=2, items=6, diary_periods=1, seed=3)
    assert (report.organisations, report.waves) == (4, 8)
    assert 0.7 * 200 * 2 <= report.responses <= 200 * 2
    answers, people = recount(db)  # tallies equal a recount of the raw rows
    assert sum(answers.values()) == report.answers and sum(people.values()) == report.responses
    with db.read() as session:
        wave_id = session.scalars(select(Wave.id).order_by(Wave.id.desc())).first()
    assert wave_id is not None
    admin = Actor(1, "a@x.example", "A", Role.ADMIN)
    [table] = load_wave_counts(db, admin, wave_id).tables_for(WHOLE_WAVE, 5)
    assert table.respondents is not None and all(row.n for row in table.rows)
    rows = benchmark_wave(db, admin, wave_id, 5)
    assert all(row.others.contributors == 3 for row in rows)

    # Diaries: about 85% of 200 staff keep one week, 9–13 entries a weekday.
    assert 0.7 * 200 * 9 <= report.diary_entries <= 200 * 6 * 13
    from sos_workforce.diaries.periods import list_periods
    from sos_workforce.diaries.time_use import time_use_report

    [period] = list_periods(db, admin, 1, min_group_size=5)
    figures = time_use_report(db, admin, period.id, 5)
    assert figures.overall.shown and 8 <= (figures.overall.direct_share or 0) <= 25
    assert 40 <= (figures.overall.hours_per_fte_week or 0) <= 55
