"""The HTTP side of sessions (asgi.py) without a browser: asgi.py's routes and middleware
in a Starlette app whose catch-all route stands in for Streamlit's pages. The real server
is covered by tests/browser/test_sessions.py."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import asgi
from sos_workforce import access
from sos_workforce.access.auth import SIGN_IN_REFUSED
from sos_workforce.core import config
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import SessionEnded
from tests.support.factories import PASSWORD, World
from tests.support.tools import ROOT

HTML = {"accept": "text/html,application/xhtml+xml"}


def _streamlit_stand_in(request: Request) -> HTMLResponse:
    return HTMLResponse(f"<p>page {request.url.path}</p>")


@pytest.fixture
def client(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("SOS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("SOS_DATA_DIR", str(settings.data_dir))
    config.get_settings.cache_clear()
    app = Starlette(
        routes=[*asgi.ROUTES, Route("/{path:path}", _streamlit_stand_in)],
        middleware=[Middleware(asgi.SecurityMiddleware)],
    )
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
    config.get_settings.cache_clear()


def _csrf(client: TestClient, next_page: str = "/") -> str:
    reply = client.get("/auth/sign-in", params={"next": next_page}, headers=HTML)
    assert reply.status_code == 200
    text = str(reply.text)
    start = text.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    return text[start : text.index('"', start)]


def _sign_in(client: TestClient, email: str, password: str, next_page: str = "/") -> str:
    reply = client.post(
        "/auth/sign-in",
        data={
            "csrf_token": _csrf(client, next_page),
            "email": email,
            "password": password,
            "next": next_page,
        },
    )
    assert reply.status_code == 303, reply.text
    return str(reply.headers["location"])


def test_a_page_without_a_session_goes_to_the_form_and_back_after_signing_in(
    client: TestClient, world: World
) -> None:
    reply = client.get("/waves?tab=2", headers=HTML)
    assert reply.status_code == 303
    target = urlsplit(reply.headers["location"])
    assert target.path == "/auth/sign-in"
    assert parse_qs(target.query)["next"] == ["/waves?tab=2"]
    form = client.get(reply.headers["location"], headers=HTML)
    assert 'value="/waves?tab=2"' in form.text
    assert '<label for="email">Email</label>' in form.text
    assert _sign_in(client, world.lead.email, PASSWORD, "/waves?tab=2") == "/waves?tab=2"
    cookie = next(c for c in client.cookies.jar if c.name == "sos_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure
    assert client.get("/waves?tab=2", headers=HTML).text == "<p>page /waves</p>"
    # Signed in, the form goes straight on.
    reply = client.get("/auth/sign-in", params={"next": "/outcomes"}, headers=HTML)
    assert reply.status_code == 303 and reply.headers["location"] == "/outcomes"


def test_a_wrong_password_gets_the_uniform_answer_and_no_cookie(
    client: TestClient, world: World
) -> None:
    reply = client.post(
        "/auth/sign-in",
        data={"csrf_token": _csrf(client), "email": world.lead.email, "password": "wrong"},
    )
    assert reply.status_code == 401
    assert SIGN_IN_REFUSED.split(".")[0] in reply.text
    assert 'role="alert"' in reply.text
    assert "sos_session" not in client.cookies


@pytest.mark.parametrize("token", ["forged", "", None])
def test_the_sign_in_form_refuses_a_forged_or_missing_csrf_token(
    client: TestClient, world: World, token: str | None
) -> None:
    _csrf(client)  # the browser has its nonce; the request does not carry the matching token
    data = {"email": world.lead.email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    reply = client.post("/auth/sign-in", data=data)
    assert reply.status_code == 403
    assert "sos_session" not in client.cookies


def test_a_token_without_its_nonce_cookie_is_refused(client: TestClient, world: World) -> None:
    csrf = _csrf(client)
    client.cookies.clear()  # another browser (a forged cross-site post) has no nonce
    reply = client.post(
        "/auth/sign-in",
        data={"csrf_token": csrf, "email": world.lead.email, "password": PASSWORD},
    )
    assert reply.status_code == 403


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        "/auth/sign-out",
        "/%0d%0aLocation:%20https://evil.example",
    ],
)
def test_next_never_leaves_the_site(client: TestClient, world: World, evil: str) -> None:
    location = _sign_in(client, world.lead.email, PASSWORD, evil)
    assert location.startswith("/") and not location.startswith("//")
    assert urlsplit(location).netloc == ""
    # Either the home page, or (percent-encoded line breaks) a harmless path on this site.
    assert location == "/" or (evil.startswith("/%") and location == evil)


def test_signing_out_needs_the_token_bound_to_the_session_and_ends_every_session(
    client: TestClient, world: World, db: Database
) -> None:
    _sign_in(client, world.lead.email, PASSWORD)
    token = client.cookies["sos_session"]
    elsewhere = access.start_session(db, world.lead)
    for forged in ("forged", access.sign_out_token(elsewhere), ""):
        assert client.post("/auth/sign-out", data={"csrf_token": forged}).status_code == 403
    access.resolve_session(db, token)  # still signed in
    reply = client.post("/auth/sign-out", data={"csrf_token": access.sign_out_token(token)})
    assert reply.status_code == 303 and reply.headers["location"] == "/auth/sign-in"
    for ended in (token, elsewhere):
        with pytest.raises(SessionEnded, match="signed out"):
            access.resolve_session(db, ended)
    assert client.get("/waves", headers=HTML).status_code == 303


def test_link_pages_stay_anonymous_and_assets_are_not_redirected(client: TestClient) -> None:
    for path in ("/survey?t=abc", "/diary?d=abc", "/rate-profile?t=abc", "/feedback?f=abc"):
        assert client.get(path, headers=HTML).status_code == 200, path
    assert client.get("/?o=abc", headers=HTML).status_code == 200
    assert client.get("/?sso=start", headers=HTML).status_code == 200
    assert client.get("/_stcore/health").status_code == 200
    assert client.get("/static/js/index.js").status_code == 200
    assert client.get("/waves").status_code == 200  # not a page load (no text/html)


def test_every_response_carries_the_security_headers(client: TestClient, world: World) -> None:
    replies = [
        client.get("/waves", headers=HTML),
        client.get("/auth/sign-in", headers=HTML),
        client.get("/survey?t=abc", headers=HTML),
        client.post("/auth/sign-in", data={}),
        client.get("/_stcore/health"),
    ]
    for reply in replies:
        policy = reply.headers["content-security-policy"]
        assert "img-src 'self' data:;" in policy
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'self'" in policy
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "same-origin"


def test_single_sign_on_exchanges_its_ticket_once_for_the_cookie(
    client: TestClient, world: World, db: Database
) -> None:
    start = client.get("/auth/sso/start", params={"next": "/outcomes"})
    assert start.status_code == 303 and start.headers["location"] == "/?sso=start"
    started = access.start_sso_session(db, world.executive)
    reply = client.get("/auth/sso", params={"ticket": started.ticket})
    assert reply.status_code == 303 and reply.headers["location"] == "/outcomes"
    assert access.resolve_session(db, client.cookies["sos_session"]) == world.executive
    again = client.get("/auth/sso", params={"ticket": started.ticket})
    assert again.status_code == 400 and "expired" in again.text


def test_the_app_and_the_routes_agree_on_the_paths() -> None:
    import ui

    assert (ui.SIGN_IN_PATH, ui.SSO_PATH) == (asgi.SIGN_IN_PATH, asgi.SSO_PATH)


def test_the_policy_allows_exactly_the_app_s_page_scripts_and_only_they_run_inline() -> None:
    """Every script a page runs is a fixed file of assets/scripts run through
    ui.run_page_script (data travels in attributes), and the CSP names each by its hash
    (read from the files when the server starts); a script written inline anywhere else
    would be refused by the browser, so none may be."""
    scripts = sorted((ROOT / "assets" / "scripts").glob("*.js"))
    assert scripts
    for script in scripts:
        digest = hashlib.sha256(script.read_bytes()).digest()
        assert f"'sha256-{base64.b64encode(digest).decode()}'" in asgi.CONTENT_SECURITY_POLICY
    inline = [
        str(path.relative_to(ROOT))
        for path in [ROOT / "app.py", ROOT / "survey_form.py", *(ROOT / "pages").glob("*.py")]
        if "unsafe_allow_javascript" in path.read_text(encoding="utf-8")
        or "components.v1" in path.read_text(encoding="utf-8")
    ]
    assert inline == []
    assert (ROOT / "ui.py").read_text(encoding="utf-8").count("unsafe_allow_javascript") == 1
