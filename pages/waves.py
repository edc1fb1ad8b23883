"""Implementation leads: launch survey waves (teams or a roster; draft or open), download
links, issue an open link, watch response rates, close and reopen, remind non-responders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from sos_workforce.access import list_teams
from sos_workforce.core.enums import Role, WaveStatus
from sos_workforce.core.errors import SosError
from sos_workforce.core.exports import csv_bytes, csv_row_count
from sos_workforce.core.figures import as_shown, percent
from sos_workforce.surveys import (
    AudienceMember,
    WaveSummary,
    audience_template,
    close_wave,
    discard_draft_wave,
    issue_open_link,
    launch_wave,
    list_instrument_versions,
    list_waves,
    not_yet_responded,
    open_wave,
    read_audience,
    reopen_wave,
    response_rates,
)
from ui import audited_download, require_actor, require_organisation, runtime

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
        audience_mode = st.radio(
            "Who is asked",
            ["teams", "roster"],
            format_func={
                "teams": "Teams, with an expected headcount each",
                "roster": "A staff roster (one personal link per person)",
            }.__getitem__,
            horizontal=True,
            key="wave_audience_mode",
        )
        headcounts: dict[int, int] = {}
        audience: list[AudienceMember] | None = None
        chosen_teams: list[int] = []
        if audience_mode == "roster":
            st.download_button(
                "Download a roster template (CSV)",
                audience_template(),
                file_name="survey-audience-template.csv",
                mime="text/csv",
                key="audience_template",
            )
            roster_file = st.file_uploader(
                "Roster (CSV or Excel): staff id, team, and optionally role, employment "
                "type and email",
                type=["csv", "xlsx"],
                key="wave_roster",
            )
            if roster_file is not None:
                try:
                    preview = read_audience(
                        context.db,
                        actor,
                        organisation_id,
                        data=roster_file.getvalue(),
                        filename=roster_file.name,
                    )
                except SosError as error:
                    st.error(str(error))
                else:
                    audience = preview.members
                    st.success(f"{len(audience)} people in {len(preview.per_team)} team(s).")
                    st.dataframe(
                        pd.DataFrame(
                            {"Team": list(preview.per_team), "People": preview.per_team.values()}
                        ),
                        hide_index=True,
                    )
                    st.caption(
                        "Role and employment type are not stored: respondents answer those "
                        "questions themselves, so no response can be tied to the roster."
                    )
        else:
            chosen_teams = st.multiselect(
                "Teams",
                list(names),
                format_func=names.__getitem__,
                key="wave_teams",
                placeholder="Choose the teams to survey",
            )
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
        as_draft = st.checkbox(
            "Save as a draft: links are made now but only work once you open the wave",
            key="wave_draft",
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
                    headcounts=headcounts or None,
                    audience=audience,
                    base_url=context.settings.base_url,
                    allow_identified=allow_identified,
                    draft=as_draft,
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.session_state.setdefault(ISSUED_KEY, {})[launched.wave_id] = csv_bytes(
                    ["staff_id", "email", "team", "link"],
                    [
                        (link.staff_ref or "", link.email or "", link.team, link.url)
                        for link in launched.links
                    ],
                )
                verb = "saved as a draft" if as_draft else "launched"
                st.success(f"Wave {verb} with {len(launched.links)} personal links.")

        for wave_id, data in st.session_state.get(ISSUED_KEY, {}).items():
            st.warning(
                "Download the links now: for privacy they are stored only as "
                "fingerprints and cannot be shown again."
            )
            audited_download(
                "Download links (CSV)",
                data,
                kind="survey_links_csv",
                organisation_id=organisation_id,
                target=f"wave:{wave_id}",
                count=csv_row_count(data),
                file_name=f"wave-{wave_id}-links.csv",
                mime="text/csv",
                key=f"download_links_{wave_id}",
                icon=":material/download:",
            )


def _run(action: Callable[[], object]) -> None:
    try:
        action()
    except SosError as error:
        st.error(str(error))
    else:
        st.rerun()


def _wave_actions(wave: WaveSummary) -> None:
    """What can be done with a wave in its current state."""
    today = dt.date.today()
    if wave.status is WaveStatus.DRAFT:
        st.info("This wave is a draft: its links do not work until you open it.")
        open_now, discard = st.columns(2)
        if open_now.button(
            "Open now", type="primary", key="open_wave", icon=":material/play_arrow:"
        ):
            _run(lambda: open_wave(context.db, actor, wave.id))
        if discard.button("Discard this draft", key="discard_wave", icon=":material/delete:"):
            _run(lambda: discard_draft_wave(context.db, actor, wave.id))
        return
    if wave.status is WaveStatus.OPEN:
        close, link, remind = st.columns(3)
        if close.button("Close this wave now", key="close_wave", icon=":material/lock:"):
            _run(lambda: close_wave(context.db, actor, wave.id))
        if link.button("Make an open link", key="issue_open_link", icon=":material/link:"):
            try:
                url = issue_open_link(
                    context.db, actor, wave.id, base_url=context.settings.base_url
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.write(
                    "Anyone with this link can answer once per visit, choosing their team "
                    "(for a kiosk or typing in paper forms). Making a new one stops this one. "
                    "Copy it now: it is not stored and cannot be shown again."
                )
                st.code(url, language=None)
        if remind.button("Who has not responded?", key="list_non_responders"):
            try:
                people = not_yet_responded(context.db, actor, wave.id)
            except SosError as error:
                st.error(str(error))
            else:
                if not people:
                    st.info(
                        "Nobody on a roster is waiting: either everyone has responded or this "
                        "wave was launched by headcount (whose links are not named)."
                    )
                else:
                    st.write(
                        f"{len(people)} people on the roster have not sent a response. This "
                        "list says nothing about what anyone answered."
                    )
                    audited_download(
                        "Download for a reminder mail merge (CSV)",
                        csv_bytes(["staff_id", "team"], [(p.staff_ref, p.team) for p in people]),
                        kind="non_responders_csv",
                        organisation_id=organisation_id,
                        target=f"wave:{wave.id}",
                        count=len(people),
                        file_name=f"wave-{wave.id}-not-yet-responded.csv",
                        mime="text/csv",
                        key="download_non_responders",
                    )
        return
    with st.form("reopen_wave", enter_to_submit=False):
        st.markdown("**Reopen this wave.** The reason is kept in the audit log.")
        reason = st.text_input("Why is it being reopened?", key="reopen_reason")
        until = st.date_input(
            "Open until", today + dt.timedelta(days=7), key="reopen_until", format="DD/MM/YYYY"
        )
        reopen = st.form_submit_button("Reopen", icon=":material/lock_open:")
    if reopen:
        _run(lambda: reopen_wave(context.db, actor, wave.id, reason=reason, closes_on=until))


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
                        # Whole percent, half up on the counts (1 of 8 is 13%).
                        "Rate": as_shown(percent(r.responses, r.expected, 0), places=0, unit="%")
                        if r.responses is not None and r.expected
                        else "–",
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
        )
        st.caption(f"Counts under {k} are shown as a band so that no one can be singled out.")
        _wave_actions(chosen)
