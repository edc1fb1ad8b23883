"""The staff survey and the rater form in Debian's chromium, on a phone (390 x 844) and a
desktop (1366 x 900): every 0-10 and 1-10 scale sits on one row with targets of at least
24 x 24 px (WCAG 2.5.8), and both forms are done end to end with the keyboard only (Tab,
Shift+Tab, arrow keys, Space, Enter; no mouse), with focus on the new section's heading
after Continue and Back, an answer cleared, a save and a resume in the section where the
person stopped, and the confirmation.

Set ``SOS_SCREENSHOTS_DIR`` to keep a screenshot of each form at each size."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.apptest import DemoDatabase
from tests.support.browser import running_app, settled
from tests.support.environment import require_chromium

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
HEADING = "#form-section"  # survey_form.SECTION_ANCHOR
RATING_HEADING = "#rating-section"  # pages/rate_profile.py
MIN_TARGET = 24  # px, WCAG 2.2 success criterion 2.5.8 (AA)


class FormsServer(TypedDict):
    base_url: str
    survey_tokens: list[str]
    rater_tokens: list[str]


@pytest.fixture(scope="module")
def forms_server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase
) -> Iterator[FormsServer]:
    """One app for the module, serving a copy of the demo database."""
    require_chromium()
    folder = tmp_path_factory.mktemp("forms")
    path = folder / "app.db"
    shutil.copyfile(demo_template.url, path)
    env = {"SOS_DATABASE_URL": f"sqlite:///{path}", "SOS_DATA_DIR": str(folder)}
    summary = demo_template.summary
    with running_app(env) as base_url:
        yield {
            "base_url": base_url,
            "survey_tokens": [link.rsplit("t=", 1)[1] for link in summary.open_wave_links],
            "rater_tokens": [link.rsplit("t=", 1)[1] for link in summary.profile_rater_links],
        }


def _page(browser: Browser, size: str) -> Page:
    width, height = SIZES[size]
    return browser.new_context(viewport={"width": width, "height": height}).new_page()


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("SOS_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _focused(page: Page) -> str:
    """What has keyboard focus: its tag, role and text (for the search below)."""
    return str(
        page.evaluate(
            """() => { const e = document.activeElement;
                return e ? `${e.tagName}|${e.getAttribute('role')}|${e.innerText || ''}` : ''; }"""
        )
    )


def _tab_to(page: Page, wanted: Callable[[str], bool], *, back: bool = False) -> str:
    """Press Tab (or Shift+Tab) until the focused element is the wanted one."""
    seen = []
    for _ in range(80):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = _focused(page)
        if wanted(now):
            return now
        seen.append(now)
    raise AssertionError(f"never reached by Tab: {seen}")


def _button(name: str) -> Callable[[str], bool]:
    return lambda focused: focused.startswith("BUTTON|null|") and focused.endswith(name)


def _press_button(page: Page, name: str, *, back: bool = False) -> None:
    _tab_to(page, _button(name), back=back)
    page.keyboard.press("Enter")


def _choose_in_group(page: Page, group: Locator, label: str) -> None:
    """Tab into the option group, move with the arrow keys to ``label``, select with
    Space; the group then shows it chosen."""
    _tab_to(page, lambda focused: focused.startswith("BUTTON|radio|") and _in(group, page))
    options = [text.strip() for text in group.get_by_role("radio").all_inner_texts()]
    here = options.index(_focused(page).split("|", 2)[2].strip())
    target = options.index(label)
    for _ in range(abs(target - here)):
        page.keyboard.press("ArrowRight" if target > here else "ArrowLeft")
    expect(group.get_by_role("radio", name=label, exact=True)).to_be_focused()
    page.keyboard.press("Space")
    expect(group.locator("[role=radio][aria-checked=true]")).to_have_text(label)
    settled(page)


def _in(group: Locator, page: Page) -> bool:
    return bool(group.evaluate("(g) => g.contains(document.activeElement)"))


def _heading_has_focus(page: Page, selector: str, title: str | re.Pattern[str]) -> None:
    heading = page.locator(selector)
    expect(heading).to_have_text(title)
    expect(heading).to_be_focused()


def _assert_one_row(groups: Locator, viewport_width: int) -> int:
    """Every scale's options share one top coordinate, fit the viewport and are at least
    24 x 24 px; returns how many scales were measured."""
    count = groups.count()
    assert count >= 2
    for index in range(count):
        options = groups.nth(index).get_by_role("radio")
        boxes = [options.nth(i).bounding_box() for i in range(options.count())]
        assert len(boxes) in (10, 11), len(boxes)
        assert all(box is not None for box in boxes)
        tops = {round(box["y"]) for box in boxes if box}
        assert len(tops) == 1, f"scale {index} wraps: tops {sorted(tops)}"
        for box in boxes:
            assert box is not None
            assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, box
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width, box
    return count


@pytest.mark.parametrize(("size", "index"), [("phone", 4), ("desktop", 7)])
def test_scales_sit_on_one_row_with_targets_of_at_least_24_px(
    forms_server: FormsServer, browser: Browser, size: str, index: int
) -> None:
    base_url = forms_server["base_url"]
    width = SIZES[size][0]
    page = _page(browser, size)
    # The staff survey's 1-10 scales (second section). Each test has links of its own:
    # Continue saves a draft, and the link would then resume in the second section.
    page.goto(f"{base_url}/survey?t={forms_server['survey_tokens'][index]}")
    settled(page)
    page.get_by_role("button", name="Continue").press("Enter")
    expect(page.locator(HEADING)).to_have_text("Your confidence with Signs of Safety")
    settled(page)
    scales = page.locator("[data-testid=stButtonGroup]").filter(
        has=page.locator("button[data-variant=segmented_control]")
    )
    expect(scales).to_have_count(4)
    assert _assert_one_row(scales, width) == 4
    _screenshot(page, f"survey-{size}")
    # The rater form's 0-10 scales.
    page.goto(f"{base_url}/rate-profile?t={forms_server['rater_tokens'][index]}")
    settled(page)
    expect(page.locator(RATING_HEADING)).to_have_text("Practice")
    expect(scales).to_have_count(2)
    settled(page)
    assert _assert_one_row(scales, width) == 2
    _screenshot(page, f"rater-{size}")


@pytest.mark.parametrize(("size", "index"), [("phone", 5), ("desktop", 6)])
def test_staff_survey_by_keyboard_only(
    forms_server: FormsServer, browser: Browser, size: str, index: int
) -> None:
    base_url = forms_server["base_url"]
    page = _page(browser, size)
    page.goto(f"{base_url}/survey?t={forms_server['survey_tokens'][index]}")
    settled(page)
    expect(page.get_by_text("Section 1 of 2: About you")).to_be_visible()

    role = page.locator(".st-key-q_staff_role [role=radiogroup]")
    _choose_in_group(page, role, "Team manager")
    page.keyboard.press("Space")  # selecting it again clears it: the question is skipped
    expect(role.locator("[role=radio][aria-checked=true]")).to_have_count(0)
    settled(page)
    page.keyboard.press("Enter")  # and chosen again
    expect(role.locator("[role=radio][aria-checked=true]")).to_have_text("Team manager")
    settled(page)
    _press_button(page, "Continue")
    _heading_has_focus(page, HEADING, "Your confidence with Signs of Safety")
    settled(page)

    for key, value in (("q_understanding", "8"), ("q_integration", "3")):
        _choose_in_group(page, page.locator(f".st-key-{key} [role=radiogroup]"), value)
    _tab_to(page, _button("Continue"))
    _press_button(page, "Back", back=True)  # Shift+Tab from Continue, past Save
    _heading_has_focus(page, HEADING, "About you")
    settled(page)
    _press_button(page, "Continue")
    _heading_has_focus(page, HEADING, "Your confidence with Signs of Safety")
    settled(page)
    # The answers are kept across sections.
    understanding = page.locator(".st-key-q_understanding [role=radio][aria-checked=true]")
    expect(understanding).to_have_text("8")
    _press_button(page, "Continue")
    _heading_has_focus(page, HEADING, "Check your answers")
    settled(page)
    expect(page.get_by_text("Team manager", exact=True)).to_be_visible()
    _screenshot(page, f"survey-review-{size}")
    _press_button(page, "Send my answers")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    settled(page)


@pytest.mark.parametrize(("size", "index"), [("phone", 5), ("desktop", 6)])
def test_rater_form_by_keyboard_only_with_save_and_resume(
    forms_server: FormsServer, browser: Browser, size: str, index: int
) -> None:
    base_url = forms_server["base_url"]
    link = f"{base_url}/rate-profile?t={forms_server['rater_tokens'][index]}"
    first_visit = _page(browser, size)
    first_visit.goto(link)
    settled(first_visit)
    expect(first_visit.get_by_text("Section 1 of 12: Practice")).to_be_visible()
    principles = first_visit.locator(".st-key-r_principles_used [role=radiogroup]")
    _choose_in_group(first_visit, principles, "6")
    tools = first_visit.locator(".st-key-r_tools_used [role=radiogroup]")
    _choose_in_group(first_visit, tools, "0")
    first_visit.keyboard.press("Space")  # cannot judge after all: cleared
    expect(tools.locator("[role=radio][aria-checked=true]")).to_have_count(0)
    settled(first_visit)
    _press_button(first_visit, "Continue")
    _heading_has_focus(first_visit, RATING_HEADING, "Supervision")
    settled(first_visit)
    supervision = first_visit.locator(".st-key-r_supervision_aligned [role=radiogroup]")
    _choose_in_group(first_visit, supervision, "9")
    _press_button(first_visit, "Continue")
    _heading_has_focus(first_visit, RATING_HEADING, "Learning strategy")
    settled(first_visit)
    _press_button(first_visit, "Save and finish later")
    expect(first_visit.get_by_text("Saved. You can close this page")).to_be_visible()
    first_visit.context.close()  # the connection drops; the draft is in the database

    page = _page(browser, size)
    page.goto(link)
    settled(page)
    expect(page.get_by_text("Welcome back")).to_be_visible()
    expect(page.get_by_text("Section 3 of 12: Learning strategy")).to_be_visible()
    _heading_has_focus(page, RATING_HEADING, "Learning strategy")
    _screenshot(page, f"rater-resumed-{size}")
    _press_button(page, "Back")
    _heading_has_focus(page, RATING_HEADING, "Supervision")
    settled(page)
    chosen = page.locator(".st-key-r_supervision_aligned [role=radio][aria-checked=true]")
    expect(chosen).to_have_text("9")
    for number in range(3, 13):
        _press_button(page, "Continue")
        expect(page.get_by_text(re.compile(rf"^Section {number} of 12: "))).to_be_visible()
        expect(page.locator(RATING_HEADING)).to_be_focused()
        settled(page)
    expect(page.get_by_text("You have scored 2 of 24 statements")).to_be_visible()
    _press_button(page, "Send my scores")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    settled(page)
