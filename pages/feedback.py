"""A conference feedback form, opened from its standing link (``?f=<token>``: the QR code
on the poster in the conference room). No account; the form is anonymous and can be
filled in again for the next person on the same tablet."""

from __future__ import annotations

import streamlit as st

from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.feedback import open_feedback_link, submit_feedback
from sos_workforce.surveys import AnswerValue, visible_items
from survey_form import answer_widget, form_styles
from ui import runtime

context = runtime()
DONE_KEY = "feedback_done"
ROUND_KEY = "feedback_round"  # a new form (fresh widgets) after each one sent

token = st.query_params.get("f", "")
try:
    linked = open_feedback_link(context.db, token)
except LinkRefused as refusal:
    st.title("Conference feedback")
    st.warning(str(refusal))
    st.stop()

definition = linked.definition
if st.session_state.get(DONE_KEY) == token:
    st.title("Thank you")
    st.success("Your feedback has been sent. You can close this page.")
    st.write(
        "Answers are only ever reported together, for at least "
        f"{context.settings.min_group_size} forms and never for a single conference."
    )
    if st.button("Fill in another form", key="feedback_another"):
        st.session_state.pop(DONE_KEY, None)
        st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
        st.rerun()
    st.stop()

st.title(definition.title)
st.caption(linked.organisation)
if definition.intro:
    st.write(definition.intro)
prefix = f"f{st.session_state.get(ROUND_KEY, 0)}_"
answers: dict[str, AnswerValue] = {}
form_styles()  # every 0-10 scale on one row, on a phone too
with st.form("feedback_form", enter_to_submit=False):
    for section in definition.sections:
        st.subheader(section.title)
        if section.intro:
            st.write(section.intro)
        for item in section.items:
            answers[item.code] = answer_widget(item, None, key_prefix=prefix)
    sent = st.form_submit_button("Send my feedback", type="primary")
if sent:
    chosen = {
        code: value
        for code, value in answers.items()
        if value is not None and value != "" and value != []
    }
    shown = {item.code for item in visible_items(definition, chosen)}
    try:
        submit_feedback(context.db, token, {c: v for c, v in chosen.items() if c in shown})
    except (LinkRefused, InvalidInput) as problem:
        st.error(str(problem))
    else:
        st.session_state[DONE_KEY] = token
        st.rerun()
