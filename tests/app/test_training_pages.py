"""AppTest of the training pages on SQLite and PostgreSQL: the lead records a session and
sees coverage with staff ids; the lead sees only the people who asked and records a step;
the executive sees shares and the trainer count move, and never a name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from sos_workforce import surveys
from sos_workforce.core.db import Database
from sos_workforce.training import list_optins, list_sessions
from sos_workforce.workforce import import_roster
from tests.support.apptest import APP, sign_in_as
from tests.support.factories import PASSWORD, World, token_of, with_links

ROSTER = "Staff id,Team,Role,Employment type,FTE,Start date\n" + "".join(
    f"R{n:02},Alpha,Social worker,permanent,1,01/01/2020\n" for n in range(1, 7)
)
TODAY = dt.date.today()


@pytest.fixture
def new_app(db_url: str, app_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("SOS_DATABASE_URL", db_url)
    yield AppTest.from_file(APP, default_timeout=30)


def _open(at: AppTest, email: str, page: str) -> AppTest:
    sign_in_as(at, email, PASSWORD)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _opt_in(db: Database, world: World) -> None:
    audience = [
        surveys.AudienceMember("R01", world.teams["Alpha"], "ann@testshire.example", "Ann Trainer"),
        surveys.AudienceMember("R02", world.teams["Alpha"], "bob@testshire.example", "Bob Quiet"),
    ]
    launched = surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=world.instrument_version_id,
        title="Spring wave",
        opens_on=TODAY,
        closes_on=TODAY + dt.timedelta(days=7),
        audience=audience,
        base_url="http://testserver",
        allow_optin=True,
    )
    links = {link.staff_ref: token_of(link) for link in with_links(db, world, launched).links}
    answers: dict[str, surveys.AnswerValue] = {"understanding": 8}
    surveys.submit_response(db, links["R01"], answers, opt_in=surveys.OptIn(trainer=True))
    surveys.submit_response(db, links["R02"], answers)


def test_lead_records_a_session_and_sees_coverage(
    new_app: AppTest, db: Database, world: World
) -> None:
    import_roster(
        db, world.lead, world.organisation_id, data=ROSTER.encode(), filename="r.csv", as_of=TODAY
    )
    at = _open(new_app, "lead@testshire.example", "pages/training.py")
    at.text_area(key="training_refs").input("R01, R02\nR03")
    at.text_area(key="training_names").input("Agency Worker")
    at.button(key="FormSubmitter:training_entry-Record the session").click().run()
    assert not at.exception, at.exception
    assert any("Recorded 4 attendance" in s.value for s in at.success)
    [session] = list_sessions(db, world.lead, world.organisation_id)
    assert session.staff_refs == ("R01", "R02", "R03") and session.names == ("Agency Worker",)
    coverage = at.dataframe[0].value
    assert coverage.loc[coverage["Level"].str.startswith("Introduction"), "Trained %"].item() == (
        "50.0%"  # 3 of the 6 in post
    )


def test_lead_sees_only_those_who_asked_and_the_executive_the_count(
    new_app: AppTest, db: Database, world: World
) -> None:
    _opt_in(db, world)
    at = _open(new_app, "lead@testshire.example", "pages/training.py")
    page = " ".join(m.value for m in at.markdown)
    assert "Ann Trainer" in page and "Bob Quiet" not in page
    [request] = list_optins(db, world.lead, world.organisation_id)
    at.selectbox(key=f"optin_step_{request.id}").select("booked_trainer")
    at.button(key=f"optin_record_{request.id}").click().run()
    assert not at.exception, at.exception
    [request] = list_optins(db, world.lead, world.organisation_id)
    assert [s.step for s in request.steps] == ["booked_trainer"]

    executive = AppTest.from_file(APP, default_timeout=30)
    at = _open(executive, "executive@testshire.example", "pages/training_coverage.py")
    assert at.metric[0].value == "1"
    shown = " ".join(
        [m.value for m in at.markdown] + [str(d.value.to_dict()) for d in at.dataframe]
    )
    assert "Ann" not in shown and "ann@" not in shown
