"""The hardening a security review checks, in Debian's chromium against a fresh server
(issue 18): nothing about the signed-in pages reaches a browser before sign-in, not even in
the websocket messages; tables have no toolbar export (every download is audited)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, WebSocket, expect

from navigation import PAGES
from sos_workforce.core.enums import Role
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import DemoDatabase
from tests.support.browser import running_app, settled, sign_in
from tests.support.environment import require_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase) -> Iterator[str]:
    require_chromium()
    folder = tmp_path_factory.mktemp("hardening")
    path = folder / "app.db"
    shutil.copyfile(demo_template.url, path)
    env = {"SOS_DATABASE_URL": f"sqlite:///{path}", "SOS_DATA_DIR": str(folder)}
    with running_app(env) as base_url:
        yield base_url


def test_nothing_about_the_pages_reaches_a_browser_before_sign_in(server: str, page: Page) -> None:
    """The module's first test, so the server's first requests: a deep link to a signed-in
    page, then the home page. Every websocket message is searched for each signed-in
    page's file, title and address."""
    received: list[bytes] = []

    def listen(socket: WebSocket) -> None:
        socket.on(
            "framereceived",
            lambda payload: received.append(
                payload if isinstance(payload, bytes) else payload.encode()
            ),
        )

    page.on("websocket", listen)
    html = ""
    for address in (server + "/audit", server):
        # No session: the sign-in form (asgi.py), before the app runs at all.
        page.goto(address)
        expect(page.get_by_label("Email")).to_be_visible()
        html += page.content()
    # The app itself, as an anonymous visitor sees it: a link page (with a wrong token).
    page.goto(server + "/survey?t=not-a-token")
    settled(page)
    expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)
    expect(page.locator("[data-testid=stSidebar]")).to_have_count(0)
    assert received, "no websocket messages were seen"
    everything = b"".join(received)
    assert b"link" in everything  # the search sees what the link page sends
    leaked = [
        clue
        for spec in PAGES
        for clue in (spec.path, spec.title, f"pages/{spec.url_path}")
        if clue.encode() in everything
    ]
    assert not leaked
    assert b"pages/" not in everything
    html += page.content()
    assert not [spec.title for spec in PAGES if spec.title in html]


def test_tables_offer_no_download_of_their_own(server: str, page: Page) -> None:
    sign_in(page, server, *DEMO_CREDENTIALS[Role.ADMIN])
    page.get_by_role("link", name="Audit log").click()  # a reload would sign out (issue 18.1)
    settled(page)
    table = page.locator("[data-testid=stDataFrame]").first
    expect(table).to_be_visible()
    table.hover()
    toolbar = page.locator("[data-testid=stElementToolbar]").first
    expect(toolbar).to_be_attached()
    expect(toolbar.get_by_role("button", name="Search")).to_be_attached()  # the toolbar is there
    expect(page.get_by_role("button", name="Download as CSV")).to_have_count(0)
