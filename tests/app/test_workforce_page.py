"""AppTest of the workforce page on SQLite and PostgreSQL: the establishment page gives the
permanent share of a roster (97 of 124 is 78.2%), the summary form keeps blank apart from
0, a summary on a roster's date asks whose figures count, and DfE's census tab shows DfE's
rates with its codes explained."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sos_workforce.access import set_la_codes
from sos_workforce.core.db import Database
from sos_workforce.dfe import import_dfe_file
from sos_workforce.workforce import import_roster
from tests.support.apptest import APP, sign_in_as
from tests.support.dfe import WORKFORCE, real_file
from tests.support.factories import PASSWORD, World
from tests.workforce.test_establishment_and_summary import BRENT_DAY, brent_roster

PAGE = "pages/workforce.py"


@pytest.fixture
def new_app(db_url: str, app_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("SOS_DATABASE_URL", db_url)
    yield AppTest.from_file(APP, default_timeout=30)


def _open(at: AppTest, email: str) -> AppTest:
    sign_in_as(at, email, PASSWORD)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest, index: str) -> pd.DataFrame:
    return next(t.value for t in at.table if t.value.index.name == index)


def test_97_permanent_of_124_through_the_roster_import_and_establishment_page(
    new_app: AppTest, db: Database, world: World
) -> None:
    # The roster import itself (AppTest has no file uploader; the browser tour uploads).
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=brent_roster(),
        filename="brent.csv",
        as_of=BRENT_DAY,
    )
    at = _open(new_app, "lead@testshire.example")
    assert _table(at, "Measure").loc["Permanent staff as a share of establishment", "Value"] == (
        "not available"
    )
    at.date_input(key="establishment_as_of").set_value(BRENT_DAY).run()
    stamp = BRENT_DAY.isoformat()
    # The sheet lists the roster's teams first: Assessment, Child Protection.
    at.number_input(key=f"est_posts_{stamp}_0").set_value(60.0)
    at.number_input(key=f"est_vac_{stamp}_0").set_value(10.0)
    at.number_input(key=f"est_posts_{stamp}_1").set_value(64.0)
    at.number_input(key=f"est_vac_{stamp}_1").set_value(17.0)
    at.button(key=f"FormSubmitter:establishment_{stamp}-Save establishment").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == (
        "Saved the establishment for 28 February 2018: 2 team(s), 124.0 posts (FTE)."
    )
    # The establishment page itself: 97 permanent / 124 posts = 78.226% → 78.2%.
    beside = [t.value for t in at.table if t.value.index.name == "Measure"][-1]
    assert list(beside.index) == ["Vacancy rate", "Permanent staff as a share of establishment"]
    assert beside.loc["Permanent staff as a share of establishment", "Value"] == "78.2%"
    at.run()
    measures = _table(at, "Measure")
    # 97 permanent / 124 posts = 78.226% → 78.2%; vacancies 27 / (27 + 97) = 21.8%
    assert measures.loc["Permanent staff as a share of establishment", "Value"] == "78.2%"
    assert measures.loc["Permanent staff as a share of establishment", "Numerator"] == "97"
    assert measures.loc["Permanent staff as a share of establishment", "Denominator"] == "124"
    assert measures.loc["Vacancy rate", "Value"] == "21.8%"
    teams = next(t.value for t in at.table if "Assessment" in t.value.index)
    assert teams.loc["Assessment", "Permanent staff as a share of establishment"] == "83.3%"
    assert teams.loc["Child Protection", "Vacancy rate"] == "26.6%"


def test_blank_is_not_recorded_and_zero_agency_is_0_0_percent(
    new_app: AppTest, db: Database, world: World
) -> None:
    at = _open(new_app, "lead@testshire.example")
    day = dt.date(2023, 9, 30)
    at.date_input(key="summary_as_of").set_value(day).run()
    stamp = day.isoformat()
    at.number_input(key=f"s_employed_fte_{stamp}").set_value(40.0)
    at.number_input(key=f"s_leavers_fte_{stamp}").set_value(5.0)
    at.number_input(key=f"s_agency_fte_{stamp}").set_value(0.0)  # cases left blank
    at.button(key=f"FormSubmitter:workforce_summary_{stamp}-Save figures").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Saved 3 figure(s) for 30 September 2023."
    at.run()
    measures = _table(at, "Measure")
    assert measures.loc["Agency rate", "Value"] == "0.0%"  # 0 / (0 + 40)
    assert measures.loc["Turnover rate", "Value"] == "12.5%"  # 5 / 40
    assert measures.loc["Average caseload", "Value"] == "not available"
    # The form shows the saved figures again, a blank still blank and 0 still 0.
    assert at.number_input(key=f"s_agency_fte_{stamp}").value == 0.0
    assert at.number_input(key=f"s_cases_{stamp}").value is None


def test_summary_figures_on_a_roster_date_ask_whose_figures_count(
    new_app: AppTest, db: Database, world: World
) -> None:
    day = BRENT_DAY
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=brent_roster(),
        filename="brent.csv",
        as_of=day,
    )
    at = _open(new_app, "lead@testshire.example")
    at.date_input(key="summary_as_of").set_value(day).run()
    stamp = day.isoformat()
    choice = at.radio(key=f"summary_precedence_{stamp}")
    assert choice.value is None  # no choice is made for the lead
    at.number_input(key=f"s_vacancy_fte_{stamp}").set_value(1.0)
    at.number_input(key=f"s_employed_fte_{stamp}").set_value(10.0)
    submit = f"FormSubmitter:workforce_summary_{stamp}-Save figures"
    at.button(key=submit).click().run()
    assert not at.success
    assert "Choose whose figures count" in at.error[0].value
    at.radio(key=f"summary_precedence_{stamp}").set_value("roster")
    at.button(key=submit).click().run()
    assert at.success[0].value == (
        "Saved 2 figure(s) for 28 February 2018. Used with the roster of that date: "
        "Vacancies, FTE. Not used, because the roster's figures count: Social workers in "
        "post, FTE (employed, not agency)."
    )
    at.run()
    assert any("A roster and summary figures share this date" in i.value for i in at.info)
    measures = _table(at, "Measure")
    # 1 / (1 + the roster's 97 employed FTE) = 1.02% → 1.0%; turnover stays the roster's.
    assert measures.loc["Vacancy rate", "Value"] == "1.0%"
    assert measures.loc["Vacancy rate", "Denominator"] == "98"


def test_dfes_census_tab_shows_dfes_rates_and_explains_codes(
    new_app: AppTest, db: Database, world: World
) -> None:
    at = _open(new_app, "executive@testshire.example")
    assert any("has not been imported yet" in i.value for i in at.info)
    import_dfe_file(db, world.admin, WORKFORCE, real_file(WORKFORCE))
    set_la_codes(db, world.admin, world.organisation_id, old_la_code="304", new_la_code="E09000005")
    import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=brent_roster(),
        filename="brent.csv",
        as_of=BRENT_DAY,
    )
    at.run()
    assert not at.exception, at.exception
    # Brent, London, England, then DfE's rate beside the app's calculation for Brent.
    brent, london, england, compared = [t.value for t in at.table if t.value.index.name == "Census"]
    assert brent.loc["30 September 2025", "Turnover rate"] == "14.1%"
    assert brent.loc["30 September 2017", "Average caseload"] == "not available (x)"
    assert str(london.loc["30 September 2025", "Agency rate"]).endswith("%")
    assert england.loc["30 September 2023", "Agency rate"] == "17.9%"  # DfE's, not 17.8
    assert england.loc["30 September 2023", "Sickness absence rate"] == "3.3%"
    assert compared.loc["30 September 2025", "DfE's rate"] == "14.1%"
    assert compared.loc["30 September 2025", "Worked out from DfE's counts"] == "14.1%"
    assert any("**x**: not available" in c.value for c in at.caption)
    # The snapshot of 28 February 2018 sits beside the census of 30 September 2017.
    measures = _table(at, "Measure")
    assert measures.loc["Turnover rate", "England (DfE, 30 Sep 2017)"] == "13.4%"
    assert measures.loc["Average caseload", "Brent (DfE, 30 Sep 2017)"] == "not available (x)"
    assert str(measures.loc["Agency rate", "London (DfE, 30 Sep 2017)"]).endswith("%")
