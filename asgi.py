"""The web application as served: Streamlit's ``app.py`` inside an ``st.App``, plus the HTTP
routes that sign people in and out and the headers every response carries.

Why routes outside Streamlit: a Streamlit rerun cannot set a cookie, and the cookies a
session sees are read once, when its websocket opens. So signing in is a plain HTML form
posted to ``/auth/sign-in``, which sets the session cookie (HttpOnly, SameSite=Lax, Secure
under https) and sends the person on to the page they asked for; single sign-on ends with a
full page load of ``/auth/sso`` that exchanges a one-time ticket for the same cookie. The
session itself lives in the database (``sos_workforce.access.sessions``); every run of
``app.py`` checks it again.

Started by ``serve.py run asgi.py`` (``sos-workforce run``; the browser tests too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from sos_workforce.access import (
    SESSION_COOKIE,
    redeem_ticket,
    resolve_session,
    sign_in,
    sign_out,
    sign_out_token,
    source_address,
    start_session,
)
from sos_workforce.core.config import Settings, get_settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import SessionEnded, SignInFailed
from sos_workforce.core.links import LinkPage
from sos_workforce.core.security import keyed_hash
from sos_workforce.startup import shared_database

CSRF_COOKIE = "sos_csrf"  # a per-browser nonce; the form carries its keyed hash
NEXT_COOKIE = "sos_next"  # where to land after single sign-on (the provider loses it)
STREAMLIT_IDENTITY_COOKIE = "_streamlit_user"  # st.login's identity (signed by Streamlit)
SIGN_IN_PATH = "/auth/sign-in"
SIGN_OUT_PATH = "/auth/sign-out"
SSO_PATH = "/auth/sso"
SSO_START_PATH = "/auth/sso/start"
SSO_START_QUERY = "sso=start"  # app.py calls st.login on /?sso=start


def _csp_hash(body: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"


def _inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts allowed to run: the one in Streamlit's own
    index.html (it sets ``window.prerenderReady``), read from the installed Streamlit so an
    upgrade keeps matching, and the app's own fixed page scripts (``assets/scripts``, run
    by ``ui.run_page_script``); nothing else inline may run."""
    index = Path(st.__file__).parent / "static" / "index.html"
    text = index.read_text(encoding="utf-8") if index.exists() else ""
    streamlit_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", text, re.S)
    page_scripts = sorted((Path(__file__).with_name("assets") / "scripts").glob("*.js"))
    return [
        _csp_hash(body)
        for body in [*streamlit_scripts, *(p.read_text(encoding="utf-8") for p in page_scripts)]
    ]


# What Streamlit's own frontend needs (checked in chromium: tests/browser/test_sessions.py
# fails on any CSP violation): its emotion styles are inline, fonts and icons come from its
# static folder (some as data: URLs), the websocket is same-origin, and Vega charts run with
# Streamlit's CSP-safe expression interpreter (no eval). Nothing is ever loaded from
# elsewhere; no page may frame the app.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        " ".join(["script-src 'self'", *_inline_script_hashes()]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Links carry their token in the query string: never send it to another site.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}
# Paths that are not pages (Streamlit's own endpoints and assets, and these routes).
NOT_PAGES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/auth/")
# A personal, organisation or standing link carries its own authority (app.py).
LINK_PARAMETERS = ("t", "d", "o", "f")
LINK_PAGES = frozenset(f"/{page.value}" for page in LinkPage)

SESSION_ENDED_FOR_FORM = "Your sign-in form had expired. Please try again."


def _settings() -> Settings:
    return get_settings()


def _db() -> Database:
    return shared_database(get_settings())


