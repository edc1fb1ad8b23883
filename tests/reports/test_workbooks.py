"""Every workbook the app produces, read back as a spreadsheet would: the dashboard's (band
tables, by team, trend, benchmarks) and conference feedback's, from the demo authority.
Numbers are numbers, percentages numbers in the percent format, every sheet's rows
labelled, and the Benchmarks sheet names its statements."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest

from sos_workforce import feedback
from sos_workforce.access.auth import sign_in
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from sos_workforce.reports import dashboard_workbook
from sos_workforce.surveys import load_wave_counts
from tests.support.apptest import ROOT
from tests.support.environment import make_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.apptest import DemoApp

_NUMBER_AS_TEXT = re.compile(r"^\s*[+\-−]?\d[\d,]*(\.\d+)?\s*%?\s*$")
# The first column of each sheet: what its rows are.
ROW_LABELS = {
    "Bands": "Statement",
    "By team": "Team",
    "Trend": "Wave",
    "Benchmarks": "Short label",
    "Codebook": "Column",
    "Summary": "Period",
    "Distribution": "Score",
    "Statements": "Statement",
    "By quarter": "Quarter",
}


@pytest.fixture
def demo_database(demo_app: DemoApp) -> Iterator[tuple[Database, DemoApp]]:
    _, demo = demo_app
    database = Database.from_settings(make_settings(demo.url, ROOT))
    yield database, demo_app
    database.dispose()


def _check_workbook(data: bytes) -> openpyxl.Workbook:
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book:
        rows = list(sheet.iter_rows())
        assert len(rows) > 1, sheet.title
        headings = [cell.value for cell in rows[0]]
        # "By agency" and the like are headed by the form's own breakdown.
        label = next((v for k, v in ROW_LABELS.items() if sheet.title.startswith(k)), None)
        assert headings[0] == label or sheet.title.startswith("By "), sheet.title
        assert all(rows_cell.value not in (None, "") for rows_cell in rows[0]), sheet.title
        for row in rows[1:]:
            if sheet.title != "Codebook":
                assert row[0].value not in (None, ""), (sheet.title, row[0].coordinate)
            for cell, heading in zip(row, headings, strict=True):
                if isinstance(cell.value, str):
                    assert not _NUMBER_AS_TEXT.match(cell.value), (sheet.title, heading, cell.value)
                    assert cell.value not in ("None", "nan", "NaN", "NaT"), (sheet.title, heading)
                elif cell.data_type == "n" and cell.value is not None and "%" in str(heading):
                    assert cell.number_format == "0.0%", (sheet.title, heading)
                    assert isinstance(cell.value, int | float), (sheet.title, heading)
                    assert 0 <= cell.value <= 1, (sheet.title, heading, cell.value)
    return book


def test_the_dashboard_workbook(demo_database: tuple[Database, DemoApp]) -> None:
    database, (_, demo) = demo_database
    executive = sign_in(database, *DEMO_CREDENTIALS[Role.EXECUTIVE])
    wave = demo.summary.closed_wave_id
    book = _check_workbook(
        dashboard_workbook(database, executive, demo.summary.organisation_id, wave, 0, 5)
    )
    assert {"Bands 1", "By team", "Trend", "Benchmarks", "Codebook"} <= set(book.sheetnames)
    definition = load_wave_counts(database, executive, wave).definition
    statements = {item.label: item.text for item in definition.items if hasattr(item, "bands")}
    benchmarks = list(book["Benchmarks"].iter_rows(values_only=True))
    headings = benchmarks[0]
    assert headings[:2] == ("Short label", "Statement")
    assert {row[0]: row[1] for row in benchmarks[1:]} == statements
    own = headings.index("Us: % in top band")
    cells = list(book["Benchmarks"].iter_rows(min_row=2))
    assert all(row[own].data_type == "n" and row[own].number_format == "0.0%" for row in cells)
    bands = list(book["Bands 1"].iter_rows(min_row=2))
    assert all(cell.data_type == "n" for row in bands for cell in row[1:])
    trend: list[Any] = list(book["Trend"].iter_rows(min_row=2))
    assert all(row[1].is_date and row[1].number_format == "d mmm yyyy" for row in trend)


def test_the_conference_feedback_workbook(demo_database: tuple[Database, DemoApp]) -> None:
    database, (_, demo) = demo_database
    lead = sign_in(database, *DEMO_CREDENTIALS[Role.LEAD])
    forms = [
        form
        for form in feedback.list_feedback_forms(database, lead, demo.summary.organisation_id)
        if form.form_id is not None
    ]
    assert forms
    shown = 0
    for form in forms:
        assert form.form_id is not None
        report = feedback.latest_feedback(database, lead, form.form_id, 5, today=dt.date.today())
        if report is None:
            continue
        book = _check_workbook(feedback.feedback_workbook(report))
        if report.shown:
            shown += 1
            distribution = list(book["Distribution"].iter_rows(min_row=2))
            assert all(row[2].number_format == "0.0%" for row in distribution)
            shares = [float(row[2].value) for row in distribution]  # type: ignore[arg-type]
            assert sum(shares) == pytest.approx(1, abs=0.01)
    assert shown
