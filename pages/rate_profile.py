"""A rater scores a self-profiling round from their personal link (``?t=<token>``).
No account needed; scores are kept by role only."""

from __future__ import annotations

import streamlit as st

from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.profiling import open_rating_form, submit_scores
from ui import runtime

context = runtime()
token = st.query_params.get("t", "")
DONE_KEY = "rating_done"

if st.session_state.get(DONE_KEY) == token and token:
    st.title("Thank you")
    st.success("Your scores have been saved. You can close this page.")
    st.write(
        "Your scores are combined with the other raters' and shown only for groups of "
        f"at least {context.settings.min_group_size} people, before the group agrees "
        "each score together."
    )
    st.stop()

try:
    form = open_rating_form(context.db, token)
except LinkRefused as refusal:
    st.title("Self-profile scoring")
    st.warning(str(refusal))
    st.stop()

definition = form.definition
st.title(definition.title)
st.caption(f"{form.organisation} · {form.round_title} · scoring as: {form.role.label}")
if definition.intro:
    st.write(definition.intro)
SCALE = list(range(0, 11))

with st.form("rating", enter_to_submit=False):
    scores: dict[str, object] = {}
    for domain in definition.domains:
        st.subheader(domain.title)
        for item in domain.items:
            scores[item.code] = st.radio(
                f"{item.text}  \n*(leave blank if you cannot judge)*",
                SCALE,
                index=None,
                horizontal=True,
                key=f"r_{item.code}",
                help=f"Evidence to think about: {item.evidence}",
            )
            st.caption(f"0 = {item.low_anchor} · 10 = {item.high_anchor}")
    submitted = st.form_submit_button("Send my scores", type="primary")

if submitted:
    try:
        submit_scores(context.db, token, scores)
    except (LinkRefused, InvalidInput) as problem:
        st.error(str(problem))
    else:
        st.session_state[DONE_KEY] = token
        st.rerun()
