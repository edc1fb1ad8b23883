"""Every page for every role, and every page reached from a link, in Debian's chromium at
1366x900 and at 390x844 (a phone): no exception shown, and axe-core finds no serious or
critical violation with every rule on (WCAG 2.2 AA, issue 19). One server for the module,
one browser context per role and size. The diary is also done with the keyboard only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TypedDict

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from navigation import pages_for
from sos_workforce.core.dates import as_day
from sos_workforce.core.enums import Role
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import DemoDatabase
from tests.support.browser import running_app, sign_in
from tests.support.environment import make_settings, require_chromium
from tests.support.tour import (
    AT_REST,
    READY,
    SIZES,
    AnonymousPage,
    copy_database,
    demo_links,
    exceptions_shown,
    go_to,
    heading_of,
    is_narrow,
    serious_violations,
    wait_ready,
)

pytestmark = pytest.mark.browser


class TourServer(TypedDict):
    base_url: str
    anonymous: list[AnonymousPage]
    diary_tokens: list[str]


@pytest.fixture(scope="module")
def tour_server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase, browser: Browser
) -> Iterator[TourServer]:
    require_chromium()
    folder = tmp_path_factory.mktemp("tour")
    url = copy_database(demo_template.url, folder)
    anonymous = demo_links(demo_template.summary, make_settings(url, folder))
    env = {"SOS_DATABASE_URL": url, "SOS_DATA_DIR": str(folder)}
    with running_app(env) as base_url:
        # A fresh server's first run imports and checks everything (a minute on a busy
        # machine): done once here, so that every test's pages wait the usual time.
        first = browser.new_page()
        first.goto(base_url + anonymous[2].path)  # a diary link: a Streamlit run, no account
        expect(first.locator(READY)).to_be_attached(timeout=180_000)
        first.close()
        yield {
            "base_url": base_url,
            "anonymous": anonymous,
            "diary_tokens": [link.rsplit("d=", 1)[1] for link in demo_template.summary.diary_links],
        }


def _problems(page: Page, where: str) -> list[str]:
    shown = [f"{where}: exception shown: {text[:200]}" for text in exceptions_shown(page)]
    return shown + [f"{where}: {violation}" for violation in serious_violations(page)]


def _sidebar(page: Page) -> Locator:
    return page.locator("[data-testid=stSidebar]")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEAD, Role.EXECUTIVE], ids=lambda r: r.value)
def test_every_page_of_the_role_renders_and_passes_axe(
    tour_server: TourServer, browser: Browser, role: Role, size: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    sign_in(page, tour_server["base_url"], *DEMO_CREDENTIALS[role])
    specs = pages_for(role)
    wait_ready(page, heading_of(specs[0]))  # the first page opens after signing in
    problems = _problems(page, specs[0].url_path)
    for spec in specs[1:]:
        go_to(page, spec)
        if is_narrow(page):
            # The menu lies over the page on a phone: it closes once a page is chosen.
            expect(_sidebar(page)).to_have_attribute("data-collapsed", "true")
        problems += _problems(page, spec.url_path)
    context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_reached_without_an_account_renders_and_passes_axe(
    tour_server: TourServer, browser: Browser, size: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    for anonymous in tour_server["anonymous"]:
        page.goto(tour_server["base_url"] + anonymous.path)
        wait_ready(page, anonymous.heading, streamlit=anonymous.streamlit)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        problems += _problems(page, anonymous.name)
    context.close()
    assert not problems, "\n".join(problems)


def _tab_to(page: Page, target: Locator, limit: int = 120) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def _choose_by_typing(page: Page, box: Locator, text: str) -> None:
    _tab_to(page, box)
    expect(box).to_be_focused()
    page.keyboard.type(text)
    expect(page.get_by_role("option", name=re.compile("^" + re.escape(text)))).to_have_count(1)
    page.keyboard.press("Enter")
    expect(box).to_have_value(re.compile("^" + re.escape(text)))


def _press_button(page: Page, name: str) -> None:
    # From a page at rest: a press while a run redraws the button can be lost.
    page.wait_for_function(AT_REST, polling=100)
    _tab_to(page, page.get_by_role("button", name=name, exact=True))
    page.keyboard.press("Enter")
    # Until the page is at rest: the press's run may start a moment later, and a run
    # that follows it (st.rerun) would take the focus from where Tab goes next.
    page.wait_for_function(AT_REST, polling=100)


def _quick_add(page: Page, activity: str, minutes: int) -> None:
    _choose_by_typing(page, page.locator(".st-key-quick_activity input"), activity)
    _tab_to(page, page.locator(".st-key-quick_minutes input"))
    page.keyboard.type(str(minutes))
    _press_button(page, "Add to the day")


@pytest.mark.parametrize("size", list(SIZES))
def test_a_worker_records_a_day_with_the_keyboard_only(
    tour_server: TourServer, browser: Browser, size: str
) -> None:
    width, height = SIZES[size]
    token = tour_server["diary_tokens"][list(SIZES).index(size)]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{tour_server['base_url']}/diary?d={token}")
    wait_ready(page, "Time diary")
    today = dt.date.today()

    _quick_add(page, "Direct work with the child", 90)
    _quick_add(page, "Case recording and forms", 120)
    _quick_add(page, "Travel", 45)
    expect(page.get_by_text("4 h 15 min")).to_be_visible()  # the running total
    # Every entry reads in full in the list under the grid, on a phone too.
    entries = page.locator("[data-testid=stTable]").filter(has_text="SoS tool")
    expect(entries.locator("tbody tr")).to_have_count(3)
    expect(entries).to_contain_text("Case recording and forms")
    cell = entries.get_by_text("Case recording and forms").bounding_box()
    assert cell is not None and cell["x"] >= 0 and cell["x"] + cell["width"] <= width

    # Travel was a mistake: remove it.
    _choose_by_typing(page, page.locator(".st-key-remove_entry input"), "3. Travel")
    _press_button(page, "Remove it")
    expect(entries.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_text("3 h 30 min")).to_be_visible()

    _press_button(page, "Save this day")
    expect(page.get_by_text(f"Saved 2 entries for {as_day(today)}")).to_be_visible()
    expect(page.get_by_text("Saved for this day: 3 h 30 min in 2 entries.")).to_be_visible()
    problems = _problems(page, "diary after saving")
    context.close()
    assert not problems, "\n".join(problems)
