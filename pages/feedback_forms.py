"""Conference feedback forms (leads): start collecting a form, make its standing link and
the printable poster with a QR code for the conference room, and type in paper forms."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SosError
from sos_workforce.feedback import (
    ENTRY_WINDOW_DAYS,
    FeedbackFormSummary,
    FeedbackLink,
    PaperForm,
    enter_paper_forms,
    entry_window,
    issue_feedback_link,
    list_feedback_forms,
    start_feedback_form,
)
from sos_workforce.surveys import AnswerValue, instrument_definition
from survey_form import answer_widget, form_styles
from ui import audited_download, require_actor, require_organisation, runtime

context = runtime()
actor = require_actor(Role.LEAD)
organisation_id = require_organisation()
LINK_KEY = "feedback_new_link"  # the link just made: shown once, this session only
BATCH_KEY = "feedback_paper_batch"

st.title("Conference feedback forms")
st.write(
    "Feedback after child protection conferences is collected all year: through a standing "
    "link (a poster with a QR code in the conference room) and on paper, typed in here. "
    "Results are on the Conference feedback page."
)
forms = list_feedback_forms(context.db, actor, organisation_id)
if not forms:
    st.info(
        "No feedback form is available. Publish an instrument with `collection: continuous` "
        "on the Survey instruments page."
    )
    st.stop()
form: FeedbackFormSummary = st.selectbox(
    "Feedback form", forms, format_func=lambda f: f.label, key="feedback_forms_form"
)
if form.form_id is None:
    st.write(f"This form is for {form.audience_words}. It is not collected yet.")
    if st.button("Start collecting this form", type="primary", key="feedback_start"):
        try:
            start_feedback_form(
                context.db,
                actor,
                organisation_id,
                form.instrument_version_id,
                release_step=context.settings.min_group_size,
            )
        except SosError as error:
            st.error(str(error))
        else:
            st.rerun()
    st.stop()
form_id = form.form_id
definition = instrument_definition(context.db, actor, form.instrument_version_id)

link_tab, paper_tab = st.tabs(["Link and poster", "Type in paper forms"])

with link_tab:
    st.write(
        "One link for everyone: print the poster for the conference room, or open the link "
        "on a tablet. It asks for no name, and the answers keep the date only."
    )
    if form.has_link:
        st.caption(
            "This form has a link. Making a new one replaces it: posters with the old QR code "
            "stop working."
        )
    confirmed = (
        st.checkbox("Replace the current link and posters", key="feedback_replace_link")
        if form.has_link
        else True
    )
    if st.button(
        "Make a new link and poster" if form.has_link else "Make the link and poster",
        key="feedback_issue_link",
        disabled=not confirmed,
    ):
        try:
            st.session_state[LINK_KEY] = (
                form_id,
                issue_feedback_link(context.db, actor, form_id, base_url=context.settings.base_url),
            )
        except SosError as error:
            st.error(str(error))
    made = st.session_state.get(LINK_KEY)
    if made and made[0] == form_id:
        link: FeedbackLink = made[1]
        st.success(
            "Here is the link. It is shown only now: download the poster before you leave "
            "this page."
        )
        st.code(link.url, language=None)
        st.image(link.qr_svg, caption=f"QR code for {definition.title}", width=220)
        audited_download(
            "Download the poster (to print)",
            link.poster_html.encode("utf-8"),
            kind="feedback_poster_html",
            organisation_id=organisation_id,
            target=f"feedback_form:{form_id}",
            file_name=f"conference-feedback-poster-{form.code}.html",
            mime="text/html",
            key="download_feedback_poster",
            icon=":material/print:",
            help="An A4 page with the QR code and the link: open it and print it.",
        )

with paper_tab:
    earliest, latest = entry_window(dt.date.today())
    st.write(
        f"Type in each paper form, then save them together. Forms can be typed in up to "
        f"{ENTRY_WINDOW_DAYS} days after the conference: after that, its month's figures may "
        "be published, and adding to them would show what the form said."
    )
    batch: list[PaperForm] = st.session_state.setdefault(BATCH_KEY, [])
    form_styles()  # every 0-10 scale on one row
    with st.form("paper_form", clear_on_submit=True, enter_to_submit=False):
        conference_on = st.date_input(
            "Date of the conference",
            value=latest,
            min_value=earliest,
            max_value=latest,
            format="DD/MM/YYYY",
            key="paper_conference_on",
        )
        answers: dict[str, AnswerValue] = {}
        for item in definition.items:
            answers[item.code] = answer_widget(item, None, key_prefix="paper_")
        added = st.form_submit_button("Add this form", type="primary")
    if added:
        headline = definition.reporting.headline
        if headline and answers.get(headline) is None:
            st.error(f"Please answer: {definition.item(headline).text}")
        else:
            batch.append(
                PaperForm(
                    conference_on,
                    {c: v for c, v in answers.items() if v is not None and v != ""},
                )
            )
            st.success(f"Form {len(batch)} added. It is not saved until you save the forms.")
    if batch:
        st.markdown(f"**{len(batch)} form(s) typed in, not yet saved**")
        headline = definition.reporting.headline or ""
        st.table(
            pd.DataFrame(
                {
                    "Form": [str(i) for i in range(1, len(batch) + 1)],
                    "Conference": [as_date(p.conference_on) for p in batch],
                    "Score": [str(p.answers.get(headline, "")) for p in batch],
                }
            ).set_index("Form")
        )
        save, clear = st.columns(2)
        if save.button(f"Save {len(batch)} form(s)", type="primary", key="paper_save"):
            try:
                saved = enter_paper_forms(context.db, actor, form_id, batch)
            except SosError as error:
                st.error(str(error))
            else:
                st.session_state[BATCH_KEY] = []
                st.success(f"{saved} form(s) saved.")
        if clear.button("Discard the forms not saved", key="paper_clear"):
            st.session_state[BATCH_KEY] = []
            st.rerun()
