"""Training records (entry, import, targets) and coverage worked by hand."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from sos_workforce import surveys
from sos_workforce.access.organisations import create_team
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import AuditEvent, TrainingAttendance, TrainingSession
from sos_workforce.training import (
    DUE,
    NOT_TRAINED,
    TRAINED,
    TRAINERS,
    TrainingImported,
    attendance_count,
    course,
    coverage_beside_confidence,
    coverage_report,
    import_training,
    list_sessions,
    parse_catalogue,
    preview_training,
    propose_courses,
    record_session,
    set_target,
    training_targets,
    training_template,
)
from sos_workforce.workforce import import_roster
from tests.support.factories import World, launch

TODAY = dt.date(2025, 6, 1)
HEADER = "Staff id,Team,Role,Employment type,FTE,Start date,Leave date,Leave reason\n"
EARLIER = HEADER + (
    "T01,Alpha,Social worker,permanent,1,01/01/2019,,\n"
    "T02,Alpha,Team manager,permanent,1,01/01/2019,,\n"
    "T03,Alpha,Social worker,permanent,1,01/01/2019,,\n"
    "T04,Beta,Practice leader,permanent,1,01/01/2019,,\n"
    "T05,Beta,Team manager,permanent,1,01/01/2019,,\n"
    "T06,Beta,Social worker,permanent,1,01/01/2019,,\n"
)
LATEST = HEADER + (
    "T01,Alpha,Social worker,permanent,1,01/01/2019,,\n"
    "T02,Alpha,Team manager,permanent,1,01/01/2019,,\n"
    "T03,Alpha,Social worker,permanent,1,01/01/2019,,\n"
    "T04,Beta,Practice leader,permanent,1,01/01/2019,,\n"
    "T05,Beta,Team manager,permanent,1,01/01/2019,,\n"
    "T06,Beta,Social worker,permanent,1,01/01/2019,28/02/2025,resignation\n"
)
INTRO, ADVANCED, LEADERS = "sos-intro-2day", "sos-advanced-5day", "sos-practice-leader"


def _rosters(db: Database, world: World) -> None:
    for text, as_of in ((EARLIER, dt.date(2024, 9, 30)), (LATEST, dt.date(2025, 3, 31))):
        import_roster(
            db,
            world.lead,
            world.organisation_id,
            data=text.encode(),
            filename="roster.csv",
            as_of=as_of,
            today=TODAY,
        )


def _sessions(db: Database, world: World) -> None:
    def add(course_id: str, on: dt.date, refs: list[str], names: tuple[str, ...] = ()) -> None:
        record_session(
            db,
            world.lead,
            world.organisation_id,
            course_id=course_id,
            held_on=on,
            staff_refs=refs,
            names=names,
            today=TODAY,
        )

    add(INTRO, dt.date(2020, 1, 10), ["t01"])  # lapsed after 36 months: refresher due
    add(INTRO, dt.date(2024, 10, 1), ["T03", "T04", "T06"], ("Agency Person",))
    add(ADVANCED, dt.date(2024, 5, 1), ["T01"])
    add(ADVANCED, dt.date(2023, 2, 1), ["T02"])
    add(LEADERS, dt.date(2025, 1, 15), ["T04"])


def test_coverage_worked_by_hand(db: Database, world: World) -> None:
    _rosters(db, world)
    _sessions(db, world)
    set_target(db, world.lead, world.organisation_id, "introduction", 50)
    report = coverage_report(db, world.lead, world.organisation_id, 3, today=TODAY)
    # Current staff: T01–T05 (T06 left; the named agency attendee is on no roster).
    assert report.roster_date == dt.date(2025, 3, 31) and report.staff == 5
    levels = {level.level: level for level in report.levels}
    intro = levels["introduction"]
    assert (intro.trained, intro.refresher_due) == (2, 1)  # T03, T04; T01 lapsed
    assert (intro.share, intro.due_share, intro.target) == (40.0, 20.0, 50.0)
    assert intro.target_met is False
    assert (levels["advanced"].trained, levels["advanced"].share) == (2, 40.0)  # T01, T02
    assert levels["specialist"].share == 0.0
    teams = {team.name: team for team in report.teams}
    assert teams["Alpha"].staff == 3 and teams["Alpha"].shares["introduction"] == 33.3
    assert teams["Alpha"].due_shares["introduction"] == 33.3
    assert teams["Beta"].staff == 2 and teams["Beta"].shares["introduction"] == 50.0
    roles = {role.name: role for role in report.roles}
    assert roles["Team manager"].shares["advanced"] == 50.0  # T02 of T02, T05
    assert (report.managers, report.managers_advanced) == (2, 50.0)  # T02 of T02, T05
    assert (report.practice_leaders, report.practice_leaders_attending) == (1, 100.0)
    assert [(s.held_on, s.attended) for s in report.practice_sessions] == [
        (dt.date(2025, 1, 15), 1)
    ]
    # Trend: on 30 September 2024 six in post; intro 0 of 6 (T01 lapsed, the rest later),
    # advanced T01 and T02 = 2 of 6; on 31 March 2025 as now.
    assert [
        (p.as_of, p.staff, p.shares["introduction"], p.shares["advanced"]) for p in report.trend
    ] == [
        (dt.date(2024, 9, 30), 6, 0.0, 33.3),
        (dt.date(2025, 3, 31), 5, 40.0, 40.0),
    ]
    assert report.people is not None
    people = {p.staff_ref: p.levels for p in report.people}
    assert "T06" not in people
    assert people["T01"]["introduction"] == DUE and people["T01"]["advanced"] == TRAINED
    assert people["T05"]["advanced"] == NOT_TRAINED


def test_executives_see_shares_through_the_gate(db: Database, world: World) -> None:
    _rosters(db, world)
    _sessions(db, world)
    report = coverage_report(db, world.executive, world.organisation_id, 3, today=TODAY)
    assert report.people is None and not report.names_shown
    assert all(level.trained is None and level.refresher_due is None for level in report.levels)
    assert report.levels[0].share == 40.0
    # Beta (2) is below k = 3, and then Alpha (3) is hidden too: the total minus Alpha
    # would give Beta.
    assert all(team.hidden and team.shares["introduction"] is None for team in report.teams)
    assert report.managers is None and report.managers_advanced is None  # 2 managers
    shown = coverage_report(db, world.executive, world.organisation_id, 3, today=TODAY)
    assert {r.name: r.staff for r in shown.roles}["Social worker"] is None  # 2 in post


def test_entry_checks_and_merges(db: Database, world: World) -> None:
    _rosters(db, world)
    with pytest.raises(InvalidInput, match="NOBODY"):
        record_session(
            db,
            world.lead,
            world.organisation_id,
            course_id=INTRO,
            held_on=TODAY,
            staff_refs=["nobody"],
            today=TODAY,
        )
    with pytest.raises(InvalidInput, match="future"):
        record_session(
            db,
            world.lead,
            world.organisation_id,
            course_id=INTRO,
            held_on=TODAY + dt.timedelta(days=1),
            staff_refs=["T01"],
            today=TODAY,
        )
    with pytest.raises(InvalidInput, match="not a known course"):
        record_session(
            db,
            world.lead,
            world.organisation_id,
            course_id="juggling",
            held_on=TODAY,
            staff_refs=["T01"],
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):
        record_session(
            db,
            world.executive,
            world.organisation_id,
            course_id=INTRO,
            held_on=TODAY,
            staff_refs=["T01"],
            today=TODAY,
        )

    def enter(refs: list[str], names: tuple[str, ...] = ()) -> int:
        return record_session(
            db,
            world.lead,
            world.organisation_id,
            course_id=INTRO,
            held_on=TODAY,
            staff_refs=refs,
            names=names,
            today=TODAY,
        )

    assert enter(["T01"]) == 1
    assert enter(["t01", "T02"], ("A  B",)) == 2  # T01 is there already
    sessions = list_sessions(db, world.lead, world.organisation_id)
    assert len(sessions) == 1 and sessions[0].staff_refs == ("T01", "T02")
    assert sessions[0].names == ("A B",)
    assert attendance_count(db, world.lead, world.organisation_id) == 3


EXPORT = (
    "Learner ID,Learner,Activity,Completion date\n"
    "T01,,SoS Intro (2 day),14/03/2025\n"
    "T02,,SoS Intro (2 day),14/03/2025\n"
    ",Agency Worker,SoS Intro (2 day),14/03/2025\n"
    "T03,,Fire safety,14/03/2025\n"
    "T04,,Signs of Safety 5-day advanced training,02/02/2025\n"
)


def _import(db: Database, world: World, data: bytes, filename: str = "lms.csv") -> TrainingImported:
    preview = preview_training(data, filename)
    return import_training(
        db,
        world.lead,
        world.organisation_id,
        data=data,
        filename=filename,
        mapping=preview.mapping,
        course_map={"SoS Intro (2 day)": INTRO, "Fire safety": None}
        | {"Signs of Safety 5-day advanced training": ADVANCED},
        today=TODAY,
    )


def _attendances(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(TrainingAttendance)) or 0)


def test_import_maps_columns_and_courses_and_is_idempotent(db: Database, world: World) -> None:
    _rosters(db, world)
    preview = preview_training(EXPORT.encode(), "lms.csv")
    assert preview.mapping == {
        "staff_ref": "Learner ID",
        "attendee_name": "Learner",
        "course": "Activity",
        "held_on": "Completion date",
    }
    assert propose_courses(["Signs of Safety 5-day advanced training", "x"]) == {
        "Signs of Safety 5-day advanced training": ADVANCED,
        "x": None,
    }
    first = _import(db, world, EXPORT.encode())
    assert first == TrainingImported(rows=5, added=4, created=True)  # fire safety left out
    again = _import(db, world, EXPORT.encode())
    assert again == TrainingImported(rows=5, added=0, created=False)
    assert _attendances(db) == 4
    # An overlapping later export adds only what is new.
    later = EXPORT + "T05,,SoS Intro (2 day),14/03/2025\n"
    assert _import(db, world, later.encode()) == TrainingImported(rows=6, added=1, created=True)
    assert _attendances(db) == 5


def test_a_broken_import_names_its_rows_and_changes_nothing(db: Database, world: World) -> None:
    _rosters(db, world)
    broken = EXPORT + "T01,,SoS Intro (2 day),31/02/2025\nZZ9,,SoS Intro (2 day),01/03/2025\n"
    broken += ",,SoS Intro (2 day),01/03/2025\n"
    with pytest.raises(InvalidInput) as refused:
        _import(db, world, broken.encode())
    assert "Row 7, column 'Completion date': 31/02/2025 is not a real date" in str(refused.value)
    with pytest.raises(InvalidInput) as refused:
        _import(db, world, broken.replace("31/02/2025", "28/02/2025").encode())
    message = str(refused.value)
    assert "Row 8: staff id ZZ9 is on none of your rosters" in message
    assert "Row 9: give a staff id" in message
    unmapped = EXPORT + "T01,,Mystery course,01/03/2025\n"
    with pytest.raises(InvalidInput, match="Row 7: the course 'Mystery course'"):
        _import(db, world, unmapped.encode())
    assert _attendances(db) == 0
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(TrainingSession)) == 0


def test_import_reads_xlsx_and_the_template(db: Database, world: World) -> None:
    _rosters(db, world)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Staff id", "Attendee name", "Course", "Date"])
    sheet.append(["T02", None, course(ADVANCED).title, dt.datetime(2025, 1, 6)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_training(
        db,
        world.lead,
        world.organisation_id,
        data=buffer.getvalue(),
        filename="lms.xlsx",
        today=TODAY,
    )
    assert result.added == 1
    template = training_template().decode("utf-8-sig")
    assert template.splitlines()[0] == "Staff id,Attendee name,Course,Date"
    assert preview_training(training_template(), "t.csv").mapping["held_on"] == "Date"


def test_targets_are_the_leads(db: Database, world: World) -> None:
    set_target(db, world.lead, world.organisation_id, "advanced", 80)
    set_target(db, world.lead, world.organisation_id, TRAINERS, 6)
    assert training_targets(db, world.executive, world.organisation_id) == {
        "advanced": 80.0,
        TRAINERS: 6.0,
    }
    set_target(db, world.lead, world.organisation_id, "advanced", None)
    assert "advanced" not in training_targets(db, world.lead, world.organisation_id)
    for measure, value in (("advanced", 120.0), (TRAINERS, 2.5), ("nonsense", 1.0)):
        with pytest.raises(InvalidInput):
            set_target(db, world.lead, world.organisation_id, measure, value)
    with pytest.raises(PermissionDenied):
        set_target(db, world.executive, world.organisation_id, "advanced", 50)
    with db.read() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("training_target_set") == 3


def test_the_courses_file_is_checked() -> None:
    with pytest.raises(InvalidInput, match="appear twice"):
        parse_catalogue(
            "courses:\n"
            "  - {id: a-b, title: One, level: advanced}\n"
            "  - {id: a-b, title: Two, level: advanced}\n"
        )
    with pytest.raises(InvalidInput):
        parse_catalogue("courses:\n  - {id: a-b, title: One, level: expert}\n")
    assert course(INTRO).current_until(dt.date(2024, 2, 29)) == dt.date(2027, 2, 27)


def test_the_scrutiny_report_shows_shares_and_trainers_never_staff_ids(
    db: Database, world: World
) -> None:
    from sos_workforce.reports.scrutiny import scrutiny_report
    from tests.support.factories import launch

    _rosters(db, world)
    _sessions(db, world)
    set_target(db, world.lead, world.organisation_id, TRAINERS, 4)
    wave_id = launch(db, world).wave_id
    html = scrutiny_report(db, world.lead, world.organisation_id, wave_id, 3, today=TODAY)
    section = html[html.index("Training and in-house trainers") :]
    assert "Shares of the 5 staff in post on the roster of 31 March 2025" in section
    assert "40.0%" in section and "20.0%" in section  # introduction trained, due
    assert "In-house trainers (booked on train-the-trainer or licensed): 0, against a " in section
    assert "T01" not in html and "T03" not in html


def test_sub_teams_count_in_their_top_level_team_beside_confidence(
    db: Database, world: World
) -> None:
    """A roster's sub-team counts in the top-level team above it, as the survey's tables
    count sub-teams; a top-level team with nobody on the roster says so."""
    north = create_team(
        db, world.admin, world.organisation_id, "Alpha North", parent_id=world.teams["Alpha"]
    )
    assert north
    roster = (
        HEADER
        + "".join(
            f"N{n:02},Alpha North,Social worker,permanent,1,01/01/2019,,\n" for n in range(1, 5)
        )
        + "A01,Alpha,Social worker,permanent,1,01/01/2019,,\n"
    )
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=roster.encode(),
        filename="roster.csv",
        as_of=dt.date(2025, 3, 31),
        today=TODAY,
    )
    record_session(
        db,
        world.lead,
        world.organisation_id,
        course_id=INTRO,
        held_on=dt.date(2025, 1, 10),
        staff_refs=["N01", "N02", "A01"],
        today=TODAY,
    )
    surveys.close_wave(db, world.lead, launch(db, world, {"Alpha": 5, "Beta": 5}).wave_id)
    beside = coverage_beside_confidence(db, world.executive, world.organisation_id, 5, today=TODAY)
    teams = {team.team: team for team in beside.teams}
    # Alpha with Alpha North: 5 on the roster, 3 trained = 60.0%.
    assert teams["Alpha"].on_roster and teams["Alpha"].trained["introduction"] == 60.0
    assert not teams["Beta"].on_roster
