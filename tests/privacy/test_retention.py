"""Retention purge keeps every result; erasure of an identified respondent subtracts them;
both audited and refused to the wrong people; both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from sos_workforce import diaries, maintenance, surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, LinkRefused, NotFound, PermissionDenied
from sos_workforce.core.models import (
    Answer,
    AuditEvent,
    ClosedWaveTally,
    DiaryEntry,
    DiaryParticipant,
    Invitation,
    Response,
    TextAnswer,
)
from sos_workforce.diaries import erasure as diary_erasure
from sos_workforce.diaries import time_use
from sos_workforce.privacy import retention
from sos_workforce.surveys import erasure as survey_erasure
from sos_workforce.surveys.results import WHOLE_WAVE, load_wave_counts
from sos_workforce.surveys.trends import instrument_trend
from tests.support.diary_factories import MONDAY as DIARY_MONDAY
from tests.support.diary_factories import fill as diary_fill
from tests.support.diary_factories import launch as diary_launch
from tests.support.factories import World, build_world, launch, release_all, token_of

TODAY = dt.date.today()
DAY = dt.timedelta(days=1)


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _results(db: Database, world: World, wave_id: int) -> tuple[object, ...]:
    counts = load_wave_counts(db, world.executive, wave_id)
    tables = counts.tables_for(WHOLE_WAVE, 5)
    trend = instrument_trend(db, world.executive, world.organisation_id, "sos_confidence", 5)
    return (
        [(r.item_code, r.counts) for t in tables for r in t.rows],
        tables[0].respondents,
        [(p.wave_id, p.item_code, p.top_share) for p in trend.points],
    )


def test_purge_deletes_raw_rows_past_retention_and_keeps_every_result(
    db: Database, world: World
) -> None:
    opened = TODAY - dt.timedelta(days=400)
    old = launch(db, world, {"Alpha": 8}, today=opened, allow_identified=True)
    for index, link in enumerate(old.links):
        surveys.submit_response(
            db,
            token_of(link),
            {"understanding": 3 + index % 7, "integration": 8},
            identity=surveys.Identity("Named Person", "n@x.gov.uk") if index == 0 else None,
            today=opened,
        )
    release_all(db, old.wave_id)  # every answer in the results (held back: test_release)
    surveys.close_wave(db, world.lead, old.wave_id)
    recent = launch(db, world, {"Alpha": 6})
    for link in recent.links:
        surveys.submit_response(db, token_of(link), {"understanding": 9})
    release_all(db, recent.wave_id)
    surveys.close_wave(db, world.lead, recent.wave_id)
    before_old, before_recent = (
        _results(db, world, old.wave_id),
        _results(db, world, recent.wave_id),
    )

    with pytest.raises(PermissionDenied):
        retention.set_retention(db, world.lead, world.organisation_id, 365)
    with pytest.raises(InvalidInput, match="between"):
        retention.set_retention(db, world.admin, world.organisation_id, 5)
    nothing = maintenance.purge_expired(db, world.admin)  # no retention period set
    assert nothing.responses == 0 and _count(db, Response) == 14
    retention.set_retention(db, world.admin, world.organisation_id, 365)
    with pytest.raises(PermissionDenied):
        maintenance.purge_expired(db, world.lead)
    result = maintenance.purge_expired(db, world.admin)
    assert (result.waves, result.responses) == (1, 8)
    assert _count(db, Response) == 6 and _count(db, Answer) == 6
    with db.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.wave_id == old.wave_id)
            )
            == 0
        )
        names = session.scalars(select(Response.respondent_name)).all()
    assert "Named Person" not in names
    assert _results(db, world, old.wave_id) == before_old
    assert _results(db, world, recent.wave_id) == before_recent
    again = maintenance.purge_expired(db, None, system=True)
    assert again.waves == 0
    with db.read() as session:
        purged = session.scalars(
            select(AuditEvent.count).where(AuditEvent.action == "responses_purged")
        ).all()
    assert purged == [8]


def test_erasure_subtracts_an_identified_respondent_everywhere(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 7}, allow_identified=True)
    tokens = [token_of(link) for link in launched.links]
    surveys.submit_response(
        db,
        tokens[0],
        {"understanding": 1, "employment_type": 2},
        identity=surveys.Identity("Asks To Be Erased", "Erase.Me@x.gov.uk"),
    )
    for token in tokens[1:]:
        surveys.submit_response(db, token, {"understanding": 9})
    surveys.close_wave(db, world.lead, launched.wave_id)
    with db.read() as session:
        sealed_before = session.scalar(select(func.sum(ClosedWaveTally.n)))
    assert sealed_before == 8  # 7 understanding + 1 employment type

    with pytest.raises(PermissionDenied):
        survey_erasure.erase_respondent(db, world.lead, world.organisation_id, "erase.me@x.gov.uk")
    outsider = build_world(db, Settings(), "away")
    with pytest.raises(PermissionDenied):
        survey_erasure.erase_respondent(db, outsider.lead, world.organisation_id, "a@b")
    with pytest.raises(NotFound):
        survey_erasure.erase_respondent(db, world.admin, outsider.organisation_id + 99, "a@b")
    with pytest.raises(InvalidInput):
        survey_erasure.erase_respondent(db, world.admin, world.organisation_id, "no address")
    erased = survey_erasure.erase_respondent(
        db, world.admin, world.organisation_id, " erase.me@X.gov.uk "
    )
    assert erased == 1
    counts = load_wave_counts(db, world.executive, launched.wave_id)
    table = counts.tables_for(WHOLE_WAVE, 5)[0]
    assert table.respondents == 6
    assert table.rows[0].counts == (0, 0, 6)  # the 1 is gone
    assert counts.filter_options() == {}  # their grouping answer is gone too
    with db.read() as session:
        assert session.scalar(select(func.sum(ClosedWaveTally.n))) == 6
        assert session.scalar(select(func.count()).select_from(Response)) == 6
        assert session.scalars(
            select(AuditEvent.count).where(AuditEvent.action == "respondent_erased")
        ).all() == [1]
    assert (
        survey_erasure.erase_respondent(db, world.admin, world.organisation_id, "erase.me@x.gov.uk")
        == 0
    )


def test_comments_are_purged_with_their_wave(db: Database, world: World) -> None:
    opened = TODAY - dt.timedelta(days=100)
    launched = launch(db, world, {"Alpha": 3}, today=opened, instrument="three_columns")
    for link in launched.links:
        surveys.submit_response(db, token_of(link), {"working_well": "Mapping"}, today=opened)
    surveys.close_wave(db, world.lead, launched.wave_id)
    retention.set_retention(db, world.admin, world.organisation_id, 60)
    result = maintenance.purge_expired(db, world.admin)
    assert result.comments == 3 and _count(db, TextAnswer) == 0


def _time_use_figures(db: Database, world: World, period_id: int) -> tuple[object, ...]:
    report = time_use.time_use_report(db, world.executive, period_id, 3)
    return (report.participants, report.completion, report.overall, report.by_team, report.by_role)


def test_diary_purge_deletes_entries_and_staff_ids_and_keeps_time_use(
    db: Database, world: World
) -> None:
    old_monday = TODAY - dt.timedelta(days=TODAY.weekday() + 7 * 60)
    people = [(f"S{n}", "Alpha" if n < 4 else "Beta", "Social worker", 1.0) for n in range(8)]
    week = dt.timedelta(days=6)
    old = diary_launch(
        db, world, people, starts_on=old_monday, ends_on=old_monday + week, today=old_monday
    )
    still_open = diary_launch(
        db,
        world,
        people,
        starts_on=old_monday + 7 * DAY,
        ends_on=old_monday + 7 * DAY + week,
        today=old_monday,
    )
    recent_monday = TODAY - dt.timedelta(days=TODAY.weekday() + 14)
    recent = diary_launch(
        db,
        world,
        people,
        starts_on=recent_monday,
        ends_on=recent_monday + week,
        today=recent_monday,
    )
    for period, monday in (
        (old, old_monday),
        (still_open, old_monday + 7 * DAY),
        (recent, recent_monday),
    ):
        for n, token in enumerate(period.tokens.values()):
            days = [monday + DAY * d for d in range(1 + n % 5)]
            diary_fill(
                db, token, days, [("direct_child", 60 + 10 * n), ("recording", 200)], today=days[-1]
            )
    diaries.close_period(db, world.lead, old.period_id)
    diaries.close_period(db, world.lead, recent.period_id)
    before = {p.period_id: _time_use_figures(db, world, p.period_id) for p in (old, recent)}
    entries_before = _count(db, DiaryEntry)

    retention.set_retention(db, world.admin, world.organisation_id, 365)
    result = maintenance.purge_expired(db, world.admin)
    # Only the old closed period: the recent one is within 365 days, the other still open.
    assert (result.diary_periods, result.diary_entries) == (1, sum(1 + n % 5 for n in range(8)) * 2)
    assert _count(db, DiaryEntry) == entries_before - result.diary_entries
    with db.read() as session:
        remaining = session.scalars(select(DiaryParticipant.period_id).distinct()).all()
        purged = session.scalars(
            select(AuditEvent.count).where(AuditEvent.action == "diaries_purged")
        ).all()
    assert sorted(remaining) == sorted([still_open.period_id, recent.period_id])
    assert purged == [result.diary_entries]
    # Every figure of both closed periods is unchanged; the purged diary links are dead.
    assert {p.period_id: _time_use_figures(db, world, p.period_id) for p in (old, recent)} == before
    with pytest.raises(LinkRefused):
        diaries.open_diary(db, next(iter(old.tokens.values())))
    assert maintenance.purge_expired(db, None, system=True).diary_periods == 0


def test_erasing_a_worker_removes_their_diaries_and_reseals_closed_periods(
    db: Database, world: World
) -> None:
    people = [(f"S{n}", "Alpha", "Social worker", 1.0) for n in range(5)]
    closed = diary_launch(db, world, people, title="Closed week")
    later = DIARY_MONDAY + 7 * DAY
    still_open = diary_launch(
        db,
        world,
        people,
        starts_on=later,
        ends_on=later + 6 * DAY,
        title="Open week",
        today=later,
    )
    for n, token in enumerate(closed.tokens.values()):
        diary_fill(db, token, [DIARY_MONDAY], [("direct_child", 60 * (n + 1)), ("recording", 120)])
    for token in still_open.tokens.values():
        diary_fill(db, token, [later], [("travel", 30)], today=later)
    diaries.close_period(db, world.lead, closed.period_id)
    before = time_use.time_use_report(db, world.executive, closed.period_id, 3).overall
    assert before.workers == 5

    with pytest.raises(PermissionDenied):
        diary_erasure.erase_diary_worker(db, world.lead, world.organisation_id, "S4")
    with pytest.raises(InvalidInput):
        diary_erasure.erase_diary_worker(db, world.admin, world.organisation_id, "  ")
    # S4 recorded 300 direct + 120 recording minutes; everyone 900 direct of 1,500.
    assert diary_erasure.erase_diary_worker(db, world.admin, world.organisation_id, " s4 ") == 2
    after = time_use.time_use_report(db, world.executive, closed.period_id, 3).overall
    assert after.workers == 4 and after.recorded_hours == (1500 - 420) / 60
    assert after.direct_share == round(600 / 1080 * 100, 1)
    opened = time_use.time_use_report(db, world.executive, still_open.period_id, 3)
    assert opened.participants == 4
    with db.read() as session:
        refs = session.scalars(select(DiaryParticipant.worker_ref)).all()
        erased = session.scalars(
            select(AuditEvent.count).where(AuditEvent.action == "diary_worker_erased")
        ).all()
    assert "S4" not in refs and len(refs) == 8
    assert erased == [2]
    assert diary_erasure.erase_diary_worker(db, world.admin, world.organisation_id, "S4") == 0
