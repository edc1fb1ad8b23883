"""A rater scores a self-profiling round from their personal link (``?t=<token>``), one
domain per step with progress, save and resume (where they stopped). No account needed;
scores are kept by role only, and a saved draft only the link's holder can read."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.profiling import open_rating_form, save_rater_draft, submit_scores
from survey_form import CLEAR_HINT, focus_heading, form_styles, request_focus, scale_widget
from ui import runtime

context = runtime()
token = st.query_params.get("t", "")
DONE_KEY = "rating_done"
STATE_KEY = "rating_form"
SECTION_ANCHOR = "rating-section"
SCALE = list(range(0, 11))


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
domains = definition.domains
st.title(definition.title)
st.caption(f"{form.organisation} · {form.round_title} · scoring as: {form.role.label}")
if definition.intro:
    st.write(definition.intro)
form_styles()

# The form's state is a plain dict: a class defined here would be a new class on every run.
scope = f"rating-{token[:12]}"
found = st.session_state.get(STATE_KEY)
if not isinstance(found, dict) or found.get("scope") != scope:
    for key in [k for k in st.session_state if str(k).startswith("r_")]:
        del st.session_state[key]
    found = st.session_state[STATE_KEY] = {
        "scope": scope,
        "scores": dict(form.draft),
        "step": min(form.draft_section, len(domains) - 1),
    }
    if form.draft or form.draft_section:
        st.info("Welcome back. Your saved scores are filled in; carry on where you left off.")
        if found["step"]:
            request_focus()
state: dict[str, Any] = found
step = min(max(int(state["step"]), 0), len(domains) - 1)
scores: dict[str, int | None] = state["scores"]


def _save(section: int) -> bool:
    try:
        save_rater_draft(context.db, token, scores, section=section)
    except (LinkRefused, InvalidInput) as problem:
        st.error(str(problem))
        return False
    return True


def _go(to: int) -> None:
    if _save(to):
        state["step"] = to
        request_focus()
        st.rerun()


domain = domains[step]
st.progress((step + 1) / len(domains), text=f"Section {step + 1} of {len(domains)}: {domain.title}")
st.subheader(domain.title, anchor=SECTION_ANCHOR)
st.caption(f"Leave a statement blank if you cannot judge it. {CLEAR_HINT}")
for item in domain.items:
    scores[item.code] = scale_widget(
        item.text,
        SCALE,
        scores.get(item.code),
        key=f"r_{item.code}",
        help=f"Evidence to think about: {item.evidence}",
    )
    st.caption(f"0 = {item.low_anchor} · 10 = {item.high_anchor}")

last = step == len(domains) - 1
given = sum(1 for value in scores.values() if value is not None)
# The same elements in every section (only their words change), so nothing moves about.
st.write(
    f"You have scored {given} of {len(definition.items)} statements"
    + (". Nothing is sent until you choose Send my scores." if last else " so far.")
)
back, save, forward = st.columns(3)
if step > 0 and back.button("Back", key="rating_back", icon=":material/arrow_back:"):
    _go(step - 1)
if save.button("Save and finish later", key="rating_save", icon=":material/save:") and _save(step):
    st.success(
        "Saved. You can close this page and open the same link later to carry on; "
        "your link still works until you send your scores."
    )
if not last and forward.button("Continue", type="primary", key="rating_next"):
    _go(step + 1)
if last and forward.button("Send my scores", type="primary", key="rating_send"):
    try:
        submit_scores(context.db, token, scores)
    except (LinkRefused, InvalidInput) as problem:
        st.error(str(problem))
    else:
        del st.session_state[STATE_KEY]
        st.session_state[DONE_KEY] = token
        st.rerun()
focus_heading(SECTION_ANCHOR, domain.title)  # last: nothing after it moves
