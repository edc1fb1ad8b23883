"""Helpers shared by the pages: the cached runtime, the signed-in actor, messages.

This module is UI code (it imports streamlit); the rules live in ``sos_workforce``.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

import sos_workforce.reports as reports
from sos_workforce.access import (
    SESSION_COOKIE,
    Actor,
    EndReason,
    actor_for_sso_email,
    record_export,
    resolve_session,
    start_sso_session,
)
from sos_workforce.access import sign_out as end_sessions
from sos_workforce.core.config import Settings, get_settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import (
    PermissionDenied,
    SessionEnded,
    SignInFailed,
    SosError,
    SsoSignInExpired,
)
from sos_workforce.core.tabular import Column
from sos_workforce.mail import MailOverview, RemindersQueued, send_now, waiting
from sos_workforce.startup import shared_database
from sos_workforce.surveys import WaveCounts, load_wave_counts, wave_data_stamp

ACTOR_KEY = "actor"
ORGANISATION_KEY = "organisation_id"
SSO_SIGNED_IN_KEY = "sso_signed_in"
SSO_REFUSED_KEY = "sso_refused"
# The session token when it did not come in the cookie: set only by server code (single
# sign-on in this tab, before the cookie is set; tests/support/apptest.py, as AppTest
# cannot send cookies). No widget has this key, so a browser cannot set it.
SESSION_TOKEN_KEY = "session_token"  # noqa: S105 - a key's name, not a secret
SIGNED_OUT_KEY = "signed_out_reason"
SIGN_IN_PATH = "/auth/sign-in"  # asgi.py's form
SSO_PATH = "/auth/sso"
# A session that ended for one of these also drops single sign-on's identity, or the
# identity would start a new session at once (an expired identity is refused instead).
_DROPS_IDENTITY = {
    EndReason.SIGNED_OUT,
    EndReason.IDLE,
    EndReason.ACCOUNT_CHANGED,
    EndReason.INACTIVE,
}


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database


@st.cache_resource(show_spinner="Preparing the database…")
def _database(url: str, busy_timeout_ms: int, surveys_dir: str) -> Database:
    """Migrate once per process (per database), then hand out one shared engine."""
    return shared_database(get_settings())


def runtime() -> Runtime:
    """Settings and database for this run; every page (and app.py) calls it first."""
    settings = get_settings()
    db = _database(
        settings.resolved_database_url, settings.sqlite_busy_timeout_ms, str(settings.surveys_dir)
    )
    return Runtime(settings, db)


def current_actor() -> Actor | None:
    """The actor ``resolve_actor`` found for this run (app.py resolves it on every run)."""
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def session_token() -> str | None:
    """This browser's session token: what server code put in the session state, else the
    cookie (as it was when the page loaded)."""
    seam = st.session_state.get(SESSION_TOKEN_KEY)
    if isinstance(seam, str) and seam:
        return seam
    cookie = st.context.cookies.get(SESSION_COOKIE)
    return cookie if isinstance(cookie, str) and cookie else None


def resolve_actor(context: Runtime, *, activity: bool = True) -> Actor | None:
    """Check the session again (the account's state, role and organisations, the idle and
    absolute timeouts: ``access.resolve_session``) and keep the actor for this run. When
    it has ended, the reason is kept for the sign-in page, and a single-sign-on identity
    is dropped too (``st.logout``) unless it had simply expired."""
    token = session_token()
    if token is None:
        st.session_state.pop(ACTOR_KEY, None)
        return None
    try:
        actor = resolve_session(context.db, token, activity=activity)
    except SessionEnded as ended:
        st.session_state.pop(ACTOR_KEY, None)
        st.session_state.pop(SESSION_TOKEN_KEY, None)
        st.session_state[SIGNED_OUT_KEY] = str(ended)
        if ended.reason in _DROPS_IDENTITY and sso_logged_in():
            st.logout()
            st.stop()
        return None
    st.session_state[ACTOR_KEY] = actor
    return actor


def navigate_to(url: str) -> None:
    """Send the browser to ``url`` (a same-site path) with a full page load: how the app
    reaches the HTTP routes that set and clear the session cookie. Streamlit has no public
    command for it; this is the message ``st.login`` sends (tests/static checks it)."""
    context = get_script_run_ctx()
    if context is None:
        return
    message = ForwardMsg()
    message.auth_redirect.url = url
    context.enqueue(message)


def sign_in_url(next_page: str | None = None) -> str:
    """The sign-in form, bringing the person back to ``next_page`` afterwards."""
    if not next_page or next_page == "/":
        return SIGN_IN_PATH
    return f"{SIGN_IN_PATH}?next={quote(next_page, safe='')}"


def current_path() -> str:
    """The path of the page in the browser (no query: links carry tokens there)."""
    url = st.context.url
    return urlsplit(url).path or "/" if url else "/"


F = TypeVar("F", bound=Callable[..., Any])


def guarded_fragment(function: F | None = None, *, run_every: float | None = None) -> Any:
    """``st.fragment`` that checks the session again on each of its own reruns (a fragment
    rerun skips app.py). If the session has ended the whole app reruns, which lands on
    sign-in. An automatic refresh (``run_every``) does not count as activity."""

    def decorate(body: F) -> Any:
        @functools.wraps(body)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if resolve_actor(runtime(), activity=run_every is None) is None:
                st.rerun()
            return body(*args, **kwargs)

        return st.fragment(guarded, run_every=run_every)

    return decorate if function is None else decorate(function)


def sso_logged_in() -> bool:
    """Whether Streamlit holds an identity from the provider (st.user is empty without
    an ``[auth]`` configuration, hence ``get``)."""
    return bool(st.user.get("is_logged_in"))


def sign_in_from_sso(context: Runtime) -> Actor | None:
    """Match the provider's identity to an account, once per session. A refusal is kept
    in the session (the sign-in page shows it) so it is audited once, not every rerun."""
    if not context.settings.sso_enabled or not sso_logged_in():
        return None
    if SSO_REFUSED_KEY in st.session_state:
        return None
    try:
        actor = actor_for_sso_email(
            context.db,
            st.user.get("email"),
            email_verified=st.user.get("email_verified"),
            expires_at=st.user.get("exp"),
        )
    except SsoSignInExpired as error:
        st.session_state[SSO_REFUSED_KEY] = (str(error), True)
        return None
    except SignInFailed as error:
        st.session_state[SSO_REFUSED_KEY] = (str(error), False)
        return None
    expires = st.user.get("exp")
    started = start_sso_session(
        context.db,
        actor,
        identity_expires_at=dt.datetime.fromtimestamp(expires, dt.UTC)
        if isinstance(expires, int | float) and not isinstance(expires, bool)
        else None,
    )
    # This tab is signed in at once; a full page load of /auth/sso sets the cookie, so a
    # reload, a new tab or a bookmark stays signed in.
    st.session_state[SESSION_TOKEN_KEY] = started.token
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SSO_SIGNED_IN_KEY] = True
    navigate_to(f"{SSO_PATH}?ticket={started.ticket}")
    return actor


def sign_out() -> None:
    """End every session of this account (every tab and browser: ``access.sign_out``) and
    forget the actor; with single sign-on also drop Streamlit's identity cookie (which
    starts a new session), or the next run would sign the same person straight back in.
    The rerun lands on sign-in, which loads the form (and so clears the cookie)."""
    token = session_token()
    if token is not None:
        end_sessions(runtime().db, token)
    from_sso = st.session_state.get(SSO_SIGNED_IN_KEY) or sso_logged_in()
    for key in (ACTOR_KEY, ORGANISATION_KEY, SSO_SIGNED_IN_KEY, SSO_REFUSED_KEY):
        st.session_state.pop(key, None)
    st.session_state.pop(SESSION_TOKEN_KEY, None)
    if from_sso:
        st.logout()
        st.stop()
    st.session_state[SIGNED_OUT_KEY] = "You are signed out."
    st.rerun()


def audited_download(
    label: str,
    data: Any,
    *,
    kind: str,
    organisation_id: int | None,
    target: str | None = None,
    count: int | None = None,
    **options: Any,
) -> None:
    """``st.download_button`` that records the download in the audit log (the kind of
    export, its target and row count; never the content) when it is clicked."""
    context = runtime()
    actor = current_actor()
    st.download_button(
        label,
        data,
        on_click=_record_download,
        args=(context.db, actor, kind, organisation_id, target, count),
        **options,
    )


def _record_download(
    db: Database,
    actor: Actor | None,
    kind: str,
    organisation_id: int | None,
    target: str | None,
    count: int | None,
) -> None:
    if actor is not None:
        record_export(
            db, actor, organisation_id=organisation_id, kind=kind, target=target, count=count
        )


def require_actor(*roles: Role) -> Actor:
    """The signed-in actor, or stop the page with a plain message."""
    actor = current_actor()
    if actor is None:
        st.warning("Please sign in to see this page.")
        st.stop()
    if roles and not actor.is_admin and actor.role not in roles:
        st.error("Your role does not give access to this page.")
        st.stop()
    return actor


def selected_organisation() -> int | None:
    value = st.session_state.get(ORGANISATION_KEY)
    return value if isinstance(value, int) else None


def require_organisation() -> int:
    organisation_id = selected_organisation()
    if organisation_id is None:
        st.info("Choose an organisation in the sidebar first.")
        st.stop()
    return organisation_id


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _wave_counts(
    _db: Database, actor: Actor, wave_id: int, stamp: tuple[int, int], url: str
) -> WaveCounts:
    return load_wave_counts(_db, actor, wave_id)


def wave_counts(wave_id: int) -> WaveCounts:
    """A wave's counts, cached per user until a new response arrives (or ten minutes)."""
    context = runtime()
    actor = current_actor()
    if actor is None:
        raise PermissionDenied("Please sign in first.")
    stamp = wave_data_stamp(context.db, wave_id)
    return _wave_counts(context.db, actor, wave_id, stamp, context.settings.resolved_database_url)


