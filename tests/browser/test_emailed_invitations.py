"""Issue 17's acceptance test in Debian's chromium: a lead launches a wave to a roster with
email addresses (an uploaded CSV), confirms, and sends the queue; the local SMTP server
(aiosmtpd, STARTTLS and AUTH) receives every invitation; a member of staff opens the
emailed link in the browser and answers; the link then refuses a second use; the
executive's dashboard shows nothing new until five of the team have answered."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from playwright.sync_api import Browser, Page, expect

from sos_workforce.core.enums import Role
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import DemoDatabase
from tests.support.browser import running_app, settled, sign_in
from tests.support.environment import require_chromium
from tests.support.smtp import SmtpServer, link_in, smtp_server

pytestmark = pytest.mark.browser

ROSTER = "Staff id,Team,Email\r\n" + "".join(
    f"EM{n:02},{team},worker{n}@northbridge.example\r\n"
    for n, team in enumerate(["Assessment Team North"] * 6 + ["Leaving Care"])
)


class EmailServer(TypedDict):
    base_url: str
    smtp: SmtpServer


@pytest.fixture(scope="module")
def email_server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase
) -> Iterator[EmailServer]:
    require_chromium()
    folder = tmp_path_factory.mktemp("email-browser")
    shutil.copyfile(demo_template.url, folder / "app.db")
    with smtp_server(folder) as smtp:
        settings = smtp.settings()
        env = {
            "SOS_DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
            "SOS_DATA_DIR": str(folder),
            **{f"SOS_{name.upper()}": str(value) for name, value in settings.items()},
        }
        with running_app(env) as base_url:
            yield {"base_url": base_url, "smtp": smtp}


def _click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    settled(page)


def test_a_lead_emails_a_roster_and_staff_answer_through_the_emailed_link(
    email_server: EmailServer, page: Page, browser: Browser, tmp_path: Path
) -> None:
    base_url, smtp = email_server["base_url"], email_server["smtp"]
    sign_in(page, base_url, *DEMO_CREDENTIALS[Role.LEAD])
    page.get_by_role("link", name="Survey waves").click()
    settled(page)

    # Launch to a roster with email addresses.
    page.locator(".st-key-wave_title input").fill("Emailed spring survey")
    page.locator(".st-key-wave_title input").press("Enter")
    settled(page)
    page.locator(".st-key-wave_instrument").get_by_role("combobox").click()
    page.get_by_role("option", name="Signs of Safety staff confidence", exact=False).first.click()
    settled(page)
    page.locator(".st-key-wave_audience_mode").get_by_text("A staff roster").click()
    settled(page)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    page.locator(".st-key-wave_roster input[type=file]").set_input_files(roster)
    settled(page)
    expect(page.get_by_text("7 people in 2 team(s).")).to_be_visible()
    expect(page.locator(".st-key-mail_body textarea")).to_contain_text("{link}")
    _click(page, "Launch wave")
    expect(page.get_by_text("Send 7 invitations?")).to_be_visible()
    assert smtp.mailbox.messages == []  # nothing stored or sent before the confirmation
    _click(page, "Yes, send 7 invitations")
    expect(page.get_by_text("7 invitations are queued")).to_be_visible()
    # The lead is never given the links.
    expect(page.get_by_role("button", name="Download the links file (CSV)")).to_have_count(0)

    # Send the queue from the wave, with progress.
    page.get_by_role("tab", name="Waves and response rates").click()
    settled(page)
    page.locator(".st-key-rates_wave").get_by_role("combobox").click()
    page.get_by_role("option", name="Emailed spring survey", exact=False).click()
    settled(page)
    _click(page, "Send the 7 queued emails now")
    expect(page.get_by_text("Sent 7, failed 0.")).to_be_visible()
    assert sorted(smtp.mailbox.recipients) == sorted(
        f"worker{n}@northbridge.example" for n in range(7)
    )
    (message,) = smtp.mailbox.to("worker5@northbridge.example")
    link = link_in(message)
    assert link.startswith(f"{base_url}/survey?t=")

    # A member of staff answers through the emailed link.
    _answer(browser, link)

    again = browser.new_context().new_page()
    again.goto(link)
    settled(again)
    expect(again.get_by_text("This link has already been used")).to_be_visible()

    # The dashboard shows nothing new until k (5) of the team have answered.
    executive = browser.new_context().new_page()
    sign_in(executive, base_url, *DEMO_CREDENTIALS[Role.EXECUTIVE])
    assert _respondents_shown(executive) is None
    for n in range(3):  # four answers in all: still nothing
        _answer(browser, link_in(smtp.mailbox.to(f"worker{n}@northbridge.example")[0]))
    assert _respondents_shown(executive) is None
    _answer(browser, link_in(smtp.mailbox.to("worker3@northbridge.example")[0]))
    assert _respondents_shown(executive) == 5


def _answer(browser: Browser, link: str) -> None:
    staff = browser.new_context().new_page()
    staff.goto(link)
    settled(staff)
    expect(staff.get_by_role("heading", name="Signs of Safety staff confidence")).to_be_visible()
    # The wave asks version 1 (one section), so the statements are on the first page.
    expect(staff.get_by_text("Section 1 of 1", exact=False)).to_be_visible()
    staff.locator(".st-key-q_understanding").get_by_text("8", exact=True).click()
    staff.locator(".st-key-q_integration").get_by_text("6", exact=True).click()
    _click(staff, "Continue")
    expect(staff.get_by_role("heading", name="Check your answers")).to_be_visible()
    _click(staff, "Send my answers")
    expect(staff.get_by_role("heading", name="Thank you")).to_be_visible()
    staff.context.close()


def _respondents_shown(page: Page) -> int | None:
    """The executive's dashboard for the emailed wave: respondents in the whole-wave
    table, or None when it says there are too few to show."""
    page.get_by_role("link", name="Confidence dashboard").click()
    settled(page)
    wave = page.locator(".st-key-dashboard_wave").get_by_role("combobox")
    wave.click()
    page.get_by_role("option", name="Emailed spring survey", exact=False).click()
    # The dashboard opens on the newest wave with results (the demo's): wait until the
    # choice has taken, or the demo wave's figures would be read.
    expect(wave).to_have_value(re.compile("^Emailed spring survey"))
    settled(page)
    expect(page.get_by_text("Results update after every 5 new answers in a team")).to_be_visible()
    shown = page.get_by_text(re.compile(r"^\d+ respondents\.$"))
    if shown.count():
        return int(shown.first.inner_text().split()[0])
    expect(page.get_by_text("has too few responses to show", exact=False)).to_be_visible()
    return None
