"""The scrutiny report's greatest progress lists rises only, and says so when none."""

from __future__ import annotations

import datetime as dt

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.reports.scrutiny import scrutiny_report
from tests.support.factories import World, build_world, launch, release_all, token_of


def _wave(db: Database, world: World, tops: int, day: dt.date) -> int:
    """Ten answer "understanding": the first ``tops`` in the top band, the rest low."""
    launched = launch(db, world, {"Alpha": 10}, today=day)
    for index, link in enumerate(launched.links):
        answer = {"understanding": 9 if index < tops else 2}
        surveys.submit_response(db, token_of(link), answer, today=day)
    release_all(db, launched.wave_id)
    return launched.wave_id


def test_the_report_says_plainly_when_nothing_rose(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    start = dt.date.today() - dt.timedelta(days=200)
    _wave(db, world, 6, start)
    fell = _wave(db, world, 3, start + dt.timedelta(days=100))
    html = scrutiny_report(db, world.executive, world.organisation_id, fell, 5)
    assert "Greatest progress: no statement" in html
    assert "Understanding of principles (-30.0 points)" not in html
    assert "Weakest areas: Understanding of principles (30.0%)" in html

    rose = _wave(db, world, 9, dt.date.today())
    html = scrutiny_report(db, world.executive, world.organisation_id, rose, 5)
    assert "Greatest progress: Understanding of principles (+30.0 points)." in html