def progress_callback(bar: DeltaGenerator, text: str) -> Callable[[float], None]:
    """A package progress callback (share done, 0–1) that moves an ``st.progress`` bar."""

    def show(share: float) -> None:
        bar.progress(min(max(share, 0.0), 1.0), text=text)

    return show


NOT_IN_FILE = "(not in file)"


def send_waiting_mail(
    context: Runtime, actor: Actor, organisation_id: int, batch: int = 10
) -> None:
    """Send the organisation's due emails in small batches with a progress bar. Leaving the
    page stops it safely: a batch in flight is claimed again after a few minutes, and the
    command-line sender (sos-workforce send-mail) sends whatever is left."""
    total = waiting(context.db, actor, organisation_id)
    bar = st.progress(0.0, text=f"Sending {total} emails…")
    sent = failed = retrying = 0
    try:
        while True:
            report = send_now(context.db, actor, context.settings, organisation_id, limit=batch)
            if not report.handled:
                break
            sent, failed = sent + report.sent, failed + report.failed
            retrying += report.retrying
            left = waiting(context.db, actor, organisation_id)
            done = min(1.0, (sent + failed) / total) if total else 1.0
            bar.progress(done, text=f"Sent {sent}, failed {failed}, still queued {left}")
    except SosError as error:
        st.error(str(error))
        return
    bar.progress(1.0, text=f"Sent {sent}, failed {failed}.")
    if retrying:
        st.info(
            f"{retrying} could not be sent just now and will be tried again in a few "
            "minutes (by the mail sender, or when you press the button again)."
        )


