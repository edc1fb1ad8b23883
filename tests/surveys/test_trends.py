"""Trends: hand-computed shares, changes, rankings and version breaks."""

from __future__ import annotations

import datetime as dt

import pytest

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import PermissionDenied
from sos_workforce.surveys.instruments import load_instrument_file, register
from sos_workforce.surveys.trends import instrument_trend
from tests.support.factories import build_world, launch, release_all, token_of


def _answer(
    db: Database, launched: surveys.LaunchedWave, tops: dict[str, int], day: dt.date
) -> None:
    """Everyone answers each item; the first ``tops[item]`` answer 9, the rest 2."""
    for index, link in enumerate(launched.links):
        answers = {code: 9 if index < count else 2 for code, count in tops.items()}
        surveys.submit_response(db, token_of(link), answers, today=day)
    release_all(db, launched.wave_id)  # every answer counts here; steps: test_release.py


def test_trend_compares_only_compatible_items(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    start = dt.date.today() - dt.timedelta(days=300)
    wave_a = launch(db, world, {"Alpha": 10}, today=start)
    _answer(db, wave_a, {"understanding": 4, "integration": 5, "train_colleagues": 2}, start)
    mid = start + dt.timedelta(days=100)
    wave_b = launch(db, world, {"Alpha": 10}, today=mid)
    _answer(db, wave_b, {"understanding": 7, "integration": 5, "train_colleagues": 3}, mid)
    # Version 3 rewords "integration": answers are no longer comparable. (The factory
    # launches version 2, which only adds grouping questions: its items join version 1's.)
    v1 = load_instrument_file(settings.surveys_dir / "sos_confidence.yaml")
    sections = [
        s.model_copy(
            update={
                "items": [
                    i.model_copy(update={"text": i.text + " every day"})
                    if i.code == "integration"
                    else i
                    for i in s.items
                ]
            }
        )
        for s in v1.sections
    ]
    with db.write() as session:
        version_3 = register(session, v1.model_copy(update={"version": 3, "sections": sections})).id
    late = mid + dt.timedelta(days=100)
    wave_c = launch(db, world, {"Alpha": 15}, today=late)
    with db.write() as session:  # point this wave at version 3
        from sos_workforce.core.models import Wave

        session.get_one(Wave, wave_c.wave_id).instrument_version_id = version_3
    _answer(db, wave_c, {"understanding": 12, "integration": 3, "train_colleagues": 6}, late)

    trend = instrument_trend(db, world.executive, world.organisation_id, "sos_confidence", 5)
    by = {(p.wave_id, p.item_code): p for p in trend.points}
    assert by[(wave_a.wave_id, "understanding")].top_share == 40.0
    assert by[(wave_b.wave_id, "understanding")].change == 30.0  # 70 - 40
    assert by[(wave_c.wave_id, "understanding")].change == 10.0  # 80 - 70, n moved by 5
    assert by[(wave_c.wave_id, "integration")].top_share == 20.0
    assert by[(wave_c.wave_id, "integration")].change is None  # reworded: not compared
    assert any("Integrated into my work" in note and "version 3" in note for note in trend.notes)
    assert [(p.label, p.change) for p in trend.greatest_progress] == [
        ("Understanding of principles", 40.0),
        ("Can train colleagues", 20.0),
    ]
    assert [(p.label, p.latest_share) for p in trend.weakest] == [
        ("Can train colleagues", 40.0),
        ("Understanding of principles", 80.0),
    ]
    # Items nobody answered are never shown with numbers.
    assert by[(wave_a.wave_id, "advise_colleagues")].top_share is None


def test_change_hidden_when_respondents_move_by_fewer_than_k(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    start = dt.date.today() - dt.timedelta(days=100)
    first = launch(db, world, {"Alpha": 10}, today=start)
    _answer(db, first, {"understanding": 5}, start)
    second = launch(db, world, {"Alpha": 11}, today=start + dt.timedelta(days=50))
    _answer(db, second, {"understanding": 6}, start + dt.timedelta(days=50))
    trend = instrument_trend(db, world.lead, world.organisation_id, "sos_confidence", 5)
    latest = [
        p for p in trend.points if p.wave_id == second.wave_id and p.item_code == "understanding"
    ]
    assert latest[0].top_share == pytest.approx(54.5) and latest[0].change is None
    stranger = build_world(db, settings, "away")
    with pytest.raises(PermissionDenied):
        instrument_trend(db, stranger.lead, world.organisation_id, "sos_confidence", 5)


def test_trend_is_drawn_over_the_implementation_phases() -> None:
    from sos_workforce.core.enums import ImplementationPhase
    from sos_workforce.profiling.timeline import MilestoneEntry, Timeline, phase_spans
    from sos_workforce.reports.charts import trend_chart
    from sos_workforce.surveys.trends import Trend, TrendPoint

    points = [
        TrendPoint(
            w,
            f"Wave {w}",
            dt.date(2024 + w, 10, 1),
            1,
            "understanding",
            "Understanding",
            "f" * 64,
            20,
            share,
            None,
        )
        for w, share in ((1, 40.0), (2, 55.0))
    ]
    timeline = Timeline(
        1,
        dt.date(2024, 1, 1),
        phase_spans(
            {
                ImplementationPhase.PREPARATION: dt.date(2024, 1, 1),
                ImplementationPhase.INTENSIVE_YEAR_1: dt.date(2025, 1, 1),
            }
        ),
        [MilestoneEntry(1, "Practice leads in place", dt.date(2025, 3, 1))],
    )
    plain = trend_chart(Trend(points, [], [], []))
    assert plain is not None and plain.to_dict()["mark"]["type"] == "line"
    with_timeline = trend_chart(Trend(points, [], [], []), timeline)
    assert with_timeline is not None
    layered = with_timeline.to_dict()
    marks = [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        for layer in layered["layer"]
    ]
    assert marks == ["rect", "rule", "line"]
    assert layered["resolve"]["scale"]["color"] == "independent"


def test_greatest_progress_lists_only_rises(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    start = dt.date.today() - dt.timedelta(days=200)
    first = launch(db, world, {"Alpha": 10}, today=start)
    _answer(db, first, {"understanding": 6, "integration": 5, "train_colleagues": 4}, start)
    later = start + dt.timedelta(days=100)
    second = launch(db, world, {"Alpha": 10}, today=later)
    # understanding falls 60 → 30, integration stays at 50, train_colleagues rises 40 → 70.
    _answer(db, second, {"understanding": 3, "integration": 5, "train_colleagues": 7}, later)
    trend = instrument_trend(db, world.executive, world.organisation_id, "sos_confidence", 5)
    assert [(p.label, p.change) for p in trend.greatest_progress] == [
        ("Can train colleagues", 30.0)
    ]
    # Weakest areas still rank every statement compared, falls included.
    assert [(p.label, p.latest_share) for p in trend.weakest] == [
        ("Understanding of principles", 30.0),
        ("Integrated into my work", 50.0),
        ("Can train colleagues", 70.0),
    ]
    last = later + dt.timedelta(days=50)
    third = launch(db, world, {"Alpha": 10}, today=last)
    _answer(db, third, {"understanding": 1, "integration": 5, "train_colleagues": 4}, last)
    trend = instrument_trend(db, world.executive, world.organisation_id, "sos_confidence", 5)
    assert trend.greatest_progress == []  # nothing above its first wave's share
    assert len(trend.weakest) == 3


def test_a_newer_wave_without_figures_leaves_the_progress_so_far(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    start = dt.date.today() - dt.timedelta(days=200)
    first = launch(db, world, {"Alpha": 10}, today=start)
    _answer(db, first, {"understanding": 4}, start)
    later = start + dt.timedelta(days=100)
    second = launch(db, world, {"Alpha": 10}, today=later)
    _answer(db, second, {"understanding": 7}, later)
    launch(db, world, {"Alpha": 10})  # launched today: nobody has answered yet
    trend = instrument_trend(db, world.executive, world.organisation_id, "sos_confidence", 5)
    assert [(p.label, p.change) for p in trend.greatest_progress] == [
        ("Understanding of principles", 30.0)
    ]
    assert [(p.label, p.latest_share) for p in trend.weakest] == [
        ("Understanding of principles", 70.0)
    ]
