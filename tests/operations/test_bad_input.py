"""The bad-input corpus of GUIDE.md section 5, in one place: every input gets a clear,
plain-language error and leaves the database exactly as it was (compared by a full dump of
every table before and after). Both databases.

Privacy cases (groups of k-1, k, k+1; subtraction; filters) are in test_disclosure.py and
test_filters.py; kills during imports and submissions in test_reliability.py.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from sos_workforce import diaries, surveys, workforce
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import SosError
from sos_workforce.core.tabular import MAX_FILE_BYTES
from sos_workforce.diaries.days import EntryInput
from sos_workforce.diaries.periods import ParticipantInput
from sos_workforce.privacy import retention
from tests.support.database import dump
from tests.support.environment import empty_postgres, make_settings
from tests.support.factories import World, build_world, launch, token_of, with_links
from tests.support.workbooks import sheet_xml, workbook_with_sheet

TODAY = dt.date.today()
HEADER = (
    "Staff id,Team,Role,Employment type,FTE,Start date,Leave date,Leave reason,"
    "Cases held,Sickness days\r\n"
)
GOOD_ROW = "SW1,Alpha,Social worker,permanent,1.0,01/09/2021,,,12,2\r\n"
# Issue 18: 5 KB declaring A1:XFD1048576, with a cell there; and a zip bomb part.
CORNER_WORKBOOK = workbook_with_sheet(
    sheet_xml(
        [["Staff id", "Team"], ["SW1", "Alpha"]],
        dimension="A1:XFD1048576",
        extra_cells=[("XFD1048576", "x")],
    )
)
BOMB_WORKBOOK = workbook_with_sheet(
    sheet_xml([["Staff id", "Team"], ["SW1", "Alpha"]]), padding=100_000_001
)


@dataclass
class Corpus:
    world: World
    spent: str
    fresh: str
    closed: str
    open_link: str
    wave_id: int
    closed_wave_id: int
    diary: str = ""  # a diary link of an open period, with entries today
    closed_diary: str = ""
    diary_period_id: int = 0
    closed_diary_period_id: int = 0


def build_corpus(db: Database, settings: Settings) -> Corpus:
    world = build_world(db, settings)
    launched = launch(db, world, {"Alpha": 6, "Beta": 3}, allow_identified=False)
    tokens = [token_of(link) for link in launched.links]
    surveys.submit_response(db, tokens[0], {"understanding": 7})
    surveys.save_draft(db, tokens[1], {"understanding": 3})
    closed = launch(db, world, {"Alpha": 5})
    surveys.close_wave(db, world.lead, closed.wave_id)
    link = surveys.issue_open_link(db, world.lead, launched.wave_id, base_url="http://t")
    workforce.import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=(HEADER + GOOD_ROW).encode(),
        filename="roster.csv",
        as_of=TODAY - dt.timedelta(days=30),
    )
    diary_ids, diary_links = [], []
    for title in ("Diary week", "Closed diary week"):
        launched_diary = diaries.launch_period(
            db,
            world.lead,
            world.organisation_id,
            title=title,
            starts_on=TODAY - dt.timedelta(days=3),
            ends_on=TODAY + dt.timedelta(days=3),
            team_ids=[world.teams["Alpha"]],
            base_url="http://t",
            participants=[ParticipantInput("SW1", world.teams["Alpha"], "Social worker", 1.0)],
        )
        diary_ids.append(launched_diary.period_id)
        diaries.enable_links_file(db, world.admin, launched_diary.period_id)
        [diary_link] = diaries.reissue_links(
            db, world.lead, launched_diary.period_id, base_url="http://t"
        )
        diary_links.append(diary_link.url.rsplit("d=", 1)[1])
        diaries.save_day(db, diary_links[-1], TODAY, [EntryInput("travel", 30)])
    diaries.close_period(db, world.lead, diary_ids[1])
    return Corpus(
        world,
        diary=diary_links[0],
        closed_diary=diary_links[1],
        diary_period_id=diary_ids[0],
        closed_diary_period_id=diary_ids[1],
        spent=tokens[0],
        fresh=tokens[2],
        closed=token_of(closed.links[0]),
        open_link=link.rsplit("o=", 1)[1],
        wave_id=launched.wave_id,
        closed_wave_id=closed.wave_id,
    )


def _roster(text: str | bytes, name: str = "roster.csv") -> Callable[[Database, Corpus], object]:
    data = text if isinstance(text, bytes) else text.encode()
    return lambda db, c: workforce.import_roster(
        db, c.world.lead, c.world.organisation_id, data=data, filename=name, as_of=TODAY
    )


def _day(*entries: EntryInput, day: dt.date | None = None) -> Callable[[Database, Corpus], object]:
    return lambda db, c: diaries.save_day(db, c.diary, day or TODAY, list(entries))


DIARY_HEADER = "Staff id,Date,Activity,Minutes,Start,End\r\n"


def _diary_file(text: str | bytes, name: str = "d.csv") -> Callable[[Database, Corpus], object]:
    data = text if isinstance(text, bytes) else text.encode()
    return lambda db, c: diaries.import_diaries(
        db, c.world.lead, c.diary_period_id, data=data, filename=name
    )


def _answers(answers: dict[str, object]) -> Callable[[Database, Corpus], object]:
    return lambda db, c: surveys.submit_response(db, c.fresh, answers)  # type: ignore[arg-type]


def _launch(**changes: object) -> Callable[[Database, Corpus], object]:
    def run(db: Database, c: Corpus) -> object:
        arguments: dict[str, object] = {
            "organisation_id": c.world.organisation_id,
            "instrument_version_id": c.world.instrument_version_id,
            "title": "A new wave",
            "opens_on": TODAY,
            "closes_on": TODAY + dt.timedelta(days=7),
            "headcounts": {c.world.teams["Alpha"]: 3},
            "base_url": "http://t",
        }
        arguments.update(changes)
        return surveys.launch_wave(db, c.world.lead, **arguments)  # type: ignore[arg-type]

    return run


CASES: dict[str, tuple[Callable[[Database, Corpus], object], str]] = {
    # --- files --------------------------------------------------------------------------
    "empty file": (_roster(""), "empty"),
    "header only": (_roster(HEADER), "no data rows"),
    "BOM and a missing column": (_roster("\ufeffStaff id,Team\r\nSW1,Alpha\r\n"), "no column"),
    "UTF-16 with a bad FTE": (
        _roster((HEADER + GOOD_ROW.replace(",1.0,", ",1.7,")).encode("utf-16")),
        "Row 2",
    ),
    "cp1252 with Welsh-ish names and 31 April": (
        _roster(
            (HEADER + "SW2,Tîm Gwyn,Social worker,permanent,1.0,31/04/2021,,,3,0\r\n").encode(
                "cp1252"
            )
        ),
        "Row 2",
    ),
    "29 February in a common year": (
        _roster(HEADER + GOOD_ROW.replace("01/09/2021", "29/02/2023")),
        "Row 2",
    ),
    "a future start date": (
        _roster(HEADER + GOOD_ROW.replace("01/09/2021", "01/01/2099")),
        "after the snapshot date",
    ),
    "duplicate headers": (_roster("Staff id,Staff id,Team\r\nA,B,C\r\n"), "twice"),
    "the same staff id twice with stray spaces and case": (
        _roster(HEADER + GOOD_ROW + GOOD_ROW.replace("SW1", " sw1 ")),
        "also appears",
    ),
    "semicolons with a word for a number": (
        _roster((HEADER + GOOD_ROW.replace(",12,", ",twelve,")).replace(",", ";"), "roster.csv"),
        "Row 2",
    ),
    "quoted newline inside a team name and a bad date": (
        _roster(HEADER + 'SW3,"Alpha\r\nNorth",Social worker,permanent,1,13/13/2020,,,1,1\r\n'),
        "Row 2",
    ),
    "a very large file": (_roster(b"x" * (MAX_FILE_BYTES + 1)), "larger than"),
    "a 5 KB roster workbook declaring a whole sheet, with a cell in its last corner": (
        _roster(CORNER_WORKBOOK, "roster.xlsx"),
        "roster.xlsx has more than 250,000 rows",
    ),
    "a roster workbook that unpacks to over 100 MB": (
        _roster(BOMB_WORKBOOK, "roster.xlsx"),
        "roster.xlsx would unpack to more than 100 MB",
    ),
    "an audience workbook declaring a whole sheet, with a cell in its last corner": (
        lambda db, c: surveys.read_audience(
            db,
            c.world.lead,
            c.world.organisation_id,
            data=CORNER_WORKBOOK,
            filename="audience.xlsx",
        ),
        "audience.xlsx has more than 250,000 rows",
    ),
    "a leave reason without a leave date": (
        _roster(HEADER + GOOD_ROW.replace(",,,12", ",,resignation,12")),
        "without a leave date",
    ),
    "an audience roster naming an unknown team": (
        lambda db, c: surveys.read_audience(
            db,
            c.world.lead,
            c.world.organisation_id,
            data=b"Staff id,Team\r\nSW9,Gamma\r\n",
            filename="a.csv",
        ),
        "no team called",
    ),
    "an instrument file that is not YAML": (
        lambda db, c: surveys.publish_instrument(
            db, c.world.lead, "code: [oops", organisation_id=c.world.organisation_id
        ),
        "not valid YAML",
    ),
    "an instrument changed under the same version": (
        lambda db, c: surveys.publish_instrument(
            db,
            c.world.admin,  # the shared library's: only an administrator publishes there
            (Settings().surveys_dir / "sos_confidence.yaml")
            .read_text()
            .replace("theoretical principles", "principles"),
        ),
        "new version",
    ),
    # --- values -------------------------------------------------------------------------
    "scale answer 0": (_answers({"understanding": 0}), "outside the scale"),
    "scale answer 11": (_answers({"understanding": 11}), "outside the scale"),
    "scale answer 3.5": (_answers({"understanding": 3.5}), "whole number"),
    "scale answer 'three'": (_answers({"understanding": "three"}), "whole number"),
    "an unknown question": (_answers({"favourite_colour": 1}), "Unknown question"),
    "a choice that is not an option": (_answers({"employment_type": 9}), "not one of"),
    "launch closing before it opens": (
        _launch(closes_on=TODAY - dt.timedelta(days=1)),
        "close date",
    ),
    "launch with a headcount of 0": (
        _launch(headcounts={1: 0}),
        "headcount",
    ),
    "launch with a blank title": (_launch(title="   "), "title"),
    "a diary day over 24 hours": (
        _day(EntryInput("recording", 900), EntryInput("admin_other", 600)),
        "more than the 24 hours in a day",
    ),
    "a negative diary entry": (_day(EntryInput("travel", -30)), "more than zero"),
    "a zero-length diary entry": (
        _day(EntryInput("travel", None, dt.time(9), dt.time(9))),
        "lasts no time",
    ),
    "a diary entry ending before it starts": (
        _day(EntryInput("travel", None, dt.time(10), dt.time(9))),
        "before it starts",
    ),
    "overlapping diary entries": (
        _day(
            EntryInput("travel", None, dt.time(9), dt.time(10)),
            EntryInput("liaison", None, dt.time(9, 30), dt.time(11)),
        ),
        "overlap",
    ),
    "a diary date outside the period": (
        _day(EntryInput("travel", 30), day=TODAY + dt.timedelta(days=30)),
        "outside this diary period",
    ),
    "an unknown activity code": (_day(EntryInput("gardening", 30)), "not one of the activities"),
    "a tool on indirect work": (
        _day(EntryInput("recording", 30, sos_tool="mapping")),
        "only for direct work",
    ),
    "an empty diary file": (_diary_file(""), "empty"),
    "a diary workbook with a cell far to the right": (
        _diary_file(
            workbook_with_sheet(
                sheet_xml([["Staff id", "Date"], ["SW1", "01/01/2026"]], extra_cells=[("XFD3", 1)])
            ),
            "d.xlsx",
        ),
        "d.xlsx has more than 100 columns",
    ),
    "a diary file with 31 April and a negative duration": (
        _diary_file(
            DIARY_HEADER
            + "SW1,31/04/2026,travel,30,,\r\n"
            + f"SW1,{TODAY:%d/%m/%Y},travel,-30,,\r\n"
        ),
        "Row 2, column 'Date': 31/04/2026 is not a real date",
    ),
    "a diary file over 24 hours in UTF-16": (
        _diary_file(
            (
                DIARY_HEADER
                + f"sw1 ,{TODAY:%d/%m/%Y},recording,900,,\r\n"
                + f"SW1,{TODAY:%d/%m/%Y},travel,600,,\r\n"
            ).encode("utf-16")
        ),
        "more than the 24 hours",
    ),
    "a diary file with a future date": (
        _diary_file(DIARY_HEADER + f"SW1,{TODAY + dt.timedelta(days=2):%d/%m/%Y},travel,30,,\r\n"),
        "in the future",
    ),
    "a diary file for a closed period": (
        lambda db, c: diaries.import_diaries(
            db,
            c.world.lead,
            c.closed_diary_period_id,
            data=(DIARY_HEADER + f"SW1,{TODAY:%d/%m/%Y},travel,30,,\r\n").encode(),
            filename="d.csv",
        ),
        "closed",
    ),
    "a diary period with no weekday": (
        lambda db, c: diaries.launch_period(
            db,
            c.world.lead,
            c.world.organisation_id,
            title="Weekend",
            starts_on=dt.date(2026, 3, 7),
            ends_on=dt.date(2026, 3, 8),
            team_ids=[c.world.teams["Alpha"]],
            base_url="http://t",
            participants=[ParticipantInput("X", c.world.teams["Alpha"], fte=1.0)],
        ),
        "weekday",
    ),
    # --- links --------------------------------------------------------------------------
    "a reused link": (
        lambda db, c: surveys.submit_response(db, c.spent, {"understanding": 5}),
        "already been used",
    ),
    "a link of a closed survey": (
        lambda db, c: surveys.submit_response(db, c.closed, {"understanding": 5}),
        "closed",
    ),
    "an expired link (after the close date)": (
        lambda db, c: surveys.submit_response(
            db, c.fresh, {"understanding": 5}, today=TODAY + dt.timedelta(days=60)
        ),
        "closed",
    ),
    "a tampered link": (
        lambda db, c: surveys.submit_response(
            db, c.fresh[:-1] + ("A" if c.fresh[-1] != "A" else "B"), {"understanding": 5}
        ),
        "not valid",
    ),
    "an overlong link": (
        lambda db, c: surveys.submit_response(db, c.fresh * 50, {"understanding": 5}),
        "not valid",
    ),
    "a draft saved through a spent link": (
        lambda db, c: surveys.save_draft(db, c.spent, {"understanding": 5}),
        "already been used",
    ),
    "a tampered open link": (
        lambda db, c: surveys.start_open_response(db, c.open_link[::-1], 1),
        "not valid",
    ),
    "a tampered diary link": (
        lambda db, c: diaries.save_day(db, c.diary[::-1], TODAY, [EntryInput("travel", 60)]),
        "not valid",
    ),
    "a diary link of a closed period": (
        lambda db, c: diaries.save_day(db, c.closed_diary, TODAY, [EntryInput("travel", 60)]),
        "has closed",
    ),
    "an open link used for a team outside the wave": (
        lambda db, c: surveys.start_open_response(db, c.open_link, 999_999),
        "Choose one of the teams",
    ),
    # --- text ---------------------------------------------------------------------------
    "a 1 MB comment": (
        lambda db, c: _text_wave_submit(db, c, "x" * 1_000_000),
        "under 2000 characters",
    ),
    "a comment with a NUL character": (
        lambda db, c: _text_wave_submit(db, c, "fine\x00then"),
        "NUL",
    ),
    "a name attached to an anonymous survey": (
        lambda db, c: surveys.submit_response(
            db, c.fresh, {"understanding": 4}, identity=surveys.Identity("=HYPERLINK(x)")
        ),
        "anonymous",
    ),
    # --- operations ---------------------------------------------------------------------
    "closing a closed wave": (
        lambda db, c: surveys.close_wave(db, c.world.lead, c.closed_wave_id),
        "already closed",
    ),
    "reopening without a reason": (
        lambda db, c: surveys.reopen_wave(
            db, c.world.lead, c.closed_wave_id, reason="", closes_on=TODAY
        ),
        "Say why",
    ),
    "closing a closed diary period": (
        lambda db, c: diaries.close_period(db, c.world.lead, c.closed_diary_period_id),
        "already closed",
    ),
    "a retention period of 1 day": (
        lambda db, c: retention.set_retention(db, c.world.admin, c.world.organisation_id, 1),
        "between",
    ),
    "an executive launching a wave": (
        lambda db, c: surveys.launch_wave(
            db,
            c.world.executive,
            organisation_id=c.world.organisation_id,
            instrument_version_id=c.world.instrument_version_id,
            title="x",
            opens_on=TODAY,
            closes_on=TODAY,
            headcounts={c.world.teams["Alpha"]: 1},
            base_url="http://t",
        ),
        "role",
    ),
}


_text_waves: dict[int, str] = {}


def _text_wave_submit(db: Database, corpus: Corpus, comment: str) -> None:
    """Submit a comment through a three-columns wave made (and dumped) in the fixture."""
    surveys.submit_response(
        db, _text_waves[corpus.world.organisation_id], {"working_well": comment}
    )


def add_text_wave(db: Database, corpus: Corpus) -> Corpus:
    from sos_workforce.core.models import Instrument, InstrumentVersion

    with db.read() as session:
        version_id = session.scalar(
            select(InstrumentVersion.id).join(Instrument).where(Instrument.code == "three_columns")
        )
    assert version_id is not None
    launched = with_links(
        db,
        corpus.world,
        surveys.launch_wave(
            db,
            corpus.world.lead,
            organisation_id=corpus.world.organisation_id,
            instrument_version_id=version_id,
            title="Columns",
            opens_on=TODAY,
            closes_on=TODAY,
            headcounts={corpus.world.teams["Alpha"]: 1},
            base_url="http://t",
        ),
    )
    _text_waves[corpus.world.organisation_id] = token_of(launched.links[0])
    return corpus


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, Corpus]]:
    """One corpus per database for every case: a case that changed anything fails on its
    own (the dump before and after), so the next case still starts from the same state."""
    folder = tmp_path_factory.mktemp("bad_input")
    if request.param == "sqlite":
        path = folder / "corpus.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        empty_postgres(url)
    db = Database.from_settings(make_settings(url, folder))
    corpus = add_text_wave(db, build_corpus(db, make_settings(url, folder)))
    yield db, corpus
    db.dispose()


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    shared: tuple[Database, Corpus], case: str
) -> None:
    db, corpus = shared
    action, message = CASES[case]
    before = dump(db)
    with pytest.raises(SosError) as caught:
        action(db, corpus)
    assert message in str(caught.value), (case, str(caught.value))
    assert "Traceback" not in str(caught.value)
    after = dump(db)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"{case} changed {changed}"
