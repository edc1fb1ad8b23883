"""Time-use figures on a hand-computed example, disclosure control, change between
periods and the link to confidence, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import delete

from sos_workforce import diaries, surveys
from sos_workforce.access import organisations
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database, alembic_config
from sos_workforce.core.enums import DiaryStatus
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.figures import Spread
from sos_workforce.core.models import DiaryEntry, DiaryParticipant
from sos_workforce.diaries import time_use
from sos_workforce.diaries.codes import diary_codes
from sos_workforce.diaries.days import EntryInput
from tests.support.diary_factories import AFTER, MONDAY, fill, launch, weekdays
from tests.support.factories import World, build_world, release_all
from tests.support.factories import launch as launch_wave
from tests.support.factories import token_of as survey_token

K = 3


def test_shares_and_hours_match_a_hand_computed_example(db: Database, world: World) -> None:
    # Mon 2 – Sun 8 March 2026: 5 weekdays, so the period is 1 week.
    period = launch(
        db,
        world,
        [
            ("W1", "Alpha", "Social worker", 1.0),  # contracted 1.0 × 37 = 37 h
            ("W2", "Alpha", "Social worker", 0.5),  # 18.5 h
            ("W3", "Alpha", "Senior practitioner", 0.8),  # 29.6 h
            ("W4", "Alpha", "Social worker", 1.0),  # takes part, records nothing
        ],
    )
    t = period.tokens
    # W1, Mon–Fri: 120 direct_child + 240 recording + 120 travel = 480 min a day.
    #   5 days: 2400 min = 40 h; direct 600, admin 1200.
    fill(db, t["W1"], weekdays(), [("direct_child", 120), ("recording", 240), ("travel", 120)])
    # W2, Mon–Fri: 120 recording + 120 travel = 240 min a day; 1200 min = 20 h; admin 600.
    fill(db, t["W2"], weekdays(), [("recording", 120), ("travel", 120)])
    # W3, Mon–Wed: 120 direct_family + 240 recording + 240 liaison = 600 min a day;
    #   3 days: 1800 min = 30 h; direct 360, admin 720.
    fill(
        db,
        t["W3"],
        weekdays(count=3),
        [("direct_family", 120), ("recording", 240), ("liaison", 240)],
    )

    report = time_use.time_use_report(db, world.executive, period.period_id, K)
    overall = report.overall
    assert report.weekdays == 5 and report.weeks == 1.0
    assert overall.workers == 3  # W4 recorded nothing: not in the averages
    # Recorded: 2400 + 1200 + 1800 = 5400 min = 90 h.
    assert overall.recorded_hours == 90.0
    # Direct: (600 + 0 + 360) / 5400 = 960 / 5400 = 17.78%.
    assert overall.direct_share == 17.8
    # Recording and admin: (1200 + 600 + 720) / 5400 = 2520 / 5400 = 46.67%.
    assert overall.admin_share == 46.7
    # Hours worked a week, mean over workers: (40 + 20 + 30) / 3 = 30.0.
    assert overall.hours_per_week == 30.0
    # Contracted, mean over the same workers: (37 + 18.5 + 29.6) / 3 = 28.37.
    assert overall.contracted_per_week == 28.4
    assert overall.extra_hours_per_week == 1.6  # 30.0 − 28.4
    # Hours per FTE week: 90 h / ((1.0 + 0.5 + 0.8) FTE × 1 week) = 39.13.
    assert overall.hours_per_fte_week == 39.1
    # Spread of weekly hours 20, 30, 40 (inclusive quartiles): 25, 30, 35.
    assert overall.weekly_hours_spread == Spread(
        contributors=3, median=30.0, lower_quartile=25.0, upper_quartile=35.0
    )
    # Per-worker direct shares 25% (600/2400), 0%, 20% (360/1800): 10, 20, 22.5.
    assert overall.direct_share_spread == Spread(
        contributors=3, median=20.0, lower_quartile=10.0, upper_quartile=22.5
    )
    # Completion: weekdays with entries 5 + 5 + 3 + 0 = 13 of 4 people × 5 = 20: 65%.
    assert report.completion == 65.0
    assert overall.activity_minutes == {
        "direct_child": 600,
        "direct_family": 360,
        "recording": 2520,
        "travel": 1200,  # 600 + 600
        "liaison": 720,
    }
    shares = report.activity_frame(by="group")
    whole = shares[shares["group"] == "All teams"].set_index("activity")["share"]
    assert whole["Case recording and forms"] == 46.7 and whole["Travel"] == 22.2
    assert whole.sum() == pytest.approx(100, abs=0.2)
    [alpha] = report.by_team
    assert alpha.shown and alpha.direct_share == 17.8
    # Roles: 2 social workers with entries (W4 has none) and 1 senior: both under k = 3.
    assert {g.name: g.status for g in report.by_role} == {
        "Senior practitioner": "withheld",
        "Social worker": "withheld",
    }
    frame = report.summary_frame()
    assert frame.loc["All teams", "Direct work %"] == "17.8%"
    assert report.share_table(report.by_role).empty  # every role is withheld
    table = report.share_table()
    assert table.loc["All teams", "Direct work with the child"] == "11.1%"  # 600 / 5400
    assert frame.loc["All teams", "Hours a week: quartiles"] == "25.0 / 30.0 / 35.0"


def test_a_team_of_k_minus_1_is_hidden_and_its_sibling_too(db: Database, world: World) -> None:
    gamma = organisations.create_team(db, world.lead, world.organisation_id, "Gamma")
    world.teams["Gamma"] = gamma
    people = [(f"A{n}", "Alpha", "Social worker", 1.0) for n in range(3)]
    people += [(f"B{n}", "Beta", "Social worker", 1.0) for n in range(2)]  # k − 1
    people += [(f"G{n}", "Gamma", "Social worker", 1.0) for n in range(4)]
    period = launch(db, world, people)
    for ref, token in period.tokens.items():
        fill(db, token, [MONDAY], [("direct_child" if ref[0] == "B" else "travel", 60)])
    report = time_use.time_use_report(db, world.lead, period.period_id, K)
    status = {g.name: g.status for g in report.by_team}
    # Beta (2 < 3) is hidden; then All (9) − Gamma (4) − Alpha (3) = Beta's 2 could be
    # derived, so the next-smallest sibling, Alpha, is hidden too.
    assert status == {"Alpha": "withheld", "Beta": "withheld", "Gamma": "shown"}
    assert report.overall.shown and report.overall.workers == 9
    hidden = [g for g in report.by_team if not g.shown]
    assert all(
        g.direct_share is None and g.workers is None and not g.activity_minutes for g in hidden
    )
    frame = report.summary_frame()
    assert frame.loc["Beta", "Direct work %"] == "fewer than 3"
    assert set(report.activity_frame()["group"]) == {"All teams", "Gamma"}
    # With k = 10 nothing at all is shown, not even the whole period.
    nothing = time_use.time_use_report(db, world.lead, period.period_id, 10)
    assert not nothing.overall.shown and nothing.completion is None
    assert not any(g.shown for g in nothing.by_team)


def test_parent_teams_include_sub_teams_and_roles_are_suppressed(
    db: Database, world: World
) -> None:
    north = organisations.create_team(
        db, world.lead, world.organisation_id, "North", world.teams["Alpha"]
    )
    world.teams["North"] = north
    people = [(f"A{n}", "Alpha", "Social worker", 1.0) for n in range(3)]
    people += [
        (f"N{n}", "North", "Team manager" if n < 2 else "Social worker", 1.0) for n in range(3)
    ]
    period = launch(db, world, people)
    for token in period.tokens.values():
        fill(db, token, [MONDAY], [("recording", 60)])
    report = time_use.time_use_report(db, world.lead, period.period_id, K)
    assert {g.name.strip(): g.workers for g in report.by_team} == {"Alpha": 6, "↳ North": 3}
    # Roles: 4 social workers, 2 team managers: managers hidden, and then social workers
    # too (everyone − social workers = the 2 managers).
    assert {g.name: g.status for g in report.by_role} == {
        "Social worker": "withheld",
        "Team manager": "withheld",
    }


def test_change_between_periods_respects_moved_membership(db: Database, world: World) -> None:
    first_people = [(f"A{n}", "Alpha", "Social worker", 1.0) for n in range(6)]
    first = launch(db, world, first_people, title="Before")
    later_monday = MONDAY + dt.timedelta(days=28)
    second = launch(
        db,
        world,
        first_people + [("A6", "Alpha", "Social worker", 1.0)],
        starts_on=later_monday,
        ends_on=later_monday + dt.timedelta(days=6),
        title="After",
        today=later_monday + dt.timedelta(days=8),
    )
    today = later_monday + dt.timedelta(days=8)
    for token in first.tokens.values():
        fill(db, token, [MONDAY], [("direct_child", 60), ("recording", 240)])
    for token in second.tokens.values():
        fill(db, token, [later_monday], [("direct_child", 120), ("recording", 180)], today=today)
    comparison = time_use.compare_periods(db, world.lead, first.period_id, second.period_id, K)
    whole = comparison.rows[0]
    assert (whole.before.direct_share, whole.after.direct_share) == (20.0, 40.0)
    # 6 workers then 7: one person moved, fewer than k = 3, so no change is shown.
    assert whole.direct_change is None and "changed by fewer than 3" in whole.note
    # Without the seventh worker's entries the groups are the same size.
    diaries.save_day(db, second.tokens["A6"], later_monday, [], today=today)
    comparison = time_use.compare_periods(db, world.lead, first.period_id, second.period_id, K)
    assert comparison.rows[0].direct_change == 20.0
    trend = time_use.period_trend(db, world.executive, world.organisation_id, K)
    assert [p.title for p in trend] == ["Before", "After"]
    assert trend[1].direct_change == 20.0 and trend[0].direct_change is None


def _figures(report: time_use.TimeUseReport) -> tuple[object, ...]:
    return (
        report.participants,
        report.completion,
        report.weekdays,
        report.overall,
        report.by_team,
        report.by_role,
    )


def test_a_closed_period_is_reported_from_its_sealed_totals(db: Database, world: World) -> None:
    people = [
        (f"A{n}", "Alpha", "Social worker" if n % 2 else "Senior practitioner", 0.6 + n / 10)
        for n in range(4)
    ]
    people += [(f"B{n}", "Beta", "Social worker", 0.8) for n in range(4)]
    people.append(("Z1", "Alpha", "Social worker", 1.0))  # takes part, records nothing
    period = launch(db, world, people)
    saturday = MONDAY + dt.timedelta(days=5)
    for index, (ref, token) in enumerate(sorted(period.tokens.items())):
        if ref == "Z1":
            continue
        entries = [("direct_child", 30 + 15 * index), ("recording", 120), ("travel", 45)]
        fill(db, token, weekdays(count=2 + index % 4), entries)
        fill(db, token, [saturday], [("recording", 60)])  # hours worked, not completion
    while_open = time_use.time_use_report(db, world.lead, period.period_id, K)
    # Weekdays with entries: 2+3+4+5 twice = 28 of 9 people × 5 weekdays.
    assert while_open.completion == round(28 / 45 * 100, 1)
    assert while_open.participants == 9 and while_open.overall.workers == 8

    diaries.close_period(db, world.lead, period.period_id)
    closed = time_use.time_use_report(db, world.lead, period.period_id, K)
    assert closed.status is DiaryStatus.CLOSED
    assert _figures(closed) == _figures(while_open)

    # The sealed totals alone carry every figure: without any raw row nothing changes.
    listed = diaries.list_periods(db, world.lead, world.organisation_id, min_group_size=K)
    taking_part = diaries.participation(db, world.lead, period.period_id, min_group_size=K)
    with db.write() as session:
        session.execute(delete(DiaryEntry))
        session.execute(delete(DiaryParticipant))
    assert _figures(time_use.time_use_report(db, world.lead, period.period_id, K)) == _figures(
        while_open
    )
    assert diaries.list_periods(db, world.lead, world.organisation_id, min_group_size=K) == listed
    assert listed[0].participants == 9 and listed[0].recording == 8
    assert diaries.participation(db, world.lead, period.period_id, min_group_size=K) == (
        taking_part
    )
    assert [(t.team, t.participants, t.recording) for t in taking_part] == [
        ("Alpha", 5, 4),
        ("Beta", 4, 4),
    ]


def test_confidence_beside_time_is_team_level_only(db: Database, world: World) -> None:
    people = [(f"A{n}", "Alpha", "Social worker", 1.0) for n in range(4)]
    people += [(f"B{n}", "Beta", "Social worker", 1.0) for n in range(4)]
    period = launch(db, world, people)
    for ref, token in period.tokens.items():
        direct = 120 if ref.startswith("A") else 30
        fill(db, token, [MONDAY], [("direct_family", direct), ("recording", 300 - direct)])
    wave = launch_wave(db, world, {"Alpha": 5, "Beta": 5})
    for link in wave.links:  # Alpha answers, Beta does not
        if link.team == "Alpha":
            surveys.submit_response(db, survey_token(link), {"understanding": 9})
    choices = time_use.matching_waves(db, world.executive, period.period_id)
    assert [c.wave_id for c in choices] == [wave.wave_id] and choices[0].shared_teams == 2
    beside = time_use.confidence_beside_time(db, world.executive, period.period_id, wave.wave_id, K)
    rows = {row.team: row for row in beside.rows}
    assert rows["Alpha"].time.direct_share == 40.0  # 4 × 120 / (4 × 300)
    understanding = next(item for item in beside.items if "principles" in item.lower())
    assert rows["Alpha"].top_shares[understanding] == 100.0
    assert rows["Beta"].time.direct_share == 10.0
    assert rows["Beta"].top_shares[understanding] is None
    points = beside.points(understanding)
    assert list(points["team"]) == ["Alpha"]
    frame = beside.frame(K)
    assert frame.loc["Alpha", f"{understanding}: % 7–10"] == "100.0%"
    assert frame.loc["Beta", f"{understanding}: % 7–10"] == "no responses"
    # With 2 Beta answers, Beta is hidden, and Alpha too (7 − 5 = Beta's 2 by subtraction).
    wave = launch_wave(db, world, {"Alpha": 5, "Beta": 2})
    for link_ in wave.links:
        surveys.submit_response(db, survey_token(link_), {"understanding": 9})
    release_all(db, wave.wave_id)  # Beta's two in the results (steps: test_release)
    hidden = time_use.confidence_beside_time(
        db, world.executive, period.period_id, wave.wave_id, K
    ).frame(K)
    assert set(hidden[f"{understanding}: % 7–10"]) == {"fewer than 3"}


def test_outsiders_and_other_organisations_are_refused(
    db: Database, world: World, settings: Settings
) -> None:
    other = build_world(db, settings, code="elsewhere")
    period = launch(db, world, [("A1", "Alpha", "Social worker", 1.0)])
    other_period = launch(db, other, [("Z1", "Alpha", "Social worker", 1.0)])
    with pytest.raises(PermissionDenied):
        time_use.time_use_report(db, other.executive, period.period_id, K)
    with pytest.raises(PermissionDenied):
        time_use.compare_periods(db, world.lead, period.period_id, other_period.period_id, K)
    with pytest.raises(InvalidInput, match="same organisation"):
        time_use.compare_periods(db, other.admin, period.period_id, other_period.period_id, K)
    assert (
        diaries.list_periods(db, other.lead, other.organisation_id, min_group_size=K)[0].title != ""
    )
    with pytest.raises(InvalidInput):
        diaries.save_day(db, period.tokens["A1"], MONDAY, [EntryInput("travel", -1)], today=AFTER)


def test_the_migration_seals_periods_closed_before_it(
    db: Database, world: World, settings: Settings
) -> None:
    people = [(f"A{n}", "Alpha", "Social worker", 1.0) for n in range(3)]
    people += [(f"B{n}", "Beta", "Senior practitioner", 0.5) for n in range(3)]
    period = launch(db, world, people)
    for n, token in enumerate(period.tokens.values()):
        fill(db, token, weekdays(count=1 + n % 3), [("direct_family", 45 * (n + 1)), ("court", 90)])
    diaries.close_period(db, world.lead, period.period_id)
    sealed = _figures(time_use.time_use_report(db, world.lead, period.period_id, K))
    db.engine.dispose()
    config = alembic_config(settings.resolved_database_url)
    command.downgrade(config, "0012")  # back to before sealed totals existed
    command.upgrade(config, "head")
    assert _figures(time_use.time_use_report(db, world.lead, period.period_id, K)) == sealed


def test_time_use_is_compared_with_other_authorities_where_five_contribute(
    db: Database, world: World, settings: Settings
) -> None:
    ours = launch(db, world, [(f"A{n}", "Alpha", "Social worker", 1.0) for n in range(3)])
    for token in ours.tokens.values():
        fill(db, token, [MONDAY], [("direct_child", 60), ("recording", 240)])  # 20% direct
    others = []
    # Direct minutes of 300: 10%, 20%, 40%, 30%, 50%; the sixth has only 2 recorders.
    shares = ((30, 3), (60, 4), (120, 3), (90, 3), (150, 3), (270, 2))
    for index, (direct, people) in enumerate(shares):
        other = build_world(db, settings, f"other{index}")
        period = launch(
            db, other, [(f"O{n}", "Alpha", "Social worker", 1.0) for n in range(people)]
        )
        for token in period.tokens.values():
            fill(db, token, [MONDAY], [("direct_family", direct), ("travel", 300 - direct)])
        others.append((other, period))

    # While the others' periods are open nothing is compared.
    rows = time_use.compare_with_others(db, world.executive, ours.period_id, K)
    assert rows[0].label == time_use.DIRECT_ROW and rows[0].own_share == 20.0
    assert rows[0].others.contributors == 0 and rows[0].others.median is None

    for other, period in others:
        diaries.close_period(db, other.lead, period.period_id)
    by_label = {
        row.label: row
        for row in time_use.compare_with_others(db, world.executive, ours.period_id, K)
    }
    direct_row = by_label[time_use.DIRECT_ROW]
    # Five authorities with at least k recorders: 10 20 30 40 50 → quartiles 20, 30, 40.
    assert (direct_row.others.contributors, direct_row.others.median) == (5, 30.0)
    assert (direct_row.others.lower_quartile, direct_row.others.upper_quartile) == (20.0, 40.0)
    assert direct_row.neighbours.median is None  # no statistical neighbours chosen
    travel_code = diary_codes().activity("travel")
    assert travel_code is not None
    travel = by_label[travel_code.group]
    # Travel: 90 80 60 70 50 → median 70.
    assert travel.own_share == 0.0 and travel.others.median == 70.0
    with pytest.raises(PermissionDenied):
        time_use.compare_with_others(db, others[0][0].executive, ours.period_id, K)
