"""Establishment per team and date (entered with a roster import or on its own), summary
figures with every field of DfE's census (blank is not recorded, 0 is zero), and a roster
and summary figures on one date combined only by the lead's choice (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.models import Establishment, RosterSnapshot, WorkforceSummary
from sos_workforce.workforce import (
    BOTH,
    NOT_AVAILABLE,
    establishment_sheet,
    import_roster,
    list_snapshots,
    save_summary,
    set_establishment,
    snapshot_report,
    summary_figures,
)
from sos_workforce.workforce.measures import Measure
from tests.support.factories import ROSTER, World

AS_OF = dt.date(2024, 9, 30)
BRENT_DAY = dt.date(2018, 2, 28)


def brent_roster() -> bytes:
    """97 permanent social workers (50 in Assessment, 47 in Child Protection), 10 agency
    workers, all full time, started well before the snapshot."""
    lines = ["Staff id,Team,Role,Employment type,FTE,Start date"]
    for number in range(1, 108):
        team = "Assessment" if number <= 56 else "Child Protection"
        kind = "agency" if number in range(51, 57) or number > 103 else "permanent"
        lines.append(f"S{number:03d},{team},Social worker,{kind},1.0,01/01/2015")
    return ("\n".join(lines) + "\n").encode()


def _by_key(measures: list[Measure]) -> dict[str, Measure]:
    return {m.key: m for m in measures}


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (RosterSnapshot, Establishment, WorkforceSummary)
        )


def test_97_permanent_of_an_establishment_of_124_through_the_roster_import(
    db: Database, world: World
) -> None:
    result = import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=brent_roster(),
        filename="brent.csv",
        as_of=BRENT_DAY,
        establishment=[("Assessment", 60.0, 10.0), ("child  protection", 64.0, 17.0)],
    )
    assert result.created and result.rows == 107
    report = snapshot_report(db, world.executive, world.organisation_id, BRENT_DAY, 5)
    m = _by_key(report.measures)
    # 97 permanent / (60 + 64) posts = 78.226% → 78.2%
    share = m["permanent_share"]
    assert (share.numerator, share.denominator, share.display) == (97, 124.0, "78.2%")
    # vacancies 27 / (27 + 97 employed FTE) = 21.774% → 21.8%
    assert m["vacancy"].display == "21.8%"
    # agency 10 / (10 + 97) = 9.346% → 9.3%
    assert m["agency"].display == "9.3%"
    teams = {g.group: _by_key(g.measures) for g in report.by_team}
    # Assessment: 50 permanent / 60 posts = 83.333% → 83.3%; vacancy 10 / (10 + 50) = 16.7%
    assert teams["Assessment"]["permanent_share"].display == "83.3%"
    assert teams["Assessment"]["vacancy"].display == "16.7%"
    # Child Protection (matched whatever the case and spacing): 47 / 64 = 73.4375% → 73.4%;
    # vacancy 17 / (17 + 47) = 26.5625% → 26.6%
    assert teams["Child Protection"]["permanent_share"].display == "73.4%"
    assert teams["Child Protection"]["vacancy"].display == "26.6%"


def test_establishment_entered_on_its_own_gives_the_same_share(db: Database, world: World) -> None:
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=brent_roster(),
        filename="brent.csv",
        as_of=BRENT_DAY,
    )
    before = snapshot_report(db, world.executive, world.organisation_id, BRENT_DAY, 5)
    assert _by_key(before.measures)["permanent_share"].display == NOT_AVAILABLE
    assert _by_key(before.by_team[0].measures)["vacancy"].display == NOT_AVAILABLE
    sheet = establishment_sheet(db, world.lead, world.organisation_id, BRENT_DAY)
    # The roster's teams first, then the organisation's own (Alpha, Beta), none entered.
    assert [r.team for r in sheet.rows] == ["Assessment", "Child Protection", "Alpha", "Beta"]
    assert not sheet.entered and sheet.roster_date == BRENT_DAY
    # Vacancies not recorded for one team: the authority's vacancy rate is not available.
    set_establishment(
        db,
        world.lead,
        world.organisation_id,
        BRENT_DAY,
        [("Assessment", 60.0, 10.0), ("Child Protection", 64.0, None)],
    )
    report = snapshot_report(db, world.executive, world.organisation_id, BRENT_DAY, 5)
    assert _by_key(report.measures)["permanent_share"].display == "78.2%"
    assert _by_key(report.measures)["vacancy"].display == NOT_AVAILABLE
    teams = {g.group: _by_key(g.measures) for g in report.by_team}
    assert teams["Assessment"]["vacancy"].display == "16.7%"
    assert teams["Child Protection"]["vacancy"].display == NOT_AVAILABLE
    sheet = establishment_sheet(db, world.lead, world.organisation_id, BRENT_DAY)
    assert sheet.entered
    assert [(r.team, r.posts_fte, r.vacancies_fte) for r in sheet.rows[:2]] == [
        ("Assessment", 60.0, 10.0),
        ("Child Protection", 64.0, None),
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Assessment", 10.0, 12.0)], "cannot exceed posts"),
        ([("Assessment", -1.0, None)], "0 or more"),
        ([(" ", 1.0, 0.0)], "needs a team"),
        ([("Assessment", 1.0, 0.0), ("ASSESSMENT", 2.0, 0.0)], "appears twice"),
    ],
)
def test_a_bad_establishment_changes_nothing(
    db: Database, world: World, rows: list[tuple[str, float, float | None]], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        set_establishment(db, world.lead, world.organisation_id, BRENT_DAY, rows)
    with pytest.raises(InvalidInput, match=message):
        import_roster(
            db,
            world.lead,
            world.organisation_id,
            data=brent_roster(),
            filename="brent.csv",
            as_of=BRENT_DAY,
            establishment=rows,
        )
    assert _counts(db) == (0, 0, 0)


def test_every_census_field_blank_is_not_recorded_and_zero_is_zero(
    db: Database, world: World
) -> None:
    day = dt.date(2023, 9, 30)  # 12 months without a 29 February: 253 working days
    figures: dict[str, float | int | None] = {
        "employed_fte": 40.0,
        "permanent_headcount": 42,
        "starters_fte": 6.0,
        "starters_headcount": 6,
        "leavers_fte": 5.0,
        "leavers_headcount": 5,
        "agency_fte": 0.0,  # no agency workers: a true zero
        "agency_headcount": 0,
        "vacancy_fte": 4.0,
        "case_holder_fte": 25.0,
        "cases": 410,
        "sickness_fte_days": 354.2,
        "establishment_posts": 44.0,
    }
    saved = save_summary(db, world.lead, world.organisation_id, day, figures)
    assert len(saved.recorded) == 13 and saved.combined is None
    assert summary_figures(db, world.lead, world.organisation_id, day) == figures
    m = _by_key(snapshot_report(db, world.executive, world.organisation_id, day, 5).measures)
    assert m["agency"].display == "0.0%"  # 0 / (0 + 40)
    assert m["turnover"].display == "12.5%"  # 5 / 40
    assert m["vacancy"].display == "9.1%"  # 4 / (4 + 40) = 9.09
    assert m["caseload"].display == "16.4"  # 410 / 25
    assert m["absence"].display == "3.5%"  # 354.2 / (40 × 253 = 10,120) = 3.5
    assert m["permanent_share"].display == "95.5%"  # 42 / 44 = 95.45

    blank = dict(figures, agency_fte=None, cases=None)
    save_summary(db, world.lead, world.organisation_id, day, blank)
    m = _by_key(snapshot_report(db, world.executive, world.organisation_id, day, 5).measures)
    assert m["agency"].display == NOT_AVAILABLE and m["caseload"].display == NOT_AVAILABLE
    assert m["turnover"].display == "12.5%"
    assert _counts(db) == (0, 0, 1)  # replaced, not added


@pytest.mark.parametrize(
    ("figures", "message"),
    [
        ({"agency_fte": -1.0}, "0 or more"),
        ({"permanent_headcount": 9.5}, "whole number"),
        ({"cases": float("nan")}, "0 or more"),
        ({"agency_fte": None, "cases": None}, "at least one figure"),
        ({"salary": 1}, "Unknown figures"),
    ],
)
def test_bad_summary_figures_change_nothing(
    db: Database, world: World, figures: dict[str, float | int | None], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        save_summary(db, world.lead, world.organisation_id, AS_OF, figures)
    assert _counts(db) == (0, 0, 0)


def test_a_small_summary_is_withheld(db: Database, world: World) -> None:
    save_summary(
        db, world.lead, world.organisation_id, AS_OF, {"employed_fte": 3.5, "leavers_fte": 1.0}
    )
    report = snapshot_report(db, world.executive, world.organisation_id, AS_OF, 5)
    assert report.measures == [] and report.figures == ()
    shown = snapshot_report(db, world.executive, world.organisation_id, AS_OF, 3)
    assert _by_key(shown.measures)["turnover"].display == "28.6%"  # 1 / 3.5


def test_summary_figures_on_a_roster_date_are_an_explicit_choice(
    db: Database, world: World
) -> None:
    import_roster(
        db, world.lead, world.organisation_id, data=ROSTER.encode(), filename="hr.csv", as_of=AS_OF
    )
    extra = {"employed_fte": 10.0, "vacancy_fte": 1.0}
    with pytest.raises(InvalidInput, match="Choose whose figures count"):
        save_summary(db, world.lead, world.organisation_id, AS_OF, extra)
    assert _counts(db) == (1, 0, 0)  # never silently saved

    # The roster's figures count: the roster has employed FTE (2.3) but no vacancies.
    saved = save_summary(db, world.lead, world.organisation_id, AS_OF, extra, precedence="roster")
    assert saved.combined is not None
    assert saved.combined.from_summary == ("vacancy_fte",)
    assert saved.combined.set_aside == ("employed_fte",)
    assert "Not used, because the roster's figures count: Social workers in post, FTE" in (
        saved.message
    )
    [snapshot] = list_snapshots(db, world.executive, world.organisation_id)
    assert (snapshot.kind, snapshot.precedence) == (BOTH, "roster")
    report = snapshot_report(db, world.executive, world.organisation_id, AS_OF, 3)
    m = _by_key(report.measures)
    assert m["vacancy"].display == "30.3%"  # 1 / (1 + 2.3)
    assert m["turnover"].display == "43.5%"  # the roster's: 1 / 2.3
    assert report.by_team  # teams still come from the roster

    # The summary's figures count: employed FTE 10 replaces the roster's 2.3.
    saved = save_summary(db, world.lead, world.organisation_id, AS_OF, extra, precedence="summary")
    assert saved.combined is not None and saved.combined.set_aside == ()
    assert saved.combined.from_summary == ("employed_fte", "vacancy_fte")
    m = _by_key(snapshot_report(db, world.executive, world.organisation_id, AS_OF, 3).measures)
    assert m["turnover"].display == "10.0%"  # 1 / 10
    assert m["vacancy"].display == "9.1%"  # 1 / (1 + 10)


def test_a_roster_on_a_summary_date_is_an_explicit_choice(db: Database, world: World) -> None:
    save_summary(db, world.lead, world.organisation_id, AS_OF, {"vacancy_fte": 1.0})
    with pytest.raises(InvalidInput, match="Choose whose figures count"):
        import_roster(
            db,
            world.lead,
            world.organisation_id,
            data=ROSTER.encode(),
            filename="hr.csv",
            as_of=AS_OF,
        )
    assert _counts(db) == (0, 0, 1)
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=ROSTER.encode(),
        filename="hr.csv",
        as_of=AS_OF,
        precedence="roster",
    )
    [snapshot] = list_snapshots(db, world.executive, world.organisation_id)
    assert (snapshot.kind, snapshot.precedence) == (BOTH, "roster")
    m = _by_key(snapshot_report(db, world.executive, world.organisation_id, AS_OF, 3).measures)
    assert m["vacancy"].display == "30.3%"  # the summary's 1 / (1 + the roster's 2.3)
