"""The staff survey, opened from a personal link (``?t=<token>``). No account needed."""

from __future__ import annotations

import streamlit as st

from sos_workforce.errors import InvalidInput, LinkRefused
from sos_workforce.instruments import ChoiceItem, ScaleItem, TextItem
from sos_workforce.surveys import AnswerValue, Identity, open_survey, submit_response
from ui import runtime

context = runtime()
token = st.query_params.get("t", "")
DONE_KEY = "survey_done"

if st.session_state.get(DONE_KEY) == token and token:
    st.title("Thank you")
    st.success("Your answers have been saved. You can close this page.")
    st.write(
        "Your answers are combined with your colleagues' and only reported for groups of "
        f"at least {context.settings.min_group_size} people."
    )
    st.stop()

try:
    form = open_survey(context.db, token)
except LinkRefused as refusal:
    st.title("Staff survey")
    st.warning(str(refusal))
    st.stop()

definition = form.definition
st.title(definition.title)
st.caption(f"{form.organisation} · {form.team} · open until {form.closes_on:%d %B %Y}")
if definition.intro:
    st.write(definition.intro)


def _answer_widget(item: ScaleItem | ChoiceItem | TextItem) -> AnswerValue:
    key = f"q_{item.code}"
    label = item.text + ("" if item.required else "  \n*(optional)*")
    previous = form.draft.get(item.code)
    if isinstance(item, ScaleItem):
        options = list(range(item.min, item.max + 1))
        anchors = ", ".join(f"{point} = {text}" for point, text in sorted(item.anchors.items()))
        index = (
            options.index(previous) if isinstance(previous, int) and previous in options else None
        )
        value: AnswerValue = st.radio(
            label, options, index=index, horizontal=True, key=key, help=item.help
        )
        if anchors:
            st.caption(anchors)
        return value
    if isinstance(item, ChoiceItem):
        labels = {option.value: option.label for option in item.options}
        if item.kind == "multiple_choice":
            chosen = st.multiselect(
                label, list(labels), format_func=labels.__getitem__, key=key, help=item.help
            )
            return list(chosen)
        return st.radio(
            label, list(labels), index=None, format_func=labels.__getitem__, key=key, help=item.help
        )
    return st.text_area(label, max_chars=item.max_length, key=key, help=item.help)


with st.form("survey", enter_to_submit=False):
    answers: dict[str, AnswerValue] = {}
    for section in definition.sections:
        st.subheader(section.title)
        if section.intro:
            st.write(section.intro)
        for item in section.items:
            answers[item.code] = _answer_widget(item)
    identity = None
    if form.allow_identified:
        st.divider()
        st.markdown(
            "**Optional: add your name.** Only if you would like to be contacted, "
            "for example to be offered support or to become an in-house trainer."
        )
        name = st.text_input("Your name (leave blank to stay anonymous)", key="identity_name")
        email = st.text_input("Your work email (optional)", key="identity_email")
        if name.strip():
            identity = Identity(name=name, email=email or None)
    submitted = st.form_submit_button("Send my answers", type="primary")

if submitted:
    try:
        submit_response(context.db, token, answers, identity=identity)
    except (LinkRefused, InvalidInput) as problem:
        st.error(str(problem))
    else:
        st.session_state[DONE_KEY] = token
        st.rerun()
