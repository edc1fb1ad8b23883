"""Reports use each instrument's declared words and scale: the scrutiny report's conference
feedback section in the words of Brent's report (seed 004 §3.17, §3.26), and a wave of a
parents' form never called "staff" nor "1 to 10"."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from sqlalchemy import select

from sos_workforce import surveys
from sos_workforce.core.db import Database
from sos_workforce.core.models import Instrument, InstrumentVersion
from sos_workforce.reports import dashboard_workbook, scrutiny_report
from tests.support.factories import World, launch, release_all, token_of
from tests.support.feedback_factories import (
    FAMILY,
    PROFESSIONAL,
    brent_parents,
    brent_professionals,
    enter,
    start_form,
)

AFTER = dt.date(2018, 2, 1)


def test_the_scrutiny_report_gives_conference_feedback_in_brents_words(
    db: Database, world: World
) -> None:
    enter(db, world, start_form(db, world, PROFESSIONAL), brent_professionals())
    enter(db, world, start_form(db, world, FAMILY), brent_parents())
    wave = launch(db, world)
    html = scrutiny_report(db, world.executive, world.organisation_id, wave.wave_id, 5, today=AFTER)
    assert "Feedback after child protection conferences" in html
    assert (
        "Feedback from child protection conferences between April and December 2017: "
        "216 professionals, average score 8.8/10."
    ) in html
    assert "163 parents and carers, average score 8.4/10." in html
    assert "Q3 2017-18 (October to December 2017)" in html
    assert "Children&#39;s social care" in html  # by agency, escaped


def test_a_report_before_any_month_has_ended_explains_and_shows_no_figure(
    db: Database, world: World
) -> None:
    enter(db, world, start_form(db, world, PROFESSIONAL), brent_professionals())
    wave = launch(db, world)
    html = scrutiny_report(
        db, world.executive, world.organisation_id, wave.wave_id, 5, today=dt.date(2017, 5, 10)
    )
    assert "no month with forms has ended yet" in html
    assert "average score" not in html


def _first_version(db: Database, code: str) -> int:
    with db.read() as session:
        version = session.scalar(
            select(InstrumentVersion.id)
            .join(Instrument)
            .where(Instrument.code == code, InstrumentVersion.version == 1)
        )
    assert version is not None
    return version


def test_a_parents_form_run_as_a_wave_is_reported_in_its_own_words(
    db: Database, world: World
) -> None:
    launched = launch(db, world, {"Alpha": 6}, instrument=_first_version(db, FAMILY))
    for link in launched.links:
        surveys.submit_response(db, token_of(link), {"understood_worries": 8})
    release_all(db, launched.wave_id)
    html = scrutiny_report(db, world.executive, world.organisation_id, launched.wave_id, 5)
    assert "6 parents and carers answered" in html
    assert "rated from 0 to 10" in html
    assert "members of staff" not in html and "1 to 10" not in html
    assert "Staff confidence in Signs of Safety" not in html
    workbook = openpyxl.load_workbook(
        io.BytesIO(
            dashboard_workbook(db, world.executive, world.organisation_id, launched.wave_id, 0, 5)
        ),
        read_only=True,
    )
    meanings = {row[0]: row[1] for row in workbook["Codebook"].iter_rows(values_only=True)}
    assert meanings["Statement"] == "The statement parents and carers rated."
