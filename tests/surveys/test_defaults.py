"""Defaults that serve: where results pages open, and what a launch still lacks."""

from __future__ import annotations

import datetime as dt

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.surveys import latest_with_results, list_waves, missing_for_launch
from tests.support.factories import build_world, launch, release_all, token_of


def test_results_open_on_the_newest_wave_with_results(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    today = dt.date.today()
    day = today - dt.timedelta(days=60)
    older = launch(db, world, {"Alpha": 8}, today=day)
    for link in older.links[:6]:
        surveys.submit_response(db, token_of(link), {"understanding": 8}, today=day)
    release_all(db, older.wave_id)
    day = today - dt.timedelta(days=30)
    small = launch(db, world, {"Alpha": 8}, today=day)
    for link in small.links[:4]:  # fewer than 5 released: nothing can be shown
        surveys.submit_response(db, token_of(link), {"understanding": 8}, today=day)
    release_all(db, small.wave_id)
    waiting = launch(db, world, {"Alpha": 8}, today=today, live_results=False)
    for link in waiting.links[:6]:  # answered, but results show only at the close
        surveys.submit_response(db, token_of(link), {"understanding": 8})
    launch(db, world, {"Beta": 8}, today=today)  # newest: nobody has answered

    waves = list_waves(db, world.executive, world.organisation_id)
    assert [w.id for w in waves][-1] == older.wave_id  # newest first
    chosen = waves[latest_with_results(waves, 5)]
    assert chosen.id == older.wave_id
    assert latest_with_results(waves, 4) == [w.id for w in waves].index(small.wave_id)

    release_all(db, waiting.wave_id)
    waves = list_waves(db, world.executive, world.organisation_id)
    assert waves[latest_with_results(waves, 5)].id == waiting.wave_id


def test_with_no_results_anywhere_the_newest_wave_is_shown() -> None:
    assert latest_with_results([], 5) == 0


def test_a_launch_names_everything_still_missing() -> None:
    everything = missing_for_launch(
        title=" ", instrument_version_id=None, teams=0, by_roster=False, roster=False
    )
    assert everything == ["a title", "the survey to send", "at least one team"]
    assert missing_for_launch(
        title="Spring", instrument_version_id=None, teams=2, by_roster=False, roster=False
    ) == ["the survey to send"]
    assert missing_for_launch(
        title="Spring", instrument_version_id=3, teams=0, by_roster=True, roster=False
    ) == ["a roster file"]
    assert (
        missing_for_launch(
            title="Spring", instrument_version_id=3, teams=0, by_roster=True, roster=True
        )
        == []
    )