def _secure(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def _csrf_token(nonce: str, purpose: str) -> str:
    return keyed_hash(get_settings().secret_key.get_secret_value(), purpose, nonce)


def safe_next(value: str | None) -> str:
    """A same-site page to land on after signing in: a relative path starting with one
    ``/`` (never ``//host`` or a scheme: no open redirect), not one of these routes."""
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return "/"
    if any(ch in value for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(NOT_PAGES):
        return "/"
    return value


def _is_page_request(scope: MutableMapping[str, Any]) -> bool:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    path: str = scope["path"]
    if path.startswith(NOT_PAGES) or path in ("/oauth2callback", "/favicon.ico", "/robots.txt"):
        return False
    accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
    return "text/html" in accept


def _is_anonymous_page(scope: MutableMapping[str, Any]) -> bool:
    """Pages opened from a link (no account), and the start of single sign-on."""
    query = scope.get("query_string", b"").decode("latin-1")
    if query == SSO_START_QUERY and scope["path"] == "/":
        return True
    parameters = parse_qs(query)
    return scope["path"].rstrip("/") in LINK_PAGES or any(
        key in parameters for key in LINK_PARAMETERS
    )


def _signed_in(token: str | None) -> bool:
    try:
        resolve_session(_db(), token, activity=False)
    except SessionEnded:
        return False
    return True


class SecurityMiddleware:
    """Every HTTP response gets ``SECURITY_HEADERS``. A page asked for without a valid
    session (a reload after it ended, a bookmark, a deep link) goes to the sign-in form,
    which brings the person back to it. Pages opened from a link stay anonymous; a browser
    holding single sign-on's identity goes on to ``app.py``, which turns it into a session.
    The app checks the session again on every run whatever happens here."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        if _is_page_request(scope) and not _is_anonymous_page(scope):
            request = Request(scope)
            token = request.cookies.get(SESSION_COOKIE)
            settings = _settings()
            if not await run_in_threadpool(_signed_in, token) and not (
                settings.sso_enabled and request.cookies.get(STREAMLIT_IDENTITY_COOKIE)
            ):
                wanted = scope["path"] + (
                    f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else ""
                )
                target = SIGN_IN_PATH
                if safe_next(wanted) != "/":
                    target += f"?next={quote(safe_next(wanted), safe='')}"
                response = RedirectResponse(target, status_code=303)
                await response(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)


# --- the sign-in form ----------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
 background:#f7f7f8;color:#1f2328;line-height:1.5}
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:.5rem;
 border:1px solid #d0d7de}
h1{font-size:1.6rem;margin-top:0}
label{display:block;font-weight:600;margin-top:1rem}
input{width:100%;box-sizing:border-box;font-size:1rem;padding:.6rem;margin-top:.3rem;
 border:1px solid #6e7781;border-radius:.3rem}
button{margin-top:1.4rem;font-size:1rem;padding:.6rem 1.2rem;border-radius:.3rem;
 border:1px solid #0b5394;background:#0b5394;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b5394}
input:focus,button:focus{outline:3px solid #f9a825;outline-offset:2px}
.alert{padding:.8rem;border-radius:.3rem;margin:1rem 0}
.error{background:#ffebe9;border:1px solid #cf222e}
.info{background:#ddf4ff;border:1px solid #0969da}
.note{color:#57606a;font-size:.9rem;margin-top:1.5rem}
"""


def _page(
    settings: Settings,
    *,
    csrf: str,
    next_page: str,
    email: str = "",
    error: str | None = None,
    info: str | None = None,
) -> str:
    escape = html.escape
    secondary = ' class="secondary"' if settings.sso_enabled else ""
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Sign in – sos-workforce</title><style>{_STYLE}</style></head><body><main>",
        "<h1>Sign in to sos-workforce</h1>",
        "<p>Run and measure your Signs of Safety implementation: staff confidence surveys, "
        "response rates and results your executive group can trust.</p>",
    ]
    if info:
        parts.append(f'<div class="alert info" role="status">{escape(info)}</div>')
    if error:
        parts.append(f'<div class="alert error" role="alert">{escape(error)}</div>')
    if settings.sso_enabled:
        parts += [
            f'<form method="get" action="{SSO_START_PATH}">',
            f'<input type="hidden" name="next" value="{escape(next_page)}">',
            f'<button type="submit">Sign in with {escape(settings.oidc_label)}</button>',
            "</form><p>Or sign in with a local account:</p>",
        ]
    parts += [
        f'<form method="post" action="{SIGN_IN_PATH}">',
        f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">',
        f'<input type="hidden" name="next" value="{escape(next_page)}">',
        '<label for="email">Email</label>',
        f'<input id="email" name="email" type="email" autocomplete="username" required '
        f'value="{escape(email)}">',
        '<label for="password">Password</label>',
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>',
        f'<button type="submit"{secondary}>Sign in</button></form>',
        '<p class="note">Staff answering a survey do not need an account: use the link you '
        "were sent.</p>",
    ]
    if settings.demo:
        parts.append(
            '<p class="note">Demo accounts: lead@northbridge.example / demo-lead-pass, '
            "exec@northbridge.example / demo-exec-pass, "
            "admin@northbridge.example / demo-admin-pass</p>"
        )
    parts.append("</main></body></html>")
    return "".join(parts)


def _set_cookie(
    response: Response, request: Request, name: str, value: str, *, path: str = "/"
) -> None:
    response.set_cookie(
        name,
        value,
        path=path,
        httponly=True,
        samesite="lax",
        secure=_secure(request, _settings()),
    )


def _form_response(
    request: Request,
    *,
    next_page: str,
    status: int = 200,
    email: str = "",
    error: str | None = None,
    info: str | None = None,
    clear_session: bool = False,
) -> Response:
    """The form with a CSRF token keyed to this browser's nonce (set if it has none)."""
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    settings = _settings()
    response = HTMLResponse(
        _page(
            settings,
            csrf=_csrf_token(nonce, "sign-in form"),
            next_page=next_page,
            email=email,
            error=error,
            info=info,
        ),
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
    if request.cookies.get(CSRF_COOKIE) != nonce:
        _set_cookie(response, request, CSRF_COOKIE, nonce, path="/auth/")
    if clear_session:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def sign_in_form(request: Request) -> Response:
    """GET /auth/sign-in: the form; someone still signed in goes straight on."""
    next_page = safe_next(request.query_params.get("next"))
    token = request.cookies.get(SESSION_COOKIE)
    info = None
    if token:
        try:
            resolve_session(_db(), token, activity=False)
        except SessionEnded as ended:
            info = str(ended)  # why: signed out, inactivity, the account changed…
        else:
            return RedirectResponse(next_page, status_code=303)
    return _form_response(request, next_page=next_page, info=info, clear_session=bool(token))


async def sign_in_submit(request: Request) -> Response:
    """POST /auth/sign-in: check the CSRF token, then the password (``access.sign_in``: the
    same answer and time whatever is wrong, failures counted per account and source); start
    a session, set its cookie and go to the page asked for."""
    form = await request.form()
    next_page = safe_next(str(form.get("next") or ""))
    email = str(form.get("email") or "")[:320]
    password = str(form.get("password") or "")[:1024]
    nonce = request.cookies.get(CSRF_COOKIE)
    given = str(form.get("csrf_token") or "")
    if not nonce or not hmac.compare_digest(given, _csrf_token(nonce, "sign-in form")):
        return _form_response(
            request, next_page=next_page, status=403, email=email, error=SESSION_ENDED_FOR_FORM
        )
    source = source_address(request.client.host if request.client else None, None, [])
    db = _db()
    try:
        actor = await run_in_threadpool(sign_in, db, email, password, source=source)
    except SignInFailed as refused:
        return _form_response(
            request, next_page=next_page, status=401, email=email, error=str(refused)
        )
    token = await run_in_threadpool(start_session, db, actor)
    response = RedirectResponse(next_page, status_code=303)
    _set_cookie(response, request, SESSION_COOKIE, token)
    return response


async def sign_out_submit(request: Request) -> Response:
    """POST /auth/sign-out: end every session of the account (every tab, every browser) and
    clear the cookie. The form's token is bound to the session, so another site cannot
    sign anyone out."""
    form = await request.form()
    token = request.cookies.get(SESSION_COOKIE)
    given = str(form.get("csrf_token") or "")
    if not token or not hmac.compare_digest(given, sign_out_token(token)):
        return HTMLResponse(
            '<!doctype html><html lang="en"><title>Not signed out</title><main><h1>Not '
            "signed out</h1><p>That request did not come from this app's own sign-out "
            'button.</p><p><a href="/">Back to the app</a></p></main></html>',
            status_code=403,
        )
    await run_in_threadpool(sign_out, _db(), token)
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def sso_start(request: Request) -> Response:
    """GET /auth/sso/start: remember where to land, then let app.py call ``st.login``."""
    response = RedirectResponse(f"/?{SSO_START_QUERY}", status_code=303)
    next_page = safe_next(request.query_params.get("next"))
    _set_cookie(response, request, NEXT_COOKIE, next_page, path="/auth/")
    return response


def sso_finish(request: Request) -> Response:
    """GET /auth/sso?ticket=…: the full page load that turns single sign-on (matched in
    app.py) into the session cookie; the ticket works once, within a minute."""
    ticket = request.query_params.get("ticket", "")
    try:
        token = redeem_ticket(_db(), ticket)
    except SessionEnded as ended:
        return _form_response(request, next_page="/", status=400, error=str(ended))
    response = RedirectResponse(safe_next(request.cookies.get(NEXT_COOKIE)), status_code=303)
    _set_cookie(response, request, SESSION_COOKIE, token)
    response.delete_cookie(NEXT_COOKIE, path="/auth/")
    return response


ROUTES = [
    Route(SIGN_IN_PATH, sign_in_form, methods=["GET"]),
    Route(SIGN_IN_PATH, sign_in_submit, methods=["POST"]),
    Route(SIGN_OUT_PATH, sign_out_submit, methods=["POST"]),
    Route(SSO_START_PATH, sso_start, methods=["GET"]),
    Route(SSO_PATH, sso_finish, methods=["GET"]),
]

app = st.App(
    str(Path(__file__).with_name("app.py")),
    routes=ROUTES,
    middleware=[Middleware(SecurityMiddleware)],
)