def email_delivery(
    mail: MailOverview,
    context: Runtime,
    actor: Actor,
    organisation_id: int,
    k: int,
    *,
    key_prefix: str,
    new_link_note: str,
    resend: Callable[[int, str], object],
    batch: int = 10,
) -> None:
    """The send log (reminders under the gate), the button that sends the queue, and the
    failed invitations with a corrected-address form, for a wave or a diary period.
    ``resend(message_id, address)`` sends a failed invitation again."""
    log, reminders = mail.log.invitations, mail.reminders

    def shown(count: int | None) -> str:
        return f"fewer than {k}" if count is None else str(count)

    st.subheader("Email")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Email": "Invitations",
                    "Queued": str(log.queued),
                    "Sent": str(log.sent),
                    "Failed": str(log.failed),
                },
                {
                    "Email": "Reminders",
                    "Queued": shown(reminders.queued),
                    "Sent": shown(reminders.sent),
                    "Failed": shown(reminders.failed),
                },
            ]
        ),
        hide_index=True,
        placeholder="—",
    )
    queued = waiting(context.db, actor, organisation_id)
    if queued and st.button(
        f"Send the {queued} queued emails now",
        key=f"send_{key_prefix}mail",
        icon=":material/send:",
    ):
        send_waiting_mail(context, actor, organisation_id, batch)
    if not mail.failures:
        return
    st.markdown(
        "**Invitations that could not be delivered.** Correct an address to send that "
        f"person a new link ({new_link_note})."
    )
    st.dataframe(
        pd.DataFrame([{"Address": f.address, "Why": f.error} for f in mail.failures]),
        hide_index=True,
        placeholder="—",
    )
    with st.form(f"resend_{key_prefix}invitation", enter_to_submit=False):
        failure = st.selectbox(
            "Address to correct",
            mail.failures,
            format_func=lambda f: f.address,
            key=f"{key_prefix}failed_address",
        )
        corrected = st.text_input("Corrected address", key=f"{key_prefix}corrected_address")
        send = st.form_submit_button("Send to the corrected address")
    if send and failure is not None:
        try:
            resend(failure.message_id, corrected)
        except SosError as error:
            st.error(str(error))
        else:
            st.rerun()


