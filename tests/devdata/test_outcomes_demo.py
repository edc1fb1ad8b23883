"""The demo's fictional outcome series: DfE-shaped, imported through the real import,
marked fictional, the same every time, with a merger and a suppressed cell."""

from __future__ import annotations

import datetime as dt

from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.devdata.outcomes import fictional_census, fictional_files, seed_outcomes
from sos_workforce.dfe import list_dfe_files
from sos_workforce.outcomes import outcome_report
from sos_workforce.workforce import census_report
from tests.support.factories import build_world

TODAY = dt.date(2026, 11, 25)


def test_the_fictional_series_are_labelled_and_complete(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    seed_outcomes(db, organisation_id=world.organisation_id, admin=world.admin, today=TODAY)
    files = list_dfe_files(db, world.admin)
    assert len(files) == 7 and all(f.fictional for f in files)
    report = outcome_report(db, world.executive, world.organisation_id)
    assert report.fictional and not report.missing
    assert report.region_name == "Northern Region (fictional)"
    assert len(report.neighbours) == 10
    for series in report.indicators:
        latest = series.latest
        assert latest is not None and latest.label == "2024-25"  # the year before TODAY
        assert latest.authority.available and latest.england.available
    plans = next(s for s in report.indicators if s.definition.id == "second_or_subsequent_plans")
    assert [r.neighbours.contributors for r in plans.rows[:7]] == [9, 9, 9, 8, 9, 9, 9]


def test_the_fictional_files_are_the_same_every_time() -> None:
    assert fictional_files(TODAY) == fictional_files(TODAY)
    assert fictional_files(TODAY) != fictional_files(TODAY, seed=1)


def test_the_fictional_census_is_labelled_and_its_rates_follow_its_counts(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    seed_outcomes(db, organisation_id=world.organisation_id, admin=world.admin, today=TODAY)
    report = census_report(db, world.executive, world.organisation_id)
    assert report.fictional and not report.missing
    assert [a.name for a in report.areas()] == [
        "Northbridge",
        "Northern Region (fictional)",
        "England",
    ]
    # DfE publishes a September census the February after: by 25 November 2026 the latest
    # is 30 September 2025.
    assert report.years == [2021, 2022, 2023, 2024, 2025]
    northbridge = report.authority
    assert northbridge is not None
    assert northbridge.rate("agency", 2021).display == "0.0%"
    assert northbridge.rate("absence", 2023).display == "not available (c)"
    for area in report.areas():
        for year in area.years:
            for key, rate in year.rates.items():
                if rate.available:
                    assert rate.display == year.worked[key].display, (area.name, year.year)
    assert fictional_census(TODAY) == fictional_census(TODAY)
