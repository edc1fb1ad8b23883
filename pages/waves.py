"""Implementation leads: launch survey waves, download links, watch response rates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.enums import Role, WaveStatus
from sos_workforce.errors import SosError
from sos_workforce.exports import csv_bytes
from sos_workforce.organisations import list_teams
from sos_workforce.surveys import (
    close_wave,
    launch_wave,
    list_instrument_versions,
    list_waves,
    response_rates,
)
from ui import require_actor, require_organisation, runtime

context = runtime()
actor = require_actor(Role.LEAD)
organisation_id = require_organisation()
ISSUED_KEY = "issued_links"

st.title("Survey waves")
launch_tab, waves_tab = st.tabs(["Launch a wave", "Waves and response rates"])

with launch_tab:
    instruments = list_instrument_versions(context.db, actor)
    teams = list_teams(context.db, actor, organisation_id)
    if not teams:
        st.info("This organisation has no teams yet. An administrator can add them.")
    elif not instruments:
        st.info("No survey instruments are installed. Add a file to the surveys/ folder.")
    else:
        today = dt.date.today()
        names = {team.id: team.indented_name for team in teams}
        title = st.text_input(
            "Title", placeholder="e.g. Spring 2027 confidence survey", key="wave_title"
        )
        instrument = st.selectbox(
            "Survey", instruments, format_func=lambda i: i.label, key="wave_instrument"
        )
        opens_on, closes_on = st.columns(2)
        open_date = opens_on.date_input("Opens on", today, key="wave_opens", format="DD/MM/YYYY")
        close_date = closes_on.date_input(
            "Closes on", today + dt.timedelta(days=21), key="wave_closes", format="DD/MM/YYYY"
        )
        chosen_teams = st.multiselect(
            "Teams",
            list(names),
            format_func=names.__getitem__,
            key="wave_teams",
            placeholder="Choose the teams to survey",
        )
        headcounts: dict[int, int] = {}
        if chosen_teams:
            st.markdown(
                "**Expected headcount per team.** One single-use link is made per "
                "person; response rates are measured against these numbers."
            )
            columns = st.columns(3)
            for index, team_id in enumerate(chosen_teams):
                headcounts[team_id] = int(
                    columns[index % 3].number_input(
                        names[team_id].strip(),
                        min_value=1,
                        max_value=2000,
                        value=10,
                        step=1,
                        key=f"headcount_{team_id}",
                    )
                )
        allow_identified = st.checkbox(
            "Let respondents choose to add their name (identified opt-in)",
            key="wave_identified",
        )
        if st.button("Launch wave", type="primary", key="launch_wave"):
            try:
                launched = launch_wave(
                    context.db,
                    actor,
                    organisation_id=organisation_id,
                    instrument_version_id=instrument.id,
                    title=title,
                    opens_on=open_date,
                    closes_on=close_date,
                    headcounts=headcounts,
                    base_url=context.settings.base_url,
                    allow_identified=allow_identified,
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.session_state.setdefault(ISSUED_KEY, {})[launched.wave_id] = csv_bytes(
                    ["team", "link"], [(link.team, link.url) for link in launched.links]
                )
                st.success(f"Wave launched with {len(launched.links)} personal links.")

        for wave_id, data in st.session_state.get(ISSUED_KEY, {}).items():
            st.warning(
                "Download the links now: for privacy they are stored only as "
                "fingerprints and cannot be shown again."
            )
            st.download_button(
                "Download links (CSV)",
                data,
                file_name=f"wave-{wave_id}-links.csv",
                mime="text/csv",
                key=f"download_links_{wave_id}",
                icon=":material/download:",
            )

with waves_tab:
    waves = list_waves(context.db, actor, organisation_id)
    if not waves:
        st.info("No waves yet. Launch one in the first tab.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Wave": w.title,
                        "Survey": w.instrument,
                        "Status": w.status.value,
                        "Opens": w.opens_on,
                        "Closes": w.closes_on,
                    }
                    for w in waves
                ]
            ),
            hide_index=True,
        )
        chosen = st.selectbox(
            "Response rates for", waves, format_func=lambda w: w.label, key="rates_wave"
        )
        rates = response_rates(
            context.db, actor, chosen.id, min_group_size=context.settings.min_group_size
        )
        k = rates.min_group_size
        rows = [*rates.teams, rates.overall]
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Team": r.team,
                        "Expected": r.expected,
                        "Responses": str(r.responses)
                        if r.responses is not None
                        else f"fewer than {k}",
                        "Rate": f"{r.rate:.0%}" if r.rate is not None else "–",
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
        )
        st.caption(f"Counts under {k} are shown as a band so that no one can be singled out.")
        if chosen.status is WaveStatus.OPEN and st.button(
            "Close this wave now", key="close_wave", icon=":material/lock:"
        ):
            try:
                close_wave(context.db, actor, chosen.id)
            except SosError as error:
                st.error(str(error))
            else:
                st.rerun()
