"""sos-workforce entry point: the router. Draws shared chrome and the menu for the
signed-in role, then runs the chosen page. Run with `sos-workforce run` (or `demo`)."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from navigation import (
    DIARY_PAGE,
    FEEDBACK_PAGE,
    RATING_PAGE,
    SIGN_IN_PAGE,
    SURVEY_PAGE,
    pages_for,
)
from sos_workforce.access import PROVIDER, ROLE_LABELS, change_own_password, list_organisations
from sos_workforce.core.errors import SosError
from sos_workforce.core.links import LinkPage
from ui import (
    ORGANISATION_KEY,
    SIGNED_OUT_KEY,
    SSO_REFUSED_KEY,
    close_menu_on_phones,
    current_path,
    keyboard_scrollable_tables,
    navigate_to,
    record_rerun,
    resolve_actor,
    runtime,
    sign_in_from_sso,
    sign_in_url,
    sign_out,
    sso_logged_in,
)

ICON = Path(__file__).with_name("assets") / "icon.png"
started = time.perf_counter()
# The favicon is a file served by the app itself: a :material/…: icon would be fetched from
# Google's font servers (and refused by the Content-Security-Policy, asgi.py).
st.set_page_config(page_title="sos-workforce", page_icon=str(ICON), layout="wide")
context = runtime()
# Every run checks the server-side session again (the account's state, role and
# organisations, the idle and absolute timeouts); fragments do the same on their own reruns
# (ui.guarded_fragment).
actor = resolve_actor(context) or sign_in_from_sso(context)

survey_page = st.Page(
    SURVEY_PAGE, title="Staff survey", icon=":material/edit_note:", url_path=LinkPage.SURVEY.value
)
rating_page = st.Page(
    RATING_PAGE,
    title="Self-profile scoring",
    icon=":material/fact_check:",
    url_path=LinkPage.RATING.value,
)
diary_page = st.Page(
    DIARY_PAGE, title="Time diary", icon=":material/edit_calendar:", url_path=LinkPage.DIARY.value
)
feedback_page = st.Page(
    FEEDBACK_PAGE,
    title="Feedback after a conference",
    icon=":material/forum:",
    url_path=LinkPage.FEEDBACK.value,
)
link_pages = [survey_page, rating_page, diary_page, feedback_page]
# A personal, organisation or standing link (?t=, ?d=, ?o=, ?f=) carries its own authority.
link_visit = any(key in st.query_params for key in ("t", "d", "o", "f"))

if actor is None and not link_visit:
    if (
        context.settings.sso_enabled
        and st.query_params.get("sso") == "start"
        and not sso_logged_in()
    ):
        st.login(PROVIDER)  # from the sign-in form's single-sign-on button
        st.stop()
    ended = st.session_state.get(SIGNED_OUT_KEY)
    if ended and SSO_REFUSED_KEY not in st.session_state:
        # The session ended while a signed-in page was open (inactivity, signed out in
        # another tab, the account changed): say so and load the sign-in form, which
        # brings the person back here. Only the sign-in page is registered now, so no
        # "page not found" is drawn over this.
        st.info(ended)
        target = sign_in_url(current_path())
        st.html(f'<p><a href="{target}">Sign in again</a></p>')
        navigate_to(target)
        st.stop()

if actor is None:
    # Staff open /survey?t=<token> and /diary?d=<token>, self-profile raters
    # /rate-profile?t=<token>, and people at a conference /feedback?f=<token>, from their
    # links without an account; everyone else lands on sign-in. No menu is drawn for
    # anonymous visitors.
    sign_in = st.Page(SIGN_IN_PAGE, title="Sign in", icon=":material/login:", default=True)
    navigation = st.navigation([sign_in, *link_pages], position="hidden")
elif link_visit:
    # Someone signed in (a lead who is also asked to answer, say) who opens a link gets
    # the link's page, without the menu, as anyone else would; the page never uses the
    # account, so an anonymous answer stays anonymous.
    navigation = st.navigation(
        [
            st.Page(spec.path, title=spec.title, url_path=spec.url_path, default=index == 0)
            for index, spec in enumerate(pages_for(actor.role))
        ]
        + link_pages,
        position="hidden",
    )
else:
    sections: dict[str, list[st.Page]] = {}
    for index, spec in enumerate(pages_for(actor.role)):
        sections.setdefault(spec.section, []).append(
            st.Page(
                spec.path,
                title=spec.title,
                icon=spec.icon,
                url_path=spec.url_path,
                default=index == 0,
            )
        )
    # The menu is drawn here with page links (Streamlit's own page list is switched off,
    # client.showSidebarNavigation = false, so no page file is ever listed).
    navigation = st.navigation(sections, position="hidden")
    with st.sidebar:
        for section, section_pages in sections.items():
            st.markdown(f"**{section}**")
            for section_page in section_pages:
                st.page_link(section_page)
    close_menu_on_phones(navigation.url_path)

# A diary token on the home address (/?d=<token>, e.g. a link shortened by a mail client)
# opens the diary too.
diary_token = st.query_params.get("d")
if diary_token and navigation.url_path == "":
    st.switch_page(diary_page, query_params={"d": diary_token})

if actor is not None and not link_visit:
    with st.sidebar:
        st.markdown(f"**{actor.display_name}**  \n{ROLE_LABELS[actor.role]}")
        organisations = list_organisations(context.db, actor)
        if organisations:
            ids = [organisation.id for organisation in organisations]
            names = {organisation.id: organisation.name for organisation in organisations}
            current = st.session_state.get(ORGANISATION_KEY)
            # A plain session key (not the widget's own) survives page switches.
            st.session_state[ORGANISATION_KEY] = st.selectbox(
                "Organisation",
                ids,
                index=ids.index(current) if current in ids else 0,
                format_func=names.__getitem__,
                key="organisation_picker",
            )
        else:
            st.caption("No organisation yet. An administrator can add one.")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            sign_out()
        with (
            st.popover("Change your password", icon=":material/key:"),
            st.form("own_password", clear_on_submit=True),
        ):
            current_password = st.text_input(
                "Current password", type="password", key="own_current_password"
            )
            new_password = st.text_input("New password", type="password", key="own_new_password")
            repeated = st.text_input(
                "New password again", type="password", key="own_new_password_again"
            )
            if st.form_submit_button("Change password"):
                if new_password != repeated:
                    st.error("The two new passwords are not the same.")
                else:
                    try:
                        change_own_password(context.db, actor, current_password, new_password)
                    except SosError as error:
                        st.error(str(error))
                    else:
                        st.success("Your password is changed.")

keyboard_scrollable_tables()
try:
    navigation.run()
finally:
    if context.settings.rerun_timing_log is not None:
        record_rerun(
            context.settings.rerun_timing_log, navigation.title, time.perf_counter() - started
        )
