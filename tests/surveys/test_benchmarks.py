"""Benchmarks against other authorities: de-identified, only with 5+ contributors from a
fixed group."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import select

from sos_workforce import surveys
from sos_workforce.access import organisations
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database, alembic_config
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import ClosedWaveItem, DfeFile, DfeNeighbour, InstrumentItem
from sos_workforce.surveys import erasure as survey_erasure
from sos_workforce.surveys.benchmarks import (
    all_organisations,
    benchmark_wave,
    list_neighbours,
    set_neighbours,
    spread,
)
from tests.support.factories import World, build_world, launch, release_all, token_of


def _wave_with_top_share(db: Database, world: World, in_top: int, total: int) -> int:
    launched = launch(db, world, {"Alpha": total})
    for index, link in enumerate(launched.links):
        surveys.submit_response(db, token_of(link), {"understanding": 9 if index < in_top else 2})
    release_all(db, launched.wave_id)  # every answer counts here; steps: test_release.py
    return launched.wave_id


def test_spread_needs_five_contributors_and_uses_inclusive_quartiles() -> None:
    four = spread([40.0, 50.0, 60.0, 80.0])
    assert four.median is None and four.contributors == 4
    result = spread([30.0, 40.0, 50.0, 60.0, 80.0])
    assert (result.lower_quartile, result.median, result.upper_quartile) == (40.0, 50.0, 60.0)


def _understanding(db: Database, world: World, wave_id: int) -> surveys.BenchmarkRow:
    [row] = [
        r for r in benchmark_wave(db, world.executive, wave_id, 5) if r.item_code == "understanding"
    ]
    return row


def test_benchmark_shows_others_only_from_five_authorities(
    db: Database, settings: Settings
) -> None:
    home = build_world(db, settings, "home")
    wave_id = _wave_with_top_share(db, home, 6, 10)  # 60%
    others = [build_world(db, settings, code) for code in ("aa", "bb", "cc", "dd", "ee", "ff")]
    for world, in_top in zip(others[:4], (4, 5, 8, 7), strict=True):  # 40, 50, 80, 70%
        _wave_with_top_share(db, world, in_top, 10)
    row = _understanding(db, home, wave_id)
    assert (row.own_share, row.own_n) == (60.0, 10)
    assert row.others.contributors == 4 and row.others.median is None  # four: withheld
    _wave_with_top_share(db, others[4], 3, 4)  # n = 4 < 5: does not contribute
    assert _understanding(db, home, wave_id).others.contributors == 4
    _wave_with_top_share(db, others[5], 3, 10)  # 30%
    row = _understanding(db, home, wave_id)
    # 30 40 50 70 80: median 50, inclusive quartiles at positions 1 and 3: 40 and 70
    assert row.others.contributors == 5 and row.others.median == 50.0
    assert (row.others.lower_quartile, row.others.upper_quartile) == (40.0, 70.0)
    assert row.neighbours.contributors == 0 and row.neighbours.median is None
    neighbours = [others[i].organisation_id for i in (0, 1, 2, 3, 5)]
    set_neighbours(db, home.admin, home.organisation_id, neighbours)
    assert sorted(list_neighbours(db, home.executive, home.organisation_id)) == sorted(neighbours)
    row = _understanding(db, home, wave_id)
    assert row.neighbours.contributors == 5 and row.neighbours.median == 50.0
    set_neighbours(db, home.admin, home.organisation_id, neighbours[:4])
    assert _understanding(db, home, wave_id).neighbours.median is None  # four: withheld
    assert len(all_organisations(db, home.executive)) == 7


def test_only_an_administrator_sets_statistical_neighbours(
    db: Database, settings: Settings
) -> None:
    """A lead or executive who could choose the comparator set could make a median of a
    few authorities equal one of them, and recover each by changing the set."""
    home = build_world(db, settings, "home")
    stranger = build_world(db, settings, "away")
    wave_id = _wave_with_top_share(db, home, 6, 10)
    with pytest.raises(PermissionDenied):
        benchmark_wave(db, stranger.executive, wave_id, 5)
    for actor in (stranger.lead, home.lead, home.executive):
        with pytest.raises(PermissionDenied):
            set_neighbours(db, actor, home.organisation_id, [stranger.organisation_id])
    with pytest.raises(PermissionDenied):
        list_neighbours(db, stranger.lead, home.organisation_id)
    with pytest.raises(InvalidInput, match="own statistical neighbour"):
        set_neighbours(db, home.admin, home.organisation_id, [home.organisation_id])
    with pytest.raises(InvalidInput, match="does not exist"):
        set_neighbours(db, home.admin, home.organisation_id, [999_999])
    assert list_neighbours(db, home.lead, home.organisation_id) == []


def _sealed_items(db: Database, wave_id: int) -> dict[str, tuple[int, int]]:
    with db.read() as session:
        return {
            code: (n, top_n)
            for code, n, top_n in session.execute(
                select(InstrumentItem.code, ClosedWaveItem.n, ClosedWaveItem.top_n)
                .join(InstrumentItem, InstrumentItem.id == ClosedWaveItem.item_id)
                .where(ClosedWaveItem.wave_id == wave_id)
            )
        }


def test_closed_waves_give_the_same_benchmark_from_their_sealed_item_counts(
    db: Database, settings: Settings
) -> None:
    """Open waves are summed from team tallies, closed ones read from ``closed_wave_item``;
    closing, reopening and closing again never changes a figure."""
    home = build_world(db, settings, "home")
    wave_id = _wave_with_top_share(db, home, 6, 10)
    others = [build_world(db, settings, code) for code in ("aa", "bb", "cc", "dd", "ee", "ff")]
    shares = [(4, 10), (5, 10), (7, 9), (6, 10), (3, 10), (2, 4)]
    other_waves = [
        _wave_with_top_share(db, world, in_top, total)
        for world, (in_top, total) in zip(others, shares, strict=True)
    ]
    set_neighbours(db, home.admin, home.organisation_id, [w.organisation_id for w in others[:5]])
    all_open = benchmark_wave(db, home.executive, wave_id, 5)
    [row] = [r for r in all_open if r.item_code == "understanding"]
    # 30, 40, 50, 60, 77.8 (7 of 9); the sixth has n = 4 < 5: median 50
    assert (row.own_share, row.others.contributors, row.others.median) == (60.0, 5, 50.0)
    assert row.neighbours.median == 50.0

    for world, other in zip([home, *others], [wave_id, *other_waves], strict=True):
        surveys.close_wave(db, world.lead, other)
    assert _sealed_items(db, other_waves[2]) == {"understanding": (9, 7)}
    assert _sealed_items(db, other_waves[5]) == {"understanding": (4, 2)}  # n < k: kept
    assert benchmark_wave(db, home.executive, wave_id, 5) == all_open

    surveys.reopen_wave(
        db,
        others[0].lead,
        other_waves[0],
        reason="One team was on leave for the whole fortnight",
        closes_on=dt.date.today() + dt.timedelta(days=3),
    )
    assert _sealed_items(db, other_waves[0]) == {}
    assert benchmark_wave(db, home.executive, wave_id, 5) == all_open
    surveys.close_wave(db, others[0].lead, other_waves[0])
    assert _sealed_items(db, other_waves[0]) == {"understanding": (10, 4)}
    assert benchmark_wave(db, home.executive, wave_id, 5) == all_open
    assert benchmark_wave(db, home.executive, wave_id, 3) != all_open  # n = 4 now counts


def test_erasure_reseals_the_item_counts(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    launched = launch(db, world, {"Alpha": 6}, allow_identified=True)
    tokens = [token_of(link) for link in launched.links]
    surveys.submit_response(
        db,
        tokens[0],
        {"understanding": 10},
        identity=surveys.Identity("Asks To Be Erased", "erase.me@x.gov.uk"),
    )
    for token in tokens[1:]:
        surveys.submit_response(db, token, {"understanding": 2})
    release_all(db, launched.wave_id)
    surveys.close_wave(db, world.lead, launched.wave_id)
    assert _sealed_items(db, launched.wave_id) == {"understanding": (6, 1)}
    survey_erasure.erase_respondent(db, world.admin, world.organisation_id, "erase.me@x.gov.uk")
    assert _sealed_items(db, launched.wave_id) == {"understanding": (5, 0)}


def test_the_migration_fills_item_counts_for_waves_closed_before_it(
    db: Database, settings: Settings
) -> None:
    home = build_world(db, settings, "home")
    wave_id = _wave_with_top_share(db, home, 6, 10)
    others = [build_world(db, settings, code) for code in ("aa", "bb", "cc")]
    other_waves = [
        _wave_with_top_share(db, world, in_top, 10)
        for world, in_top in zip(others, (4, 5, 8), strict=True)
    ]
    for world, other in zip([home, *others], [wave_id, *other_waves], strict=True):
        surveys.close_wave(db, world.lead, other)
    sealed = {w: _sealed_items(db, w) for w in [wave_id, *other_waves]}
    figures = benchmark_wave(db, home.executive, wave_id, 5)
    db.engine.dispose()
    config = alembic_config(settings.resolved_database_url)
    command.downgrade(config, "0013")  # back to before the item counts existed
    command.upgrade(config, "head")
    assert {w: _sealed_items(db, w) for w in sealed} == sealed
    assert benchmark_wave(db, home.executive, wave_id, 5) == figures


def test_dfe_statistical_neighbours_are_the_comparator_group_once_la_codes_are_set(
    db: Database, settings: Settings
) -> None:
    """With its LA code and DfE's neighbour model imported, an authority's neighbours are
    the model's (those using the app), whatever set an administrator kept before."""
    home = build_world(db, settings, "home")
    wave_id = _wave_with_top_share(db, home, 6, 10)
    model_codes = ["301", "302", "303", "304", "305", "306"]
    worlds = [build_world(db, settings, f"n{code}") for code in model_codes]
    elsewhere = [build_world(db, settings, code) for code in ("x1", "x2", "x3", "x4", "x5")]
    for world, in_top in zip(worlds, (2, 3, 4, 5, 7, 8), strict=True):
        _wave_with_top_share(db, world, in_top, 10)
    for world in elsewhere:
        _wave_with_top_share(db, world, 9, 10)
    set_neighbours(db, home.admin, home.organisation_id, [w.organisation_id for w in elsewhere])
    assert _understanding(db, home, wave_id).neighbours.median == 90.0  # the administrator's
    organisations.set_la_codes(
        db, home.admin, home.organisation_id, old_la_code="300", new_la_code=None
    )
    for world, code in zip(worlds, model_codes, strict=True):
        organisations.set_la_codes(
            db, home.admin, world.organisation_id, old_la_code=code, new_la_code=None
        )
    with db.write() as session:
        model = DfeFile(
            source="statistical_neighbours",
            file_name="sn.csv",
            checksum="0" * 64,
            rows=10,
            figures=10,
        )
        session.add(model)
        session.flush()
        session.add_all(
            DfeNeighbour(
                file_id=model.id,
                old_la_code="300",
                rank=rank,
                la_name="Home",
                neighbour_code=code,
                closeness="Close",
            )
            for rank, code in enumerate([*model_codes[:5], "399"], 1)  # 399: not using the app
        )
    row = _understanding(db, home, wave_id)
    # 20 30 40 50 70 (the sixth code is not in the model's ten): median 40
    assert (row.neighbours.contributors, row.neighbours.median) == (5, 40.0)
    assert sorted(list_neighbours(db, home.lead, home.organisation_id)) == sorted(
        w.organisation_id for w in worlds[:5]
    )
