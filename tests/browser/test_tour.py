"""The skeleton flow in Debian's chromium: a member of staff answers through a real link
and the executive's table changes."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import func, select

from sos_workforce.core.config import Settings
from sos_workforce.core.dates import as_day
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import PendingResponse, Response, ResponseDraft
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import DemoDatabase
from tests.support.browser import running_app, settled, sign_in
from tests.support.environment import make_settings, require_chromium

pytestmark = pytest.mark.browser


class DemoServer(TypedDict):
    """The app serving a copy of the demo database, and the demo's links into it."""

    base_url: str
    tokens: list[str]  # survey links of the open wave
    rater_tokens: list[str]
    diary_tokens: list[str]
    url: str  # the database
    settings: Settings


@pytest.fixture(scope="module")
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase
) -> Iterator[DemoServer]:
    require_chromium()
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "app.db"
    shutil.copyfile(demo_template.url, path)
    url = f"sqlite:///{path}"
    summary = demo_template.summary
    settings = make_settings(url, folder)
    env = {"SOS_DATABASE_URL": url, "SOS_DATA_DIR": str(folder)}
    with running_app(env) as base_url:
        # Links were made for the default base URL; point them at this server.
        tokens = [link.rsplit("t=", 1)[1] for link in summary.open_wave_links]
        rater_tokens = [link.rsplit("t=", 1)[1] for link in summary.profile_rater_links]
        diary_tokens = [link.rsplit("d=", 1)[1] for link in summary.diary_links]
        yield {
            "base_url": base_url,
            "tokens": tokens,
            "rater_tokens": rater_tokens,
            "diary_tokens": diary_tokens,
            "url": url,
            "settings": settings,
        }


def _n_answering_first_statement(page: Page) -> int:
    table = page.locator("[data-testid=stTable] table").first
    expect(table).to_be_visible()
    first_row = table.locator("tbody tr").first
    return int(first_row.locator("td").last.inner_text().strip())


def test_the_first_request_of_a_fresh_server_is_routed_by_app_py(
    demo_server: DemoServer, page: Page
) -> None:
    """The first test of the module, so this is the server's first page request: serve.py
    decided the routing before it, so no page files are listed and app.py's sign-in shows
    (Streamlit's legacy pages/ mode would list them and could run a page on its own)."""
    page.goto(demo_server["base_url"] + "/waves")
    # No session: the sign-in form (asgi.py), which brings the visitor back afterwards.
    expect(page.get_by_label("Email")).to_be_visible()
    assert "next=%2Fwaves" in page.url
    expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)
    expect(page.get_by_role("link", name="Survey waves")).to_have_count(0)
    # The app's own first run (a link page, anonymous) lists no page files either.
    page.goto(demo_server["base_url"] + "/survey?t=not-a-token")
    settled(page)
    expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)
    expect(page.get_by_role("link", name="Survey waves")).to_have_count(0)


def test_staff_answer_through_a_link_and_the_executive_table_changes(
    demo_server: DemoServer, browser: Browser
) -> None:
    base_url, token = demo_server["base_url"], demo_server["tokens"][0]
    executive = browser.new_context().new_page()
    sign_in(executive, base_url, *DEMO_CREDENTIALS[Role.EXECUTIVE])
    expect(executive.get_by_role("heading", name="Staff confidence")).to_be_visible()
    before = _n_answering_first_statement(executive)

    staff = browser.new_context().new_page()
    staff.goto(f"{base_url}/survey?t={token}")
    settled(staff)
    expect(staff.get_by_role("heading", name="Signs of Safety staff confidence")).to_be_visible()
    expect(staff.get_by_text("Page not found")).to_have_count(0)
    _click(staff, "Continue")  # "About you" may be skipped
    staff.locator(".st-key-q_understanding").get_by_text("9", exact=True).click()
    staff.locator(".st-key-q_integration").get_by_text("7", exact=True).click()
    _click(staff, "Continue")
    _click(staff, "Send my answers")
    expect(staff.get_by_role("heading", name="Thank you")).to_be_visible()

    reused = browser.new_context().new_page()
    reused.goto(f"{base_url}/survey?t={token}")
    settled(reused)
    expect(reused.get_by_text("This link has already been used")).to_be_visible()

    # Results move in steps of 5 in a team (surveys.release): one answer either waits in
    # the pool (nothing changes) or completes its team's step (at least 5 join at once).
    executive.get_by_role("button", name="Refresh results").click()
    settled(executive)
    expect(executive.get_by_text("Results update after every 5 new answers")).to_be_visible()
    moved = _n_answering_first_statement(executive) - before
    assert moved == 0 or moved >= 5, moved


def _click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    settled(page)


def _choose(page: Page, key: str, label: str) -> None:
    page.locator(f".st-key-{key}").get_by_text(label, exact=True).click()
    settled(page)