def send_reminders(
    scope_id: int,
    *,
    key_prefix: str,
    who: str,
    lost: str,
    send: Callable[[], RemindersQueued],
    group: str = "Team",
) -> None:
    """The "Send reminders" button with its confirmation, and the counts per group (under
    the gate) once they are queued. ``who`` says whom the app chooses ("has not answered
    yet"); ``lost`` what the first link's replacement costs them."""
    confirm_key = f"{key_prefix}reminders_to_confirm"
    st.markdown(
        f"**Reminders** go to everyone who {who}; the app chooses them and you see only how "
        "many. Each gets a new link that replaces their first one."
    )
    if st.button(
        "Send reminders", key=f"send_{key_prefix}reminders", icon=":material/notifications:"
    ):
        st.session_state[confirm_key] = scope_id
    if st.session_state.get(confirm_key) != scope_id:
        return
    st.warning(f"Send a reminder to everyone who {who}? Their first link stops working; {lost}")
    yes, no = st.columns(2)
    if yes.button("Yes, send reminders", type="primary", key=f"confirm_{key_prefix}reminders"):
        st.session_state.pop(confirm_key, None)
        try:
            queued = send()
        except SosError as error:
            st.error(str(error))
        else:
            st.success(f"Reminders queued: {queued.label(queued.total)}.")
            st.dataframe(
                pd.DataFrame(
                    [
                        {group: g.group, "Reminders queued": queued.label(g.queued)}
                        for g in queued.groups
                    ]
                ),
                hide_index=True,
                placeholder="—",
            )
    if no.button("Not now", key=f"cancel_{key_prefix}reminders"):
        st.session_state.pop(confirm_key, None)
        st.rerun()


def upload_megabytes(settings: Settings) -> int:
    """The ``max_upload_size`` of a CSV/XLSX uploader (Streamlit counts MiB): the browser
    refuses a larger file before sending it; the reader checks the rest
    (``core.tabular.UploadLimits``)."""
    return max(1, settings.upload_max_bytes // (1024 * 1024))


def column_mapping(
    row_count: int,
    headers: Sequence[str],
    columns: Sequence[Column],
    proposed: Mapping[str, str | None],
    key_prefix: str,
) -> dict[str, str | None]:
    """The mapping step of an import: one picker per field, pre-set to the column
    ``propose_mapping`` found; returns field name → file header (None: not in the file)."""
    st.markdown(f"**{row_count} rows.** Check which column of your file feeds each field:")
    options = [NOT_IN_FILE, *headers]
    mapping: dict[str, str | None] = {}
    layout = st.columns(2)
    for index, column in enumerate(columns):
        current = proposed.get(column.name)
        choice = layout[index % 2].selectbox(
            column.label + ("" if column.required else " (optional)"),
            options,
            index=options.index(current) if current in options else 0,
            key=f"{key_prefix}{column.name}",
            help=column.help or None,
        )
        mapping[column.name] = None if choice == NOT_IN_FILE else choice
    return mapping


@st.cache_data(max_entries=256, show_spinner=False)
def _vega_lite_spec(builder: str, inputs: tuple[Any, ...]) -> dict[str, Any] | None:
    chart = getattr(reports, builder)(*inputs)
    return None if chart is None else dict(chart.to_dict())


def draw_chart(builder: str, *inputs: Any) -> bool:
    """Draw ``sos_workforce.reports.<builder>(*inputs)``, its Vega-Lite spec cached on the
    inputs themselves (building Altair objects and validating the spec costs tens of
    milliseconds a chart on every rerun; the inputs are small). False when the builder
    has nothing to draw."""
    spec = _vega_lite_spec(builder, inputs)
    if spec is None:
        return False
    st.vega_lite_chart(spec=spec, width="stretch")
    return True


# --- rerun timing for the load benchmark (bench/load.py) ----------------------------------
# Off unless SOS_RERUN_TIMING_LOG is set. Each line holds the wall-clock time, the page title
# and the milliseconds the script run took; never query strings (links carry their token
# there), never answers.


def record_rerun(log: Path, page: str, seconds: float) -> None:
    """Append one rerun's timing (one short line; appends of a line are atomic in practice)."""
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"{time.time():.3f}\t{page}\t{seconds * 1000:.2f}\n")


