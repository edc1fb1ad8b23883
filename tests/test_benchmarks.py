"""Benchmarks against other authorities: de-identified, and only with 3+ contributors."""

from __future__ import annotations

import pytest

from sos_workforce import surveys
from sos_workforce.benchmarks import (
    all_organisations,
    benchmark_wave,
    list_neighbours,
    set_neighbours,
    spread,
)
from sos_workforce.config import Settings
from sos_workforce.db import Database
from sos_workforce.errors import InvalidInput, PermissionDenied
from tests.factories import World, build_world, launch, token_of


def _wave_with_top_share(db: Database, world: World, in_top: int, total: int) -> int:
    launched = launch(db, world, {"Alpha": total})
    for index, link in enumerate(launched.links):
        surveys.submit_response(db, token_of(link), {"understanding": 9 if index < in_top else 2})
    return launched.wave_id


def test_spread_needs_three_contributors_and_uses_inclusive_quartiles() -> None:
    assert spread([50.0, 60.0]).median is None and spread([50.0, 60.0]).contributors == 2
    result = spread([40.0, 50.0, 60.0, 80.0])
    assert (result.lower_quartile, result.median, result.upper_quartile) == (47.5, 55.0, 65.0)


def test_benchmark_shows_others_only_from_three_authorities(
    db: Database, settings: Settings
) -> None:
    home = build_world(db, settings, "home")
    wave_id = _wave_with_top_share(db, home, 6, 10)  # 60%
    others = [build_world(db, settings, code) for code in ("aa", "bb", "cc")]
    _wave_with_top_share(db, others[0], 4, 10)  # 40%
    _wave_with_top_share(db, others[1], 5, 10)  # 50%
    [row] = [
        r for r in benchmark_wave(db, home.executive, wave_id, 5) if r.item_code == "understanding"
    ]
    assert (row.own_share, row.own_n) == (60.0, 10)
    assert row.others.contributors == 2 and row.others.median is None  # only two: withheld
    _wave_with_top_share(db, others[2], 3, 4)  # n = 4 < 5: does not contribute
    [row] = [
        r for r in benchmark_wave(db, home.executive, wave_id, 5) if r.item_code == "understanding"
    ]
    assert row.others.contributors == 2
    extra = build_world(db, settings, "dd")
    _wave_with_top_share(db, extra, 8, 10)  # 80%
    [row] = [
        r for r in benchmark_wave(db, home.executive, wave_id, 5) if r.item_code == "understanding"
    ]
    assert row.others.contributors == 3 and row.others.median == 50.0
    assert (row.others.lower_quartile, row.others.upper_quartile) == (45.0, 65.0)
    assert row.neighbours.contributors == 0 and row.neighbours.median is None
    set_neighbours(
        db,
        home.lead,
        home.organisation_id,
        [others[0].organisation_id, others[1].organisation_id, extra.organisation_id],
    )
    assert sorted(list_neighbours(db, home.executive, home.organisation_id)) == sorted(
        [others[0].organisation_id, others[1].organisation_id, extra.organisation_id]
    )
    [row] = [
        r for r in benchmark_wave(db, home.executive, wave_id, 5) if r.item_code == "understanding"
    ]
    assert row.neighbours.contributors == 3 and row.neighbours.median == 50.0
    assert len(all_organisations(db, home.executive)) == 5


def test_benchmarks_respect_organisation_boundaries(db: Database, settings: Settings) -> None:
    home = build_world(db, settings, "home")
    stranger = build_world(db, settings, "away")
    wave_id = _wave_with_top_share(db, home, 6, 10)
    with pytest.raises(PermissionDenied):
        benchmark_wave(db, stranger.executive, wave_id, 5)
    with pytest.raises(PermissionDenied):
        set_neighbours(db, stranger.lead, home.organisation_id, [])
    with pytest.raises(PermissionDenied):  # executives read, leads edit
        set_neighbours(db, home.executive, home.organisation_id, [])
    with pytest.raises(PermissionDenied):
        list_neighbours(db, stranger.lead, home.organisation_id)
    with pytest.raises(InvalidInput, match="own statistical neighbour"):
        set_neighbours(db, home.lead, home.organisation_id, [home.organisation_id])
    with pytest.raises(InvalidInput, match="does not exist"):
        set_neighbours(db, home.lead, home.organisation_id, [999_999])
    assert list_neighbours(db, home.lead, home.organisation_id) == []
