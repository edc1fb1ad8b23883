"""Issue 22's acceptance in Debian's chromium: a respondent opts in as a future in-house
trainer on the survey form; the lead sees them on the Training page and records "booked
on train-the-trainer"; the executive's count of in-house trainers moves from 0 to 1."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from sos_workforce import surveys
from sos_workforce.access import list_teams
from sos_workforce.access import sign_in as sign_in_service
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from sos_workforce.training import list_optins
from tests.support.apptest import DemoDatabase
from tests.support.browser import running_app, settled, sign_in
from tests.support.environment import make_settings, require_chromium
from tests.support.factories import instrument_version

pytestmark = pytest.mark.browser
NAME = "Robin Future-Trainer"


def _click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    settled(page)


def _trainers(page: Page) -> None:
    page.get_by_role("link", name="Training coverage").click()
    settled(page)


def test_a_respondent_opts_in_as_a_trainer_and_the_executive_count_moves(
    tmp_path: Path, demo_template: DemoDatabase, browser: Browser
) -> None:
    require_chromium()
    shutil.copyfile(demo_template.url, tmp_path / "app.db")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    db = Database.from_settings(make_settings(url, tmp_path))
    lead = sign_in_service(db, *DEMO_CREDENTIALS[Role.LEAD])
    admin = sign_in_service(db, *DEMO_CREDENTIALS[Role.ADMIN])
    organisation_id = next(iter(lead.organisation_ids))
    team = list_teams(db, lead, organisation_id)[0]
    launched = surveys.launch_wave(
        db,
        lead,
        organisation_id=organisation_id,
        instrument_version_id=instrument_version(db, "sos_confidence"),
        title="Trainer pipeline wave",
        opens_on=dt.date.today(),
        closes_on=dt.date.today() + dt.timedelta(days=7),
        audience=[surveys.AudienceMember("TP01", team.id, "robin@northbridge.example", NAME)],
        base_url="http://testserver",
        allow_optin=True,
    )
    surveys.enable_links_file(db, admin, launched.wave_id)
    [link] = surveys.issue_links_file(db, lead, launched.wave_id, base_url="http://testserver")
    token = link.url.rsplit("t=", 1)[1]

    with running_app({"SOS_DATABASE_URL": url, "SOS_DATA_DIR": str(tmp_path)}) as base_url:
        executive = browser.new_context().new_page()
        sign_in(executive, base_url, *DEMO_CREDENTIALS[Role.EXECUTIVE])
        _trainers(executive)
        metric = executive.locator("[data-testid=stMetricValue]").first
        expect(metric).to_have_text("0")

        staff = browser.new_context().new_page()
        staff.goto(f"{base_url}/survey?t={token}")
        settled(staff)
        expect(staff.get_by_text("Section 1 of 2: About you")).to_be_visible()
        _click(staff, "Continue")  # every question may be skipped
        expect(staff.get_by_text("Section 2 of 2")).to_be_visible()
        _click(staff, "Continue")
        expect(staff.get_by_role("heading", name="Check your answers")).to_be_visible()
        staff.get_by_text("I would like to become an in-house trainer").click()
        settled(staff)
        expect(staff.get_by_text("Who will see your name:")).to_be_visible()
        _click(staff, "Send my answers")
        expect(staff.get_by_role("heading", name="Thank you")).to_be_visible()

        page = browser.new_context().new_page()
        sign_in(page, base_url, *DEMO_CREDENTIALS[Role.LEAD])
        page.get_by_role("link", name="Training", exact=True).click()
        settled(page)
        page.get_by_role("tab", name="Requests from the survey").click()
        expect(page.get_by_text(NAME).first).to_be_visible()
        [request] = list_optins(db, lead, organisation_id)
        page.locator(f".st-key-optin_step_{request.id}").get_by_role("combobox").click()
        page.get_by_role("option", name="Booked on train-the-trainer").click()
        settled(page)
        page.locator(f".st-key-optin_record_{request.id} button").click()
        settled(page)
        expect(page.get_by_text("Booked on train-the-trainer (")).to_be_visible()
        assert [s.step for s in list_optins(db, lead, organisation_id)[0].steps] == [
            "booked_trainer"
        ]

        executive.get_by_role("link", name="Workforce and retention").click()  # away and back
        settled(executive)
        _trainers(executive)
        expect(executive.locator("[data-testid=stMetricValue]").first).to_have_text("1")
        expect(executive.get_by_text(NAME)).to_have_count(0)
