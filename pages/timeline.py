"""Implementation leads: SoS start date, phases and milestones."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import ImplementationPhase, Role
from sos_workforce.core.errors import SosError
from sos_workforce.profiling import (
    EARLIEST_DATE,
    add_milestone,
    get_timeline,
    remove_milestone,
    set_timeline,
    suggested_phase_starts,
)
from ui import require_actor, require_organisation, runtime

context = runtime()
actor = require_actor(Role.LEAD)
organisation_id = require_organisation()
today = dt.date.today()
LATEST_DATE = today + dt.timedelta(days=5 * 366)
NOTICE_KEY = "timeline_notice"

st.title("Implementation timeline")
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.success(notice)
timeline = get_timeline(context.db, actor, organisation_id)
band = timeline.band_on(today)
phase = timeline.phase_on(today)
st.markdown(
    f"**Experience today:** {band.label if band else 'not started (no SoS start date yet)'}"
    f"  \n**Phase today:** {phase.label if phase else 'not recorded'}"
)
st.caption(
    "Experience is grouped as in the 10-pilot evaluation: new (up to 1 year from the SoS "
    "start date), about 2 years, more than 2 years."
)

overview, edit = st.columns([3, 2])
with overview:
    st.subheader("Phases")
    if timeline.phases:
        st.table(
            pd.DataFrame(
                [
                    {
                        "Phase": span.label,
                        "Starts": as_date(span.starts_on),
                        "Ends": as_date(span.ends_on, "continuing"),
                    }
                    for span in timeline.phases
                ]
            ).set_index("Phase")
        )
    else:
        st.info("No phases recorded yet. Set the start date and phase dates on the right.")
    st.subheader("Milestones")
    if timeline.milestones:
        st.table(
            pd.DataFrame(
                [
                    {"Milestone": m.title, "Date": as_date(m.achieved_on)}
                    for m in timeline.milestones
                ]
            ).set_index("Milestone")
        )
        chosen = st.selectbox(
            "Remove a milestone",
            timeline.milestones,
            format_func=lambda m: m.title,
            index=None,
            key="remove_milestone_choice",
        )
        if chosen is not None and st.button("Remove milestone", key="remove_milestone"):
            try:
                remove_milestone(context.db, actor, chosen.id)
            except SosError as error:
                st.error(str(error))
            else:
                st.rerun()
    else:
        st.info("No milestones yet, e.g. 'Two-day training for all practitioners'.")

with edit:
    with st.form("timeline_form"):
        st.subheader("Start date and phases")
        start = st.date_input(
            "SoS start date (start of intensive implementation)",
            timeline.sos_start_date,
            min_value=EARLIEST_DATE,
            max_value=LATEST_DATE,
            format="DD/MM/YYYY",
            key="sos_start_date",
        )
        current = {span.phase: span.starts_on for span in timeline.phases}
        starts: dict[ImplementationPhase, dt.date | None] = {}
        for each in ImplementationPhase:
            starts[each] = st.date_input(
                f"{each.label} starts",
                current.get(each),
                min_value=EARLIEST_DATE,
                max_value=LATEST_DATE,
                format="DD/MM/YYYY",
                key=f"phase_{each.value}",
            )
        fill = st.checkbox(
            "Fill blank phases with typical dates from the start date",
            key="fill_phases",
            help="Preparation 6 months before, year 2 and sustainment on the anniversaries.",
        )
        if st.form_submit_button("Save timeline", type="primary"):
            if fill and isinstance(start, dt.date):
                typical = suggested_phase_starts(start)
                starts = {p: day or typical[p] for p, day in starts.items()}
            try:
                set_timeline(
                    context.db,
                    actor,
                    organisation_id,
                    sos_start_date=start if isinstance(start, dt.date) else None,
                    phase_starts=starts,
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.session_state[NOTICE_KEY] = "Timeline saved."
                st.rerun()

    with st.form("milestone_form", clear_on_submit=True):
        st.subheader("Add a milestone")
        title = st.text_input(
            "Milestone", placeholder="e.g. Practice leads in place", key="milestone_title"
        )
        achieved_on = st.date_input(
            "Date",
            today,
            min_value=EARLIEST_DATE,
            max_value=today,
            format="DD/MM/YYYY",
            key="milestone_date",
        )
        if st.form_submit_button("Add milestone"):
            try:
                add_milestone(context.db, actor, organisation_id, title, achieved_on)
            except SosError as error:
                st.error(str(error))
            else:
                st.session_state[NOTICE_KEY] = f"Added '{' '.join(title.split())}'."
                st.rerun()
