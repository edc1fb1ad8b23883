"""Importing diaries recorded elsewhere: the bad files of GUIDE.md section 5 each get a
clear error naming the row (and column) and leave the database exactly as it was; good
files in awkward shapes import; the same file twice changes nothing. Both databases."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from sos_workforce import diaries
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import DiaryEntry
from sos_workforce.core.tabular import MAX_FILE_BYTES
from sos_workforce.diaries.days import Entry
from sos_workforce.diaries.imports import diary_template, import_diaries, preview_diaries
from tests.support.database import dump
from tests.support.diary_factories import AFTER, MONDAY, Period, launch
from tests.support.factories import World

HEADER = "Staff id,Date,Activity,Minutes,Start,End,SoS tool\r\n"
GOOD = (
    "SW1,02/03/2026,direct_family,,09:00,10:30,mapping\r\n"
    "SW1,02/03/2026,Travel,40,,,\r\n"
    "DŴR1,03/03/2026,Case recording and forms,120,,,\r\n"
)
GOOD_ENTRIES = {
    ("SW1", MONDAY): [
        Entry("direct_family", 90, dt.time(9), dt.time(10, 30), "mapping"),
        Entry("travel", 40),
    ],
    ("DŴR1", MONDAY + dt.timedelta(days=1)): [Entry("recording", 120)],
}
EXCEL_ENTRIES = {
    **GOOD_ENTRIES,
    ("DŴR1", MONDAY + dt.timedelta(days=1)): [Entry("recording", 120, dt.time(12), dt.time(14))],
}


@pytest.fixture
def period(db: Database, world: World) -> Period:
    return launch(
        db,
        world,
        [("SW1", "Alpha", "Social worker", 1.0), ("DŴR1", "Beta", "Social worker", 0.8)],
    )


def run(
    db: Database, world: World, period: Period, data: bytes, name: str = "diaries.csv", **kw: object
) -> diaries.DiaryImportResult:
    return import_diaries(
        db,
        world.lead,
        period.period_id,
        data=data,
        filename=name,
        today=kw.pop("today", AFTER),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def saved(db: Database, period: Period) -> dict[tuple[str, dt.date], list[Entry]]:
    found: dict[tuple[str, dt.date], list[Entry]] = {}
    for ref, token in period.tokens.items():
        for day in diaries.period_days(MONDAY, MONDAY + dt.timedelta(days=6)):
            entries = diaries.day_entries(db, token, day, today=AFTER)
            if entries:
                found[(ref, day)] = entries
    return found


def _xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["Notes (ignored)", "SoS tool", "Activity", "End", "Start", "Minutes", "Date", "Staff id"]
    )
    sheet.append(
        [
            "x",
            "Mapping (three columns)",
            "direct_family",
            dt.time(10, 30),
            dt.time(9),
            None,
            dt.date(2026, 3, 2),
            "SW1",
        ]
    )
    sheet.append(["", None, "travel", None, None, 40, 46083, "sw1"])  # an Excel serial date
    # Excel's fraction of a day for times: 12:00 to 14:00.
    sheet.append(
        [None, None, "recording", 0.5 + 2 / 24, 0.5, None, dt.datetime(2026, 3, 3), "DŴR1"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD_FILES: dict[str, tuple[bytes, str]] = {
    "CRLF and a UTF-8 BOM": (("\ufeff" + HEADER + GOOD).encode("utf-8"), "d.csv"),
    "UTF-16": ((HEADER + GOOD).encode("utf-16"), "d.csv"),
    "semicolons and LF": (
        (HEADER + GOOD).replace(",", ";").replace("\r\n", "\n").encode(),
        "d.csv",
    ),
    "reordered and extra headers, a quoted newline in an ignored column": (
        (
            "Notes,SoS tool,End,Start,Minutes,Activity,Date,Employee ID\n"
            "x,mapping,10:30,09:00,,direct_family,02/03/2026,SW1\n"
            '"two\nlines",,,,40,travel,02/03/2026,sw1\n'
            ",,,,120,recording,03/03/2026,dŵr1\n"
        ).encode(),
        "d.csv",
    ),
    "ids with stray spaces and case, ISO dates": (
        (
            HEADER
            + " sw1 ,2026-03-02,DIRECT_FAMILY,90,09:00,10:30,MAPPING\r\n"
            + "Sw1,2026-03-02,travel,40,,,\r\n"
            + "  dŵr1,2026-03-03,recording,120,,,\r\n"
        ).encode(),
        "d.csv",
    ),
    "Excel with time cells and a serial date": (_xlsx(), "d.xlsx"),
}


@pytest.mark.parametrize("case", list(GOOD_FILES))
def test_good_files_in_awkward_shapes_import(
    db: Database, world: World, period: Period, case: str
) -> None:
    data, name = GOOD_FILES[case]
    result = run(db, world, period, data, name)
    assert (result.rows, result.days, result.created) == (3, 2, True)
    assert saved(db, period) == (EXCEL_ENTRIES if name.endswith(".xlsx") else GOOD_ENTRIES)


def test_cp1252_file_imports(db: Database, world: World, period: Period) -> None:
    data = (HEADER + "SW1,02/03/2026,Liaison with other professionals,30,,,\r\n").encode("cp1252")
    assert run(db, world, period, data).rows == 1
    assert saved(db, period) == {("SW1", MONDAY): [Entry("liaison", 30)]}


def test_the_same_file_twice_changes_nothing_and_a_new_file_replaces_its_days(
    db: Database, world: World, period: Period
) -> None:
    data = (HEADER + GOOD).encode()
    assert run(db, world, period, data).created
    before = dump(db)
    again = run(db, world, period, data)
    assert (again.created, again.rows) == (False, 3)
    assert dump(db) == before
    # A corrected file for Monday replaces Monday only.
    fix = (HEADER + "SW1,02/03/2026,court,300,,,\r\n").encode()
    assert run(db, world, period, fix).days == 1
    assert saved(db, period) == {
        ("SW1", MONDAY): [Entry("court", 300)],
        ("DŴR1", MONDAY + dt.timedelta(days=1)): [Entry("recording", 120)],
    }


def _bad(
    text: str | bytes, name: str = "d.csv", **kw: object
) -> tuple[bytes, str, dict[str, object]]:
    return (text if isinstance(text, bytes) else text.encode(), name, kw)


ROW = "SW1,02/03/2026,travel,40,,,\r\n"
BAD_FILES: dict[str, tuple[tuple[bytes, str, dict[str, object]], str]] = {
    "empty": (_bad(""), "is empty"),
    "a very large file": (_bad(b"x" * (MAX_FILE_BYTES + 1)), "larger than 50 MB"),
    "only blank lines": (_bad("\r\n\r\n"), "is empty"),
    "header only": (_bad(HEADER), "no data rows"),
    "BOM and a missing column": (
        _bad("\ufeffStaff id,Date,Minutes\r\nSW1,02/03/2026,40\r\n"),
        "The file has no column for 'Activity'.",
    ),
    "duplicate headers": (
        _bad("Staff id,Date,Date,Activity\r\nSW1,1,2,travel\r\n"),
        "appears twice",
    ),
    "UTF-16 with 31 April": (
        _bad((HEADER + ROW.replace("02/03/2026", "31/04/2026")).encode("utf-16")),
        "Row 2, column 'Date': 31/04/2026 is not a real date",
    ),
    "cp1252 with an unknown activity": (
        _bad((HEADER + ROW.replace("travel", "Café visits")).encode("cp1252")),
        "Row 2, column 'Activity': 'Café visits' is not one of",
    ),
    "Welsh staff id not taking part": (
        _bad(HEADER + ROW.replace("SW1", "ŴYN9")),
        "Row 2: staff id ŴYN9 is not taking part in this diary period.",
    ),
    "29 February in a common year": (
        _bad(HEADER + ROW.replace("02/03/2026", "29/02/2026")),
        "29/02/2026 is not a real date",
    ),
    "month/day order": (
        _bad(HEADER + ROW.replace("02/03/2026", "03/13/2026")),
        "looks like month/day/year",
    ),
    "an Excel serial outside the period": (
        _bad(HEADER + ROW.replace("02/03/2026", "46100")),
        "Row 2, column 'Date': 19/03/2026 is outside the period (02/03/2026 to 08/03/2026).",
    ),
    "a future date": (
        _bad(HEADER + ROW + ROW.replace("02/03/2026", "06/03/2026"), today=dt.date(2026, 3, 4)),
        "Row 3, column 'Date': 06/03/2026 is in the future.",
    ),
    "more than 24 hours in a day": (
        _bad(HEADER + ROW.replace("40", "900") + ROW.replace("40", "600")),
        "Staff id SW1 on 02/03/2026 (rows 2, 3): the entries add up to 25 h, more than",
    ),
    "a negative duration": (
        _bad(HEADER + ROW + ROW.replace("40", "-40")),
        "Row 3: the time spent must be more than zero (it says -40 minutes).",
    ),
    "a zero duration": (_bad(HEADER + ROW.replace("40", "0")), "more than zero"),
    "an end before the start": (
        _bad(HEADER + "SW1,02/03/2026,travel,,11:00,10:00,\r\n"),
        "Row 2: it ends at 10:00, before it starts at 11:00.",
    ),
    "overlapping entries": (
        _bad(
            HEADER
            + "SW1,02/03/2026,travel,,09:00,10:00,\r\n"
            + "SW1,02/03/2026,liaison,,09:30,11:00,\r\n"
        ),
        "Row 2 and Row 3 overlap (09:00–10:00 and 09:30–11:00).",
    ),
    "a tool on indirect work": (
        _bad(HEADER + ROW.replace(",,,\r\n", ",,,mapping\r\n")),
        "Row 2: a Signs of Safety tool can be recorded only for direct work",
    ),
    "semicolons with a word for a number": (
        _bad((HEADER + ROW.replace("40", "forty")).replace(",", ";")),
        "Row 2, column 'Minutes': 'forty' is not a number",
    ),
    "a quoted newline inside the activity": (
        _bad(HEADER + 'SW1,02/03/2026,"Travel\r\nand parking",40,,,\r\n'),
        "Row 2, column 'Activity'",
    ),
    "a bad time": (_bad(HEADER + "SW1,02/03/2026,travel,,9am,10:00,\r\n"), "'9am' is not a time"),
    "one good row and one bad row": (
        _bad(HEADER + ROW + "SW1,03/03/2026,travel,,,,\r\n"),
        "Row 3: give the minutes, or a start and an end time.",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_whole_and_change_nothing(
    db: Database, world: World, period: Period, case: str
) -> None:
    (data, name, options), message = BAD_FILES[case]
    run(db, world, period, (HEADER + "SW1,04/03/2026,court,60,,,\r\n").encode())  # existing data
    before = dump(db)
    with pytest.raises(InvalidInput) as refused:
        run(db, world, period, data, name, **options)
    assert message in str(refused.value), (case, str(refused.value))
    assert "Traceback" not in str(refused.value)
    assert dump(db) == before, case


def test_errors_are_listed_for_every_row_at_once(
    db: Database, world: World, period: Period
) -> None:
    data = (
        HEADER
        + "SW1,31/04/2026,travel,40,,,\r\n"
        + "NOBODY,02/03/2026,travel,40,,,\r\n"
        + "SW1,02/03/2026,travel,-5,,,\r\n"
    ).encode()
    with pytest.raises(InvalidInput) as refused:
        run(db, world, period, data)
    assert refused.value.problems[0] == "Row 2, column 'Date': 31/04/2026 is not a real date."
    assert str(refused.value).startswith("Nothing was imported: 1 problem(s) found.")
    fixed = data.replace(b"31/04/2026", b"02/03/2026")
    with pytest.raises(InvalidInput) as refused:
        run(db, world, period, fixed)
    assert refused.value.problems == [
        "Row 3: staff id NOBODY is not taking part in this diary period.",
        "Row 4: the time spent must be more than zero (it says -5 minutes).",
    ]


def test_template_round_trips_and_progress_is_reported(
    db: Database, world: World, settings: Settings
) -> None:
    period = launch(db, world, [("SW0001", "Alpha", "Social worker", 1.0)])
    template = diary_template()
    table, mapping = preview_diaries(template, "template.csv")
    assert all(mapping.values()) and len(table.rows) == 3
    steps: list[float] = []
    result = import_diaries(
        db,
        world.lead,
        period.period_id,
        data=template,
        filename="template.csv",
        progress=steps.append,
        today=AFTER,
    )
    assert result.rows == 3 and steps[-1] == 1.0
    with db.read() as session:
        assert session.scalar(select(func.sum(DiaryEntry.minutes))) == 90 + 40 + 150


def test_imports_need_a_lead_and_an_open_period(db: Database, world: World, period: Period) -> None:
    data = (HEADER + ROW).encode()
    with pytest.raises(PermissionDenied):
        import_diaries(db, world.executive, period.period_id, data=data, filename="d.csv")
    diaries.close_period(db, world.lead, period.period_id)
    before = dump(db)
    with pytest.raises(InvalidInput, match="closed"):
        run(db, world, period, data)
    assert dump(db) == before


def test_a_chosen_column_mapping_is_used(db: Database, world: World, period: Period) -> None:
    data = b"Person,When,What,How long\r\nSW1,02/03/2026,travel,25\r\n"
    mapping: dict[str, str | None] = {
        "staff_ref": "Person",
        "entry_date": "When",
        "activity": "What",
        "minutes": "How long",
        "starts_at": None,
        "ends_at": None,
        "sos_tool": None,
    }
    assert run(db, world, period, data, mapping=mapping).rows == 1
    assert saved(db, period) == {("SW1", MONDAY): [Entry("travel", 25)]}
