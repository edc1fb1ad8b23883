"""Executive dashboard: the staff confidence band table (as in Brent's scrutiny report)."""

from __future__ import annotations

import streamlit as st

from sos_workforce.charts import diverging_band_chart
from sos_workforce.enums import Role
from sos_workforce.exports import csv_bytes
from sos_workforce.reporting import TOO_FEW, wave_band_tables
from sos_workforce.surveys import list_waves
from ui import require_actor, require_organisation, runtime

context = runtime()
actor = require_actor(Role.LEAD, Role.EXECUTIVE)
organisation_id = require_organisation()
k = context.settings.min_group_size

st.title("Staff confidence")
waves = list_waves(context.db, actor, organisation_id)
if not waves:
    st.info(
        "No survey results yet. When an implementation lead launches a wave and staff "
        "respond, the results appear here."
    )
    st.stop()

picker, refresh = st.columns([4, 1], vertical_alignment="bottom")
wave = picker.selectbox("Survey wave", waves, format_func=lambda w: w.label, key="dashboard_wave")
# Every rerun reads fresh figures; the button lets people watch a live wave.
refresh.button("Refresh results", icon=":material/refresh:", key="refresh_results")
tables = wave_band_tables(context.db, actor, wave.id, min_group_size=k)
for table in tables:
    if table.respondents is None:
        st.warning(
            f"This wave has {TOO_FEW} to show (fewer than {k}). Results appear once "
            f"at least {k} people have answered."
        )
        continue
    st.markdown(
        f"**{table.respondents} respondents.** Percentages are of those who answered "
        "each statement; rows with fewer than "
        f"{k} answers show “{TOO_FEW}”."
    )
    frame = table.to_frame()
    table_column, chart_column = st.columns([3, 2])
    with table_column:
        # A real HTML table: readable by screen readers (and browser tests).
        st.table(table.display_frame())
        st.download_button(
            "Download table (CSV)",
            csv_bytes(list(frame.columns), frame.itertuples(index=False)),
            file_name=f"confidence-wave-{wave.id}.csv",
            mime="text/csv",
            key="download_band_table",
            icon=":material/download:",
        )
    with chart_column:
        chart = diverging_band_chart(table)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
            st.caption(
                "Bars diverge from the middle band: low ratings to the left, high "
                "to the right. Hover for counts and 95% intervals."
            )