def read_reruns(log: Path) -> list[tuple[float, str, float]]:
    """(time, page, milliseconds) for every recorded rerun."""
    rows = []
    for line in log.read_text(encoding="utf-8").splitlines():
        stamp, page, milliseconds = line.split("\t")
        rows.append((float(stamp), page, float(milliseconds)))
    return rows


MENU_PAGE_KEY = "menu_page"


# Streamlit lays the sidebar over the page at 768 px and below (its "md" breakpoint). Its
# own page list closes the sidebar there after a choice; page links (our menu) do not.
def close_menu_on_phones(url_path: str) -> None:
    """After a page is chosen in the menu, close the sidebar where it covers the page (a
    phone), as Streamlit's own page list does."""
    previous, changes = st.session_state.get(MENU_PAGE_KEY, (None, 0))
    st.session_state[MENU_PAGE_KEY] = (url_path, changes + (previous != url_path))
    if previous is not None and previous != url_path:
        with st.sidebar:
            # Numbered, so that the browser never keeps the last change's element (its
            # script would not run again).
            run_page_script("close_menu_on_phones", change=changes)


# A table wider than the screen (a phone) scrolls sideways inside Streamlit's own wrapper,
# which a keyboard cannot reach (axe: scrollable-region-focusable, WCAG 2.1.1). Each table's
# wrapper is made a focusable, named region, as GOV.UK and Bootstrap do for wide tables:
# every table's, since whether one overflows changes with the width of the screen (and
# measuring each would slow the drawing of a page). The style hides this element's own
# (empty) slot in the page.
_HIDE_OWN_SLOT = """<style>
.stElementContainer:has(.sos-scrollable-tables) { display: none; }
</style>"""


def keyboard_scrollable_tables() -> None:
    """Let the keyboard reach (and scroll) every table that scrolls sideways."""
    run_page_script("scrollable_tables", before=_HIDE_OWN_SLOT, css_class="sos-scrollable-tables")


# The scripts pages run (st.html with JavaScript) are fixed files, so the
# Content-Security-Policy (asgi.py) allows exactly these by their hashes and nothing else
# inline; what changes from run to run travels in data attributes of the element before
# each script.
PAGE_SCRIPTS = Path(__file__).with_name("assets") / "scripts"


def run_page_script(name: str, *, before: str = "", css_class: str = "", **data: object) -> None:
    """Run ``assets/scripts/<name>.js`` in the page, after a hidden element carrying
    ``data`` as ``data-*`` attributes (the script reads them from
    ``document.currentScript.previousElementSibling.dataset``)."""
    body = (PAGE_SCRIPTS / f"{name}.js").read_text(encoding="utf-8")
    attributes = "".join(
        f' data-{key.replace("_", "-")}="{html.escape(str(value), quote=True)}"'
        for key, value in data.items()
    )
    classes = f' class="{css_class}"' if css_class else ""
    st.html(
        f"{before}<span hidden{classes}{attributes}></span><script>{body}</script>",
        unsafe_allow_javascript=True,
    )
