"""The staff survey, opened from a personal link (``?t=<token>``) or the wave's open
organisation link (``?o=<token>``, with a team picker). No account needed."""

from __future__ import annotations

import streamlit as st

from sos_workforce.core.dates import as_date
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.surveys import (
    AnswerValue,
    Identity,
    OpenLinkLimits,
    OptIn,
    offline_definition,
    open_link_form,
    open_survey,
    save_draft,
    start_open_response,
    submit_response,
)
from survey_form import FormActions, forget, render_survey
from ui import runtime

context = runtime()
DONE_KEY = "survey_done"
OPEN_LINK_KEY = "survey_open_link"
AUDIENCE_KEY = "survey_audience"  # the sent form's audience, for the thank-you words
# The per-browser limit of the open link (this browser session only; the cap per team and
# the rate limit in the service are what hold when a new session is opened):
SENT_KEY = "open_link_sent"  # answers sent through the open link from this session
UNFINISHED_KEY = "open_link_unfinished"  # links started here and not yet sent
CONFIRMED_KEY = "open_link_someone_else"  # "someone else is answering" was confirmed


def _thank_you() -> None:
    st.title("Thank you")
    st.success("Your answers have been sent. You can close this page.")
    st.write(
        "Your answers are combined with "
        + (
            "your colleagues'"
            if st.session_state.get(AUDIENCE_KEY, "staff") == "staff"
            else "others'"
        )
        + f" and only reported for groups of at least {context.settings.min_group_size} people."
    )
    open_token = st.session_state.get(OPEN_LINK_KEY)
    if open_token and st.button("Start another response", key="another_response"):
        st.query_params.clear()
        st.query_params["o"] = open_token
        st.rerun()
    st.stop()


def _someone_else() -> None:
    """After an answer was sent through the open link from this browser, ask before the
    next start: a kiosk is passed on, but one person should not answer twice."""
    if not st.session_state.get(SENT_KEY) or st.session_state.get(CONFIRMED_KEY):
        return
    st.subheader("Someone else answering on this device?")
    st.write(
        "An answer has already been sent from this device. Each person should answer "
        "once. If you are someone else and have not answered yet, carry on."
    )
    if st.button("Yes, I am someone else and want to answer", key="confirm_someone_else"):
        st.session_state[CONFIRMED_KEY] = True
        st.rerun()
    st.stop()


def _unfinished() -> list[str]:
    return list(st.session_state.get(UNFINISHED_KEY, []))


def _choose_team(open_token: str) -> None:
    try:
        link = open_link_form(context.db, open_token)
    except LinkRefused as refusal:
        st.title("Survey")
        st.warning(str(refusal))
        st.stop()
    st.title(link.survey_title)
    st.caption(f"{link.organisation} · {link.wave_title}")
    _someone_else()
    unfinished = _unfinished()
    if len(unfinished) >= context.settings.open_link_unfinished_per_browser:
        st.warning(
            f"{len(unfinished)} surveys were started on this device and not sent yet. "
            "Please finish one of them before starting another."
        )
        if st.button("Continue the last survey started here", key="continue_unfinished"):
            st.query_params.clear()
            st.query_params["t"] = unfinished[-1]
            st.rerun()
        st.stop()
    names = dict(link.teams)
    with st.form("choose_team", enter_to_submit=False):
        team_id = st.selectbox(
            "Which team do you work in?",
            list(names),
            index=None,
            format_func=names.__getitem__,
            key="open_link_team",
            placeholder="Choose your team",
        )
        started = st.form_submit_button("Start the survey", type="primary")
    if started:
        if team_id is None:
            st.error("Please choose your team.")
            st.stop()
        try:
            personal = start_open_response(
                context.db,
                open_token,
                team_id,
                limits=OpenLinkLimits.from_settings(context.settings),
            )
        except (LinkRefused, InvalidInput) as problem:
            st.error(str(problem))
            st.stop()
        st.session_state[OPEN_LINK_KEY] = open_token
        st.session_state[UNFINISHED_KEY] = [*unfinished, personal]
        st.session_state[CONFIRMED_KEY] = False
        st.query_params.clear()
        st.query_params["t"] = personal
        st.rerun()
    st.stop()


token = st.query_params.get("t", "")
if token and st.session_state.get(DONE_KEY) == token:
    _thank_you()
if not token and st.query_params.get("o"):
    _choose_team(st.query_params.get("o", ""))

try:
    form = open_survey(context.db, token)
except LinkRefused as refusal:
    st.title("Survey")
    st.warning(str(refusal))
    st.stop()

definition = offline_definition(form.definition)  # no images or HTML: nothing fetched
st.title(definition.title)
st.caption(f"{form.organisation} · {form.team} · open until {as_date(form.closes_on, long=True)}")
if definition.intro:
    st.write(definition.intro)
scope = f"survey-{token[:12]}"


def _save(answers: dict[str, AnswerValue], section: int) -> None:
    try:
        save_draft(context.db, token, answers, section=section)
    except (LinkRefused, InvalidInput) as problem:
        st.error(str(problem))
        st.stop()


def _send(
    answers: dict[str, AnswerValue], identity: Identity | None, opt_in: OptIn | None = None
) -> None:
    try:
        submit_response(context.db, token, answers, identity=identity, opt_in=opt_in)
    except (LinkRefused, InvalidInput) as problem:
        st.error(str(problem))
        return
    forget()
    if token in _unfinished():
        st.session_state[UNFINISHED_KEY] = [t for t in _unfinished() if t != token]
        st.session_state[SENT_KEY] = st.session_state.get(SENT_KEY, 0) + 1
    st.session_state[DONE_KEY] = token
    st.session_state[AUDIENCE_KEY] = definition.audience
    st.rerun()


def _send_optin(answers: dict[str, AnswerValue], opt_in: OptIn) -> None:
    _send(answers, None, opt_in)


actions = FormActions(
    _save,
    _send,
    form.allow_identified,
    send_optin=_send_optin if form.allow_optin else None,
    optin_readers=f"the Signs of Safety implementation leads at {form.organisation}",
)
render_survey(definition, form.draft, actions, scope=scope, draft_section=form.draft_section)