def _team_manager_agency_responses(server: DemoServer) -> int:
    database = Database.from_settings(server["settings"])
    with database.read() as session:
        # In the results or still waiting in the pool for its team's next step.
        count = sum(
            int(
                session.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.staff_role == "Team manager", model.employment_type == "Agency")
                )
                or 0
            )
            for model in (Response, PendingResponse)
        )
    database.dispose()
    return count


def test_staff_resume_a_multi_section_survey_from_the_same_link(
    demo_server: DemoServer, browser: Browser
) -> None:
    base_url, token = demo_server["base_url"], demo_server["tokens"][1]
    before = _team_manager_agency_responses(demo_server)
    first_visit = browser.new_context()
    staff = first_visit.new_page()
    staff.goto(f"{base_url}/survey?t={token}")
    settled(staff)
    expect(staff.get_by_text("Section 1 of 2: About you")).to_be_visible()
    _choose(staff, "q_staff_role", "Team manager")
    _choose(staff, "q_employment_type", "Agency")
    _click(staff, "Continue")
    expect(staff.get_by_text("Section 2 of 2")).to_be_visible()
    _choose(staff, "q_understanding", "6")
    _click(staff, "Save and finish later")
    expect(staff.get_by_text("Saved. You can close this page")).to_be_visible()
    first_visit.close()  # the connection drops; the draft is in the database

    second_visit = browser.new_context().new_page()
    second_visit.goto(f"{base_url}/survey?t={token}")
    settled(second_visit)
    expect(second_visit.get_by_text("Welcome back")).to_be_visible()
    # Back in the section where the person stopped, with the answers as they were.
    expect(second_visit.get_by_text("Section 2 of 2")).to_be_visible()
    chosen = ".st-key-{} [role=radio][aria-checked=true]"
    expect(second_visit.locator(chosen.format("q_understanding"))).to_have_text("6")
    _click(second_visit, "Back")
    expect(second_visit.locator(chosen.format("q_staff_role"))).to_have_text("Team manager")
    _click(second_visit, "Continue")
    _choose(second_visit, "q_train_colleagues", "3")
    _click(second_visit, "Continue")
    expect(second_visit.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(second_visit.get_by_text("Team manager", exact=True)).to_be_visible()
    _click(second_visit, "Send my answers")
    expect(second_visit.get_by_role("heading", name="Thank you")).to_be_visible()

    again = browser.new_context().new_page()
    again.goto(f"{base_url}/survey?t={token}")
    settled(again)
    expect(again.get_by_text("This link has already been used")).to_be_visible()
    assert _team_manager_agency_responses(demo_server) == before + 1
    database = Database.from_settings(demo_server["settings"])
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
    database.dispose()


def test_executive_filters_the_dashboard_and_downloads_the_report(
    demo_server: DemoServer, browser: Browser
) -> None:
    base_url = demo_server["base_url"]
    page = browser.new_context(accept_downloads=True).new_page()
    sign_in(page, base_url, *DEMO_CREDENTIALS[Role.EXECUTIVE])
    expect(page.get_by_role("heading", name="Staff confidence")).to_be_visible()
    # Filter to a team too small to show: the table gives way to a plain warning.
    page.locator(".st-key-dashboard_team").get_by_role("combobox").click()
    page.get_by_role("option", name="Quality Assurance and Conferencing").click()
    settled(page)
    expect(page.get_by_text("too few responses to show")).to_be_visible()
    # A larger team shows its own table.
    page.locator(".st-key-dashboard_team").get_by_role("combobox").click()
    page.get_by_role("option", name="Children's Social Care").click()
    settled(page)
    first_n = page.locator("[data-testid=stTable]").first.locator("tbody tr").first
    expect(first_n.locator("td").last).to_have_text(re.compile(r"^\d+$"))

    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("button", name="Scrutiny report").click()
    download = download_info.value
    assert download.suggested_filename.startswith("scrutiny-report-wave-")
    html = Path(download.path()).read_text(encoding="utf-8")
    assert "<h1>Signs of Safety implementation:" in html
    assert "Northbridge Borough Council" in html
    assert 'role="img" aria-label=' in html and "<caption>" in html


def test_lead_imports_a_roster_and_sees_its_measures(
    demo_server: DemoServer, browser: Browser, tmp_path: Path
) -> None:
    from tests.support.factories import ROSTER

    base_url = demo_server["base_url"]
    page = browser.new_context().new_page()
    sign_in(page, base_url, *DEMO_CREDENTIALS[Role.LEAD])
    page.get_by_role("link", name="Workforce and retention").click()
    settled(page)
    page.get_by_role("tab", name="Import a roster").click()
    upload = tmp_path / "hr extract.csv"
    extra = "".join(f"X{n},South,Social worker,permanent,1.0,01/02/2022,,,12,1\n" for n in range(4))
    upload.write_text(ROSTER + extra, encoding="utf-8")
    page.locator(".st-key-roster_file input[type=file]").set_input_files(str(upload))
    settled(page)
    expect(page.get_by_text("9 rows.")).to_be_visible()
    # The mapping step proposed "Employee ID" for the staff id from its synonyms.
    expect(page.locator(".st-key-map_staff_ref").get_by_role("combobox")).to_have_value(
        "Employee ID"
    )
    page.get_by_role("button", name="Import").click()
    settled(page)
    expect(page.get_by_text("Imported 9 staff as at")).to_be_visible()

    page.get_by_role("tab", name="Measures").click()
    page.reload()  # a new session: sign in again and open the page afresh
    sign_in(page, base_url, *DEMO_CREDENTIALS[Role.LEAD])
    page.get_by_role("link", name="Workforce and retention").click()
    settled(page)
    expect(page.get_by_text("8 staff in post")).to_be_visible()  # 9 rows, one leaver


def test_a_rater_scores_a_round_and_the_lead_sees_it_counted(
    demo_server: DemoServer, browser: Browser
) -> None:
    base_url, token = demo_server["base_url"], demo_server["rater_tokens"][0]
    rater = browser.new_context().new_page()
    rater.goto(f"{base_url}/rate-profile?t={token}")
    settled(rater)
    expect(
        rater.get_by_role("heading", name="Signs of Safety organisational self-profile")
    ).to_be_visible()
    expect(rater.get_by_text("Page not found")).to_have_count(0)
    rater.locator(".st-key-r_principles_used").get_by_text("6", exact=True).click()
    settled(rater)
    for section in range(2, 13):  # one domain per step; admin_support is in the eleventh
        _click(rater, "Continue")
        expect(rater.get_by_text(f"Section {section} of 12")).to_be_visible()
        if section == 11:
            rater.locator(".st-key-r_admin_support").get_by_text("3", exact=True).click()
            settled(rater)
    rater.get_by_role("button", name="Send my scores").click()
    settled(rater)
    expect(rater.get_by_role("heading", name="Thank you")).to_be_visible()

    reused = browser.new_context().new_page()
    reused.goto(f"{base_url}/rate-profile?t={token}")
    settled(reused)
    expect(reused.get_by_text("This link has already been used")).to_be_visible()

    lead = browser.new_context().new_page()
    sign_in(lead, base_url, *DEMO_CREDENTIALS[Role.LEAD])
    lead.get_by_role("link", name="Self-profiling rounds").click()
    settled(lead)
    lead.get_by_role("tab", name="Scores and agreement").click()
    # The demo's open round had 13 of 24 raters; this rater makes 14.
    expect(lead.get_by_text("14 of 24 links")).to_be_visible()


def _all_teams_cell(page: Page, column: int = 0) -> Locator:
    """A cell of the "All teams" row of the time-use summary (column 0: workers)."""
    table = (
        page.locator("[data-testid=stTable] table")
        .filter(has_text="Hours per FTE week")
        .filter(has_text="All teams")
        .first
    )
    row = table.locator("tbody tr").filter(
        has=page.locator("th", has_text=re.compile("^All teams$"))
    )
    return row.locator("td").nth(column)


def _pick(page: Page, key: str, text: str) -> None:
    """Choose the option of the selectbox keyed ``key`` that starts with ``text``, by
    typing it and pressing Enter on the one option left, as a keyboard user would. A
    person whose click landed while the page was still redrawing (the list did not open,
    or closed again) simply tries again: so does this, up to three times."""
    box = page.locator(f".st-key-{key}").get_by_role("combobox")
    option = page.get_by_role("option", name=re.compile("^" + re.escape(text)))
    chosen = re.compile("^" + re.escape(text))
    for _ in range(3):
        settled(page)
        box.click()
        box.fill(text)
        try:
            expect(option).to_have_count(1, timeout=5_000)
            box.press("Enter")
            expect(box).to_have_value(chosen, timeout=5_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    expect(box).to_have_value(chosen)


# Where the diary grid's columns are, as fractions of its width, at the 1200-pixel-wide
# window the diary test uses (the grid is a canvas: cells have no elements to click).
ACTIVITY_COLUMN, START_COLUMN, END_COLUMN = 0.25, 0.53, 0.65
ROW_HEIGHT = 35  # pixels, the header row too


def _grid_edit(page: Page, grid: Locator, column: float, text: str, row: int = 0) -> None:
    """Type ``text`` into a cell of the day grid: a selectbox cell takes the option that
    starts with it, a time cell the time."""
    box = grid.bounding_box()
    assert box is not None
    page.mouse.dblclick(box["x"] + box["width"] * column, box["y"] + ROW_HEIGHT * (1.5 + row))
    if column in (START_COLUMN, END_COLUMN):
        editor = page.locator("input[type=time]")
        expect(editor).to_be_visible()
        editor.fill(text)
        editor.press("Enter")
    else:
        page.keyboard.type(text)
        expect(page.get_by_role("option", name=re.compile("^" + re.escape(text)))).to_have_count(1)
        page.keyboard.press("Enter")
    settled(page)


def _add_row(grid: Locator) -> None:
    """Press the grid toolbar's "Add row" as a person does: point at the grid, then click
    the button once the toolbar has faded in (while it fades, the grid's own scroller
    still lies over it and takes the click, so point again and retry)."""
    button = grid.get_by_role("button", name=re.compile("add row", re.I))
    for _ in range(10):
        grid.hover()
        try:
            button.click(timeout=3_000)
            return
        except PlaywrightTimeoutError:
            continue
    button.click()


def _quick_add(page: Page, activity: str, minutes: int) -> None:
    _pick(page, "quick_activity", activity)
    minutes_box = page.locator(".st-key-quick_minutes input")
    minutes_box.fill(str(minutes))
    # Tab out first, as a person moves on: the box commits its number when it loses focus,
    # and a click on the button straight after typing could send the form without it.
    minutes_box.press("Tab")
    page.get_by_role("button", name="Add to the day").click()
    settled(page)


def test_a_worker_fills_in_two_days_and_the_lead_time_use_changes(
    demo_server: DemoServer, browser: Browser
) -> None:
    import datetime as dt

    base_url, token = demo_server["base_url"], demo_server["diary_tokens"][0]
    lead = browser.new_context().new_page()
    sign_in(lead, base_url, *DEMO_CREDENTIALS[Role.LEAD])
    lead.get_by_role("link", name="Time use").click()
    settled(lead)
    expect(lead.get_by_role("heading", name="Time use")).to_be_visible()
    # The newest period (the open diary week) is shown first.
    expect(lead.locator(".st-key-time_use_period").get_by_role("combobox")).to_have_value(
        re.compile(r"^Diary week \(now\)")
    )
    workers = _all_teams_cell(lead)
    expect(workers).to_have_text(re.compile(r"^\d+$"))
    before = int(workers.inner_text())
    hours_before = _all_teams_cell(lead, 3).inner_text()

    worker = browser.new_context(viewport={"width": 1200, "height": 1400}).new_page()
    worker.goto(f"{base_url}/diary?d={token}")
    settled(worker)
    expect(worker.get_by_role("heading", name="Time diary")).to_be_visible()
    expect(worker.get_by_text("Page not found")).to_have_count(0)
    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)

    # Day one (the latest day is chosen first): direct work and recording.
    day_picker = worker.locator(".st-key-diary_day").get_by_role("combobox")
    expect(day_picker).to_have_value(re.compile(f"^{as_day(today)}"))
    _quick_add(worker, "Direct work with parents, family or network", 150)
    _quick_add(worker, "Case recording and forms", 240)
    expect(worker.get_by_text("6 h 30 min")).to_be_visible()  # the running total
    worker.get_by_role("button", name="Save this day").click()
    settled(worker)
    expect(worker.get_by_text(f"Saved 2 entries for {as_day(today)}")).to_be_visible()

    # Day two: choose yesterday and type into the day grid itself: liaison from 09:00 to
    # 14:00, then travel through the quick add.
    _pick(worker, "diary_day", f"{as_day(yesterday)}")
    settled(worker)
    grid = worker.locator("[data-testid=stDataFrame]").first
    _add_row(grid)
    settled(worker)
    _grid_edit(worker, grid, ACTIVITY_COLUMN, "Liaison with")
    _grid_edit(worker, grid, START_COLUMN, "09:00")
    _grid_edit(worker, grid, END_COLUMN, "14:00")
    expect(worker.get_by_text("5 h", exact=True)).to_be_visible()  # the running total
    _quick_add(worker, "Travel", 60)
    expect(worker.get_by_text("6 h", exact=True)).to_be_visible()
    worker.get_by_role("button", name="Save this day").click()
    settled(worker)
    expect(worker.get_by_text(f"Saved 2 entries for {as_day(yesterday)}")).to_be_visible()
    expect(worker.get_by_text("Saved for this day: 6 h in 2 entries.")).to_be_visible()
    days = worker.locator("[data-testid=stTable]").filter(has_text="Recorded")
    expect(days.locator("tr").filter(has_text=f"{as_day(today, short=True)}")).to_contain_text(
        "6 h 30 min"
    )

    lead.get_by_role("button", name="Refresh").click()
    settled(lead)
    expect(_all_teams_cell(lead)).to_have_text(str(before + 1))
    expect(_all_teams_cell(lead, 3)).not_to_have_text(hours_before)
