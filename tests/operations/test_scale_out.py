"""The scale-out path of docs/deploy.md: two ``streamlit run`` processes on one PostgreSQL
database. Staff submit through both; nothing is lost or duplicated, and one link opened in
both processes at once stores exactly one response."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.models import (
    AnswerTally,
    InstrumentItem,
    Invitation,
    PendingResponse,
    Response,
)
from tests.support.browser import running_app, settled
from tests.support.environment import empty_postgres, make_settings, require_chromium
from tests.support.factories import build_world, launch, token_of

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


class TwoApps(TypedDict):
    apps: tuple[str, str]  # the base URLs of two app processes on one database
    tokens: list[str]
    wave_id: int
    settings: Settings


@pytest.fixture
def two_apps(postgres_database: str, tmp_path: Path) -> Iterator[TwoApps]:
    require_chromium()
    empty_postgres(postgres_database)
    settings = make_settings(postgres_database, tmp_path)
    database = Database.from_settings(settings)
    world = build_world(database, settings)
    launched = launch(database, world, headcounts={"Alpha": 8, "Beta": 4})
    database.dispose()
    env = {"SOS_DATABASE_URL": postgres_database, "SOS_DATA_DIR": str(tmp_path)}
    with running_app(env) as first, running_app(env) as second:
        yield {
            "apps": (first, second),
            "tokens": [token_of(link) for link in launched.links],
            "wave_id": launched.wave_id,
            "settings": settings,
        }


def _each(pages: list[Page], step: Callable[[Page], object]) -> None:
    """Take one step on every page, then wait for each: the two processes serve the
    people at once, as they would behind a proxy."""
    for page in pages:
        step(page)
    for page in pages:
        settled(page)


def _answer_up_to_review(
    pages: list[Page], apps: list[str], tokens: list[str], scores: list[int]
) -> None:
    for page, base_url, token in zip(pages, apps, tokens, strict=True):
        page.goto(f"{base_url}/survey?t={token}")
    _each(pages, lambda page: None)
    _each(
        pages, lambda page: page.get_by_role("button", name="Continue").click()
    )  # "About you" is optional
    for page, score in zip(pages, scores, strict=True):
        page.locator(".st-key-q_understanding").get_by_text(str(score), exact=True).click()
    _each(pages, lambda page: None)
    _each(pages, lambda page: page.get_by_role("button", name="Continue").click())
    for page in pages:
        expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()


def test_two_app_processes_on_one_postgresql_lose_and_duplicate_nothing(
    two_apps: TwoApps, browser: Browser
) -> None:
    apps, tokens = two_apps["apps"], two_apps["tokens"]
    # Six people at once, alternating between the two processes (as a proxy would spread
    # them).
    people = [browser.new_context().new_page() for _ in range(6)]
    _answer_up_to_review(
        people, [apps[i % 2] for i in range(6)], tokens[:6], [i + 3 for i in range(6)]
    )
    _each(people, lambda page: page.get_by_role("button", name="Send my answers").click())
    for page in people:
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
        page.context.close()
    sent = 6

    # One person opens the same link in both processes and presses send in both.
    racer = tokens[6]
    tabs = [browser.new_context().new_page() for _ in apps]
    _answer_up_to_review(tabs, list(apps), [racer, racer], [8, 8])
    for tab in tabs:
        tab.get_by_role("button", name="Send my answers").click()
    for tab in tabs:  # wait until each process has answered its send
        outcome = tab.get_by_role("heading", name="Thank you").or_(
            tab.get_by_text("This link has already been used")
        )
        expect(outcome).to_be_visible()
        settled(tab)
    thanked = sum(tab.get_by_role("heading", name="Thank you").count() for tab in tabs)
    refused = sum(tab.get_by_text("This link has already been used").count() for tab in tabs)
    assert (thanked, refused) == (1, 1)
    sent += 1

    database = Database.from_settings(two_apps["settings"])
    with database.read() as session:
        wave_id = two_apps["wave_id"]
        responses = session.scalar(
            select(func.count()).select_from(Response).where(Response.wave_id == wave_id)
        )
        waiting = session.scalar(
            select(func.count())
            .select_from(PendingResponse)
            .where(PendingResponse.wave_id == wave_id)
        )
        spent = session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.wave_id == wave_id, Invitation.spent.is_(True))
        )
        understanding_tallied = session.scalar(
            select(func.sum(AnswerTally.n))
            .join(InstrumentItem, InstrumentItem.id == AnswerTally.item_id)
            .where(AnswerTally.wave_id == wave_id, InstrumentItem.code == "understanding")
        )
    database.dispose()
    # Seven sent through two processes, each stored once: released in steps of at least
    # five (one step of five, six or seven, as the sends at once arrive), and fewer than
    # five left waiting for more.
    assert sent == spent == 7
    assert (responses or 0) + (waiting or 0) == 7
    assert (responses or 0) >= 5 and (waiting or 0) < 5
    assert understanding_tallied == responses
