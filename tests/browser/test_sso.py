"""Single sign-on end to end: the real app (``st.login``, Authlib) against the offline
mock OpenID provider in ``tests/oidc_mock.py``, in Debian's chromium."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from sos_workforce.access.auth import SSO_NO_ACCESS
from sos_workforce.access.sso import streamlit_arguments
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import AuditEvent
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import DemoDatabase
from tests.support.browser import free_port, running_app, settled
from tests.support.environment import make_settings, require_chromium
from tests.support.oidc_mock import CLIENT_ID, CLIENT_SECRET, MockProvider, running_provider

pytestmark = pytest.mark.browser
LABEL = "Northbridge account"


class SsoServer(TypedDict):
    base_url: str
    provider: MockProvider
    url: str  # the database
    folder: Path


@pytest.fixture(scope="module")
def sso_server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase
) -> Iterator[SsoServer]:
    require_chromium()
    folder = tmp_path_factory.mktemp("sso")
    path = folder / "app.db"
    shutil.copyfile(demo_template.url, path)
    url = f"sqlite:///{path}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with running_provider(f"{base_url}/oauth2callback") as provider:
        env = {
            "SOS_DATABASE_URL": url,
            "SOS_DATA_DIR": str(folder),
            "SOS_SECRET_KEY": secrets.token_urlsafe(32),
            "SOS_BASE_URL": base_url,
            "SOS_OIDC_SERVER_METADATA_URL": provider.metadata_url,
            "SOS_OIDC_CLIENT_ID": CLIENT_ID,
            "SOS_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "SOS_OIDC_LABEL": LABEL,
        }
        settings = make_settings(
            url,
            folder,
            secret_key=env["SOS_SECRET_KEY"],
            base_url=base_url,
            oidc_server_metadata_url=provider.metadata_url,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
        )
        # The same arguments `sos-workforce run` passes: the generated secrets file.
        with running_app(env, port=port, args=streamlit_arguments(settings)):
            yield {"base_url": base_url, "provider": provider, "url": url, "folder": folder}


@pytest.fixture
def provider(sso_server: SsoServer) -> Iterator[MockProvider]:
    mock: MockProvider = sso_server["provider"]
    yield mock
    mock.forge_signature = mock.wrong_nonce = mock.wrong_audience = False
    mock.lifetime = 3600
    mock.requests.clear()


def _audit_actions(sso_server: SsoServer) -> list[tuple[str, str | None]]:
    database = Database.from_settings(make_settings(sso_server["url"], sso_server["folder"]))
    with database.read() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)
        ).all()
    database.dispose()
    return [(action, detail) for action, detail in rows]


def _click_sso(page: Page, base_url: str) -> None:
    page.goto(base_url)  # no session: the sign-in form, with the provider's button
    expect(page.get_by_role("button", name=f"Sign in with {LABEL}")).to_be_visible()
    _through_provider(page)


def _through_provider(page: Page) -> None:
    # The form's button leads to /auth/sso/start → the app (st.login) → /auth/login → the
    # provider → /oauth2callback, which redirects to the app's home page: wait for that
    # document. A matched identity goes on to /auth/sso (the session cookie) and back to
    # the app; a refused one (a tampered token) is sent on to the sign-in form.
    with page.expect_response(
        lambda r: (
            r.request.resource_type == "document"
            and r.request.redirected_from is not None
            and "/oauth2callback" in r.request.redirected_from.url
        )
    ):
        page.get_by_role("button", name=f"Sign in with {LABEL}").click()
    page.wait_for_load_state()
    app = page.locator("[data-testid=stApp][data-test-script-state=notRunning]")
    expect(app.or_(page.get_by_label("Password"))).to_be_attached()
    if app.count():
        settled(page)


def test_a_lead_signs_in_through_the_provider_and_gets_the_lead_menu(
    sso_server: SsoServer, provider: MockProvider, browser: Browser
) -> None:
    base_url = sso_server["base_url"]
    email = DEMO_CREDENTIALS[Role.LEAD][0]
    provider.next_identity = {"email": email.upper(), "email_verified": True, "name": "Lead"}
    page = browser.new_context().new_page()
    _click_sso(page, base_url)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar.get_by_role("link", name="Survey waves")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Users and organisations")).to_have_count(0)
    # The menu is app.py's page links; Streamlit's list of page files never appears.
    expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)
    assert {"GET /authorize", "POST /token", "GET /jwks"} <= set(provider.requests)
    assert _audit_actions(sso_server)[-1] == ("signed_in", "single sign-on")

    # Signing out ends the session and drops Streamlit's identity cookie: a reload stays on
    # the sign-in form.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name=f"Sign in with {LABEL}")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name=f"Sign in with {LABEL}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Sign in with {LABEL}")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_an_unknown_email_is_refused_plainly_and_audited(
    sso_server: SsoServer, provider: MockProvider, browser: Browser
) -> None:
    provider.next_identity = {"email": "stranger@elsewhere.example", "email_verified": True}
    page = browser.new_context().new_page()
    _click_sso(page, sso_server["base_url"])
    expect(page.get_by_text(SSO_NO_ACCESS)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Confidence dashboard")).to_have_count(0)
    action, detail = _audit_actions(sso_server)[-1]
    assert action == "sso_refused" and detail == "unknown email; elsewhere.example"
    assert "stranger" not in (detail or "")


@pytest.mark.parametrize("fault", ["forge_signature", "wrong_nonce", "wrong_audience"])
def test_a_tampered_id_token_signs_nobody_in(
    sso_server: SsoServer, provider: MockProvider, browser: Browser, fault: str
) -> None:
    provider.next_identity = {"email": DEMO_CREDENTIALS[Role.ADMIN][0], "email_verified": True}
    setattr(provider, fault, True)
    before = len(_audit_actions(sso_server))
    page = browser.new_context().new_page()
    _click_sso(page, sso_server["base_url"])
    assert "POST /token" in provider.requests  # the exchange happened and was rejected
    expect(page.get_by_role("button", name=f"Sign in with {LABEL}")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert len(_audit_actions(sso_server)) == before  # never reached our matching


def test_an_expired_sign_in_must_sign_in_again(
    sso_server: SsoServer, provider: MockProvider, browser: Browser
) -> None:
    """The provider's identity lasts as long as its id token: a new browser session (a
    reload) after ``exp`` is not signed in from the stale identity cookie."""
    provider.next_identity = {"email": DEMO_CREDENTIALS[Role.EXECUTIVE][0], "email_verified": True}
    provider.lifetime = 6
    page = browser.new_context().new_page()
    _click_sso(page, sso_server["base_url"])
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.wait_for_timeout(7_000)
    page.reload()
    settled(page)
    expect(
        page.get_by_text("Your single sign-on has expired. Please sign in again.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_role("link", name="Confidence dashboard")).to_have_count(0)
    # Signing in again through the provider gets a fresh identity and the menu back.
    provider.lifetime = 3600
    _through_provider(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
