"""Workforce measures (hand-computed), Brent's 78.2%, and roster imports."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from sos_workforce.access.auth import Actor
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import RosterMember, RosterSnapshot
from sos_workforce.workforce.measures import (
    NOT_AVAILABLE,
    Measure,
    WorkforceFigures,
    list_snapshots,
    measures,
    snapshot_report,
)
from sos_workforce.workforce.rosters import (
    import_roster,
    roster_template,
    save_summary,
    set_establishment,
)
from tests.support.factories import ROSTER, World, build_world, launch

AS_OF = dt.date(2024, 9, 30)
# Headers as an HR system might name them (mapped by synonyms).


def _by_key(report_measures: list[Measure]) -> dict[str, Measure]:
    return {m.key: m for m in report_measures}


def test_measures_match_a_hand_computed_roster(db: Database, world: World) -> None:
    result = import_roster(
        db, world.lead, world.organisation_id, data=ROSTER.encode(), filename="hr.csv", as_of=AS_OF
    )
    assert result.created and result.rows == 5
    set_establishment(
        db, world.lead, world.organisation_id, AS_OF, [("North", 3.5, 0.5), ("South", 2.5, 0.5)]
    )
    report = snapshot_report(db, world.executive, world.organisation_id, AS_OF, 3)
    m = _by_key(report.measures)
    # employed FTE in post = A 1.0 + B 0.5 + E 0.8 = 2.3; agency = D 1.0
    assert m["turnover"].numerator == 1.0 and m["turnover"].denominator == pytest.approx(2.3)
    assert m["turnover"].value == 43.5  # C's 1.0 FTE left in the year: 1.0 / 2.3
    assert m["agency"].value == 30.3  # 1.0 / 3.3
    assert m["vacancy"].value == 30.3  # 1.0 / (1.0 + 2.3)
    assert m["caseload"].value == 19.2  # (20 + 10 + 18) cases / (1.0 + 0.5 + 1.0) holders
    assert m["absence"].value == 0.9  # 5 FTE days / (2.3 × 253)
    assert m["permanent_share"].value == 50.0  # 3 permanent / 6.0 posts
    assert m["stability"].value == 66.7  # A, B of A, B, C in post a year earlier
    assert m["median_tenure"].value == 1.1  # median of 5.75, 1.59, 0.71, 0.33 years
    assert report.headcount == 4
    # Teams of 2–3 people are withheld at k = 3 where needed; at k = 5 nothing by team.
    hidden = snapshot_report(db, world.executive, world.organisation_id, AS_OF, 5)
    assert hidden.measures == [] and hidden.headcount is None


def test_zero_denominators_are_not_available() -> None:
    empty = measures(
        WorkforceFigures(
            as_of=AS_OF,
            employed_fte=0.0,
            agency_fte=0.0,
            vacancy_fte=0.0,
            leavers_fte=0.0,
            cases=0,
            case_holder_fte=0.0,
            sickness_fte_days=0.0,
            establishment_posts=0.0,
            permanent_headcount=0,
            stable_staff=0,
            staff_a_year_ago=0,
        )
    )
    for measure in empty:
        assert measure.value is None and measure.display == NOT_AVAILABLE
    unknown = measures(WorkforceFigures(as_of=AS_OF))
    assert all(m.value is None for m in unknown)


def test_brent_february_2018_permanent_share(db: Database, world: World) -> None:
    # Seed 004 section 3.40: 97 permanent social workers of an establishment of 124.
    save_summary(
        db,
        world.lead,
        world.organisation_id,
        dt.date(2018, 2, 28),
        {"establishment_posts": 124, "permanent_headcount": 97},
    )
    report = snapshot_report(db, world.executive, world.organisation_id, dt.date(2018, 2, 28), 5)
    share = _by_key(report.measures)["permanent_share"]
    assert (share.numerator, share.denominator, share.display) == (97, 124, "78.2%")
    assert _by_key(report.measures)["agency"].display == NOT_AVAILABLE


def _rows(db: Database) -> tuple[int, int]:
    with db.read() as session:
        return (
            int(session.scalar(select(func.count()).select_from(RosterSnapshot)) or 0),
            int(session.scalar(select(func.count()).select_from(RosterMember)) or 0),
        )


def test_reimporting_the_same_file_changes_nothing(db: Database, world: World) -> None:
    first = import_roster(
        db, world.lead, world.organisation_id, data=ROSTER.encode(), filename="hr.csv", as_of=AS_OF
    )
    again = import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=ROSTER.encode(),
        filename="hr-copy.csv",
        as_of=AS_OF,
    )
    assert (again.snapshot_id, again.created, again.rows) == (first.snapshot_id, False, 5)
    assert _rows(db) == (1, 5)
    different = ROSTER.replace("20,5", "21,5").encode()
    with pytest.raises(InvalidInput, match="already exists"):
        import_roster(
            db, world.lead, world.organisation_id, data=different, filename="x.csv", as_of=AS_OF
        )
    assert _rows(db) == (1, 5)


BAD_FILES = [
    (b"", "empty"),
    (b"Staff id,Team,Role,Employment type,FTE,Start date\n", "no data rows"),
    (
        b"Staff id,Team,Team,Employment type,FTE,Start date\nA,x,y,permanent,1,01/01/2020\n",
        "appears twice",
    ),
    (
        b"Staff id,Team,Employment type,FTE,Start date\nA,x,permanent,1,01/01/2020\n",
        "no column for 'Role'",
    ),
    (ROSTER.replace("01/01/2019", "31/04/2019").encode(), "31/04/2019 is not a real date"),
    (ROSTER.replace("01/01/2019", "29/02/2023").encode(), "29/02/2023 is not a real date"),
    (ROSTER.replace("01/01/2019", "01/13/2019").encode(), "looks like month/day"),
    (ROSTER.replace("01/01/2019", "01/01/2025").encode(), "after the snapshot date"),
    (ROSTER.replace("1.0,01/01/2019", "1.5,01/01/2019").encode(), "above the maximum"),
    (ROSTER.replace("0.5,01/03/2023", "-0.5,01/03/2023").encode(), "below the minimum"),
    (ROSTER.replace("Agency", "Freelance").encode(), "not one of"),
    (ROSTER.replace("B2,", " a1 ,").encode(), "also appears in row 2"),  # stray space + case
    (ROSTER.replace(",,20,5", ",Resigned,20,5").encode(), "without a leave date"),
    (ROSTER.replace("20,5", "twenty,5").encode(), "not a number"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_bad_files_are_refused_whole_with_row_and_column(
    db: Database, world: World, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        import_roster(
            db, world.lead, world.organisation_id, data=data, filename="bad.csv", as_of=AS_OF
        )
    assert message in str(caught.value)
    assert _rows(db) == (0, 0)


ENCODINGS = [
    ("utf-8-sig", ","),
    ("utf-16", ","),
    ("cp1252", ","),
    ("utf-8", ";"),
]


@pytest.mark.parametrize(("encoding", "delimiter"), ENCODINGS)
def test_encodings_delimiters_line_endings_and_welsh_names(
    db: Database, world: World, encoding: str, delimiter: str
) -> None:
    text = ROSTER.replace("North", "Tîm Gogledd").replace("\n", "\r\n")
    if delimiter == ";":
        text = text.replace(",", ";").replace("0.5;", "0,5;")  # decimal comma too
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=text.encode(encoding),
        filename="hr.csv",
        as_of=AS_OF,
    )
    report = snapshot_report(db, world.executive, world.organisation_id, AS_OF, 3)
    assert report.headcount == 4
    assert "Tîm Gogledd" in {group.group for group in report.by_team}


def test_xlsx_with_excel_dates_and_reordered_extra_columns(db: Database, world: World) -> None:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Notes", "Start date", "FTE", "Employment type", "Role", "Team", "Staff id"])
    sheet.append(["ignored", dt.datetime(2019, 1, 1), 1, "permanent", "SW", "North", "A1"])
    # Excel serial 44000: 1 Jan 2020 is 43831, so 169 days later, 18 June 2020.
    sheet.append([None, 44000, 0.5, "agency", "SW", "North", "B2"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=buffer.getvalue(),
        filename="hr.xlsx",
        as_of=AS_OF,
    )
    with db.read() as session:
        starts = session.scalars(
            select(RosterMember.start_date).order_by(RosterMember.start_date)
        ).all()
    assert starts == [dt.date(2019, 1, 1), dt.date(2020, 6, 18)]


def test_a_quoted_newline_inside_a_cell_is_one_value(db: Database, world: World) -> None:
    text = ROSTER.replace("Senior practitioner", '"Senior\npractitioner"')
    import_roster(
        db, world.lead, world.organisation_id, data=text.encode(), filename="hr.csv", as_of=AS_OF
    )
    with db.read() as session:
        roles = set(session.scalars(select(RosterMember.role)))
    assert "Senior practitioner" in roles


def test_template_round_trips(db: Database, world: World) -> None:
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=roster_template(),
        filename="template.csv",
        as_of=AS_OF,
    )
    assert _rows(db) == (1, 1)
    [snapshot] = list_snapshots(db, world.executive, world.organisation_id)
    assert (snapshot.kind, snapshot.staff) == ("roster", 1)


def test_workforce_services_refuse_other_organisations(
    db: Database, world: World, settings: Settings
) -> None:
    other = build_world(db, settings, "away")
    with pytest.raises(PermissionDenied):
        import_roster(
            db,
            other.lead,
            world.organisation_id,
            data=ROSTER.encode(),
            filename="hr.csv",
            as_of=AS_OF,
        )
    with pytest.raises(PermissionDenied):
        import_roster(
            db,
            world.executive,
            world.organisation_id,
            data=ROSTER.encode(),
            filename="hr.csv",
            as_of=AS_OF,
        )
    with pytest.raises(PermissionDenied):
        save_summary(db, other.lead, world.organisation_id, AS_OF, {"permanent_headcount": 1})
    with pytest.raises(PermissionDenied):
        set_establishment(db, other.lead, world.organisation_id, AS_OF, [])
    with pytest.raises(PermissionDenied):
        list_snapshots(db, other.executive, world.organisation_id)
    with pytest.raises(PermissionDenied):
        snapshot_report(db, other.executive, world.organisation_id, AS_OF, 5)
    with pytest.raises(InvalidInput, match="future"):
        import_roster(
            db,
            world.lead,
            world.organisation_id,
            data=ROSTER.encode(),
            filename="hr.csv",
            as_of=dt.date.today() + dt.timedelta(days=1),
        )


def test_intention_to_stay_comes_from_the_latest_survey_that_asks_it(
    db: Database, world: World
) -> None:
    from sos_workforce import surveys
    from sos_workforce.surveys.instruments import parse_instrument, register
    from sos_workforce.surveys.results import latest_item_result
    from tests.support.factories import release_all, token_of

    assert (
        latest_item_result(db, world.executive, world.organisation_id, "intention_to_stay", 5)
        is None
    )
    stay = parse_instrument(
        "code: stay_check\nversion: 1\ntitle: Staying\nsections:\n- code: s\n  title: S\n"
        "  items:\n  - code: intention_to_stay\n    kind: scale\n"
        "    text: I intend to be working here in a year's time\n    min: 1\n    max: 5\n"
        "    bands:\n    - {label: Disagree, min: 1, max: 2}\n"
        "    - {label: Neither, min: 3, max: 3}\n    - {label: Agree, min: 4, max: 5}\n"
    )
    with db.write() as session:
        version_id = register(session, stay).id
    launched = launch(db, world, {"Alpha": 6}, instrument=version_id)
    for value, link in zip([5, 4, 4, 3, 1, 2], launched.links, strict=True):
        surveys.submit_response(db, token_of(link), {"intention_to_stay": value})
    release_all(db, launched.wave_id)  # the sixth waits for a step otherwise
    result = latest_item_result(db, world.executive, world.organisation_id, "intention_to_stay", 5)
    assert result is not None and result.band_labels == ("Disagree", "Neither", "Agree")
    assert result.row.percents == (33.3, 16.7, 50.0) and result.row.n == 6
    outsider = Actor(99, "x@y.example", "X", Role.EXECUTIVE, frozenset())
    with pytest.raises(PermissionDenied):
        latest_item_result(db, outsider, world.organisation_id, "intention_to_stay", 5)
