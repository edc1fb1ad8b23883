"""Sessions in Debian's chromium, against the real server (``serve.py run asgi.py``): the
cookie survives a reload, a deep link and a second tab; the session is checked again on
fragment reruns (idle timeout) and after an administrator deactivates the account; signing
out ends every tab; the forms refuse forged requests and foreign redirects; every response
carries the security headers and the app renders with no Content-Security-Policy
violation. One server for the module."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from typing import TypedDict
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from sqlalchemy import select, update

from sos_workforce.access import account_id, set_account_active
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import UserSession
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import DemoDatabase
from tests.support.browser import running_app, settled, sign_in
from tests.support.environment import make_settings, require_chromium

pytestmark = pytest.mark.browser
EXECUTIVE = DEMO_CREDENTIALS[Role.EXECUTIVE]
LEAD = DEMO_CREDENTIALS[Role.LEAD]
CSP_WORDS = re.compile("Content Security Policy|Content-Security-Policy", re.IGNORECASE)


class Server(TypedDict):
    base_url: str
    db: Database
    diary_token: str


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase
) -> Iterator[Server]:
    require_chromium()
    folder = tmp_path_factory.mktemp("sessions")
    path = folder / "app.db"
    shutil.copyfile(demo_template.url, path)
    url = f"sqlite:///{path}"
    db = Database.from_settings(make_settings(url, folder))
    with running_app({"SOS_DATABASE_URL": url, "SOS_DATA_DIR": str(folder)}) as base_url:
        diary_token = demo_template.summary.diary_links[0].rsplit("d=", 1)[1]
        yield {"base_url": base_url, "db": db, "diary_token": diary_token}
    db.dispose()


@pytest.fixture
def context(server: Server, browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


def _csp_violations(page: Page) -> list[str]:
    found: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if CSP_WORDS.search(message.text):
            found.append(message.text)

    page.on("console", listen)
    return found


def _on_form(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/auth/sign-in"))
    expect(page.get_by_label("Password")).to_be_visible()


def _fill_form(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


class Row(TypedDict):
    token_hash: str | None
    ended_at: dt.datetime | None
    end_reason: str | None


def _sessions_of(db: Database, email: str) -> list[Row]:
    user_id = account_id(db, None, email, bootstrap=True)
    with db.read() as session:
        rows = session.execute(
            select(UserSession.token_hash, UserSession.ended_at, UserSession.end_reason)
            .where(UserSession.user_id == user_id)
            .order_by(UserSession.id)
        ).all()
    return [Row(token_hash=t, ended_at=e, end_reason=r) for t, e, r in rows]


def test_a_deep_link_goes_through_the_form_and_lands_on_the_page_asked_for(
    server: Server, context: BrowserContext
) -> None:
    base_url = server["base_url"]
    page = context.new_page()
    violations = _csp_violations(page)
    page.goto(f"{base_url}/workforce")
    _on_form(page)
    assert "next=%2Fworkforce" in page.url
    _fill_form(page, *EXECUTIVE)
    expect(page).to_have_url(f"{base_url}/workforce")
    expect(page.get_by_role("heading", name="Workforce and retention")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    settled(page)

    # A reload keeps the session, and so does a second tab (and a bookmark of a page).
    page.reload()
    settled(page)
    expect(page.get_by_role("heading", name="Workforce and retention")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    second = context.new_page()
    violations += _csp_violations(second)
    second.goto(f"{base_url}/outcomes")
    expect(second.get_by_role("button", name="Sign out")).to_be_visible()
    expect(second).to_have_url(f"{base_url}/outcomes")
    settled(second)
    # Streamlit's own pages (charts, tables, icons, fonts) need nothing the policy refuses.
    page.goto(base_url)
    settled(page)
    assert violations == [], "\n".join(violations)
    # The cookie is HttpOnly and SameSite=Lax (not Secure on plain http to loopback).
    (cookie,) = [c for c in context.cookies() if c["name"] == "sos_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    # Only the token's SHA-256 is stored.
    assert all(
        row["token_hash"] != cookie["value"] for row in _sessions_of(server["db"], EXECUTIVE[0])
    )


def test_signing_out_ends_every_tab(server: Server, context: BrowserContext) -> None:
    base_url = server["base_url"]
    first = context.new_page()
    sign_in(first, base_url, *LEAD)
    second = context.new_page()
    second.goto(f"{base_url}/waves")
    expect(second.get_by_role("button", name="Sign out")).to_be_visible()
    settled(second)

    first.get_by_role("button", name="Sign out").click()
    _on_form(first)
    expect(first.get_by_text("You are signed out.")).to_be_visible()
    # The other tab's next run finds the session gone and goes to the form, which brings
    # it back to the page afterwards.
    second.locator("[data-testid=stSidebar]").get_by_role("link", name="Time diaries").click()
    _on_form(second)
    assert "next=%2Fdiaries" in second.url
    first.reload()
    _on_form(first)
    assert all(row["ended_at"] is not None for row in _sessions_of(server["db"], LEAD[0]))


def test_the_idle_timeout_holds_during_fragment_reruns(
    server: Server, context: BrowserContext
) -> None:
    """A fragment rerun (the dashboard's team picker) skips app.py; it checks the session
    itself. The idle clock is moved back in the database instead of waiting an hour."""
    base_url = server["base_url"]
    page = context.new_page()
    sign_in(page, base_url, *EXECUTIVE)
    picker = page.get_by_label("Team (with its sub-teams)")
    expect(picker).to_be_visible()
    db = server["db"]
    user_id = account_id(db, None, EXECUTIVE[0], bootstrap=True)
    with db.write() as session:
        session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61))
        )
    picker.click()
    page.get_by_role("option").nth(1).click()
    _on_form(page)
    expect(page.get_by_text("You were signed out after a period of inactivity.")).to_be_visible()
    assert [row["end_reason"] for row in _sessions_of(db, EXECUTIVE[0])][-1] == "idle"


def test_deactivating_an_account_ends_its_live_session(
    server: Server, context: BrowserContext
) -> None:
    base_url = server["base_url"]
    db = server["db"]
    email, password = "lead@yardley-heath.example", "demo-yardley-heath-pass"
    page = context.new_page()
    user_id = account_id(db, None, email, bootstrap=True)
    sign_in(page, base_url, email, password)
    set_account_active(db, None, user_id, active=False, bootstrap=True)
    try:
        page.locator("[data-testid=stSidebar]").get_by_role("link", name="Outcomes").click()
        _on_form(page)
        expect(page.get_by_text("Your account is not active.")).to_be_visible()
        _fill_form(page, email, password)
        expect(page.get_by_role("alert")).to_contain_text("not recognised")
    finally:
        set_account_active(db, None, user_id, active=True, bootstrap=True)


def test_forged_or_missing_csrf_tokens_and_foreign_redirects_are_refused(
    server: Server, context: BrowserContext
) -> None:
    base_url = server["base_url"]
    page = context.new_page()
    page.goto(f"{base_url}/auth/sign-in")
    email, password = EXECUTIVE
    for token in ("forged", None):
        form: dict[str, str | float | bool] = {"email": email, "password": password, "next": "/"}
        if token is not None:
            form["csrf_token"] = token
        reply = page.request.post(f"{base_url}/auth/sign-in", form=form, max_redirects=0)
        assert reply.status == 403
        assert "sos_session" not in reply.headers.get("set-cookie", "")
    assert [c for c in context.cookies() if c["name"] == "sos_session"] == []

    # A next= to another site (or a scheme-relative one) lands on the app's home page.
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        context.clear_cookies()
        page.goto(f"{base_url}/auth/sign-in?next={quote(evil, safe='')}")
        _fill_form(page, email, password)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert page.url.rstrip("/") == base_url
        settled(page)

    # Signing out needs the token bound to this session: a forged one ends nothing.
    reply = page.request.post(
        f"{base_url}/auth/sign-out", form={"csrf_token": "forged"}, max_redirects=0
    )
    assert reply.status == 403
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_every_response_carries_the_security_headers(
    server: Server, context: BrowserContext
) -> None:
    base_url = server["base_url"]
    page = context.new_page()
    for path in ("/", "/auth/sign-in", "/survey?t=unknown", "/_stcore/health"):
        reply = page.request.get(f"{base_url}{path}", max_redirects=0)
        headers = reply.headers
        policy = headers["content-security-policy"]
        assert "img-src 'self' data:" in policy and "frame-ancestors 'none'" in policy, path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
    # A link page stays anonymous: it is not sent to the form.
    page.goto(f"{base_url}/survey?t=unknown")
    expect(page).to_have_url(re.compile(r"/survey\?t=unknown"))
    settled(page)
    expect(page.get_by_label("Password")).to_have_count(0)
    # The time diary (its day grid is a canvas data editor) needs nothing refused either.
    diary = context.new_page()
    violations = _csp_violations(diary)
    diary.goto(f"{base_url}/diary?d={server['diary_token']}")
    settled(diary)
    assert violations == [], "\n".join(violations)
