"""Implementation leads: launch a time-diary period for teams (participants from the
roster, or entered once), download the personal links, watch participation, import
diaries recorded elsewhere, and close the period."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import streamlit as st

from sos_workforce.access import list_teams
from sos_workforce.core.enums import DiaryStatus, Role
from sos_workforce.core.errors import SosError
from sos_workforce.diaries import (
    STANDARD_WEEKLY_HOURS,
    ParticipantInput,
    PeriodSummary,
    close_period,
    diary_codes,
    diary_columns,
    diary_template,
    import_diaries,
    launch_period,
    links_csv,
    list_periods,
    participation,
    preview_diaries,
    reissue_links,
    reopen_period,
    roster_participants,
)
from ui import (
    audited_download,
    column_mapping,
    progress_callback,
    require_actor,
    require_organisation,
    runtime,
)

context = runtime()
actor = require_actor(Role.LEAD)
organisation_id = require_organisation()
k = context.settings.min_group_size
ISSUED_KEY = "issued_diary_links"
PEOPLE_COLUMNS = ["Staff id", "Team", "Role", "FTE", "Contracted hours a week"]

st.title("Time diaries")
launch_tab, periods_tab, import_tab = st.tabs(
    ["Launch a period", "Periods and participation", "Import diaries"]
)


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _number(value: object) -> float | None:
    return None if _missing(value) else float(value)  # type: ignore[arg-type]


def _issue(period_id: int, links_data: bytes, count: int) -> None:
    st.session_state.setdefault(ISSUED_KEY, {})[period_id] = (links_data, count)


with launch_tab:
    teams = list_teams(context.db, actor, organisation_id)
    if not teams:
        st.info("This organisation has no teams yet. An administrator can add them.")
    else:
        today = dt.date.today()
        next_monday = today + dt.timedelta(days=(7 - today.weekday()) % 7)
        names = {team.id: team.indented_name for team in teams}
        plain = {team.id: team.name for team in teams}
        title = st.text_input("Title", placeholder="e.g. Diary week, March 2027", key="diary_title")
        first, last = st.columns(2)
        starts_on = first.date_input(
            "First day", next_monday, key="diary_starts", format="DD/MM/YYYY"
        )
        ends_on = last.date_input(
            "Last day", next_monday + dt.timedelta(days=6), key="diary_ends", format="DD/MM/YYYY"
        )
        chosen = st.multiselect(
            "Teams",
            list(names),
            format_func=names.__getitem__,
            key="diary_teams",
            placeholder="Choose the teams keeping a diary",
        )
        source = st.radio(
            "Who takes part",
            ["roster", "entered"],
            format_func={
                "roster": "Everyone in these teams on the latest staff roster",
                "entered": "People I enter here",
            }.__getitem__,
            horizontal=True,
            key="diary_source",
        )
        rows: list[dict[str, Any]] = []
        if chosen and source == "roster":
            try:
                found = roster_participants(context.db, actor, organisation_id, chosen, starts_on)
            except SosError as error:
                st.warning(str(error))
            else:
                rows = [
                    {
                        "Staff id": p.worker_ref,
                        "Team": plain[p.team_id],
                        "Role": p.role,
                        "FTE": p.fte,
                        "Contracted hours a week": p.contracted_hours,
                    }
                    for p in found.participants
                ]
                st.caption(
                    f"{len(rows)} people from the roster of {found.as_of:%d %B %Y}. "
                    f"Contracted hours are FTE × {STANDARD_WEEKLY_HOURS:g}; change any that "
                    "differ, or add and remove people."
                )
                if found.teams_without_staff:
                    st.warning(
                        "Nobody on the roster is in "
                        + ", ".join(found.teams_without_staff)
                        + ": add them below or leave the team out."
                    )
        if chosen:
            st.markdown(
                "**People taking part.** Staff ids must be pseudonymous (no names). Give the "
                "FTE or the contracted hours a week (the other is worked out)."
            )
            people = st.data_editor(
                pd.DataFrame.from_records(rows, columns=PEOPLE_COLUMNS).astype(
                    {"FTE": "float64", "Contracted hours a week": "float64"}
                ),
                key=f"diary_people_{source}_{'-'.join(map(str, sorted(chosen)))}_{starts_on}",
                num_rows="dynamic",
                hide_index=True,
                width="stretch",
                column_config={
                    "Team": st.column_config.SelectboxColumn(
                        "Team", options=[plain[t] for t in chosen], required=True
                    ),
                    "FTE": st.column_config.NumberColumn(
                        "FTE", min_value=0.01, max_value=1.5, step=0.01, format="%.2f"
                    ),
                    "Contracted hours a week": st.column_config.NumberColumn(
                        "Contracted hours a week", min_value=1.0, max_value=80.0, step=0.5
                    ),
                },
            )
        if st.button("Launch the diary period", type="primary", key="launch_diary"):
            by_name = {plain[t]: t for t in chosen}
            participants = [
                ParticipantInput(
                    "" if _missing(record["Staff id"]) else str(record["Staff id"]),
                    by_name.get(str(record["Team"]), -1),
                    "" if _missing(record["Role"]) else str(record["Role"]),
                    _number(record["FTE"]),
                    _number(record["Contracted hours a week"]),
                )
                for record in (people.to_dict("records") if chosen else [])
                if not all(_missing(record[c]) for c in PEOPLE_COLUMNS)
            ]
            try:
                launched = launch_period(
                    context.db,
                    actor,
                    organisation_id,
                    title=title,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    team_ids=chosen,
                    base_url=context.settings.base_url,
                    participants=participants,
                )
            except SosError as error:
                st.error(str(error))
            else:
                _issue(launched.period_id, links_csv(launched.links), len(launched.links))
                st.success(f"Diary period launched with {len(launched.links)} personal links.")

    for period_id, (data, count) in st.session_state.get(ISSUED_KEY, {}).items():
        st.warning(
            "Download the links now: for privacy they are stored only as fingerprints and "
            "cannot be shown again (you can issue new ones, which replace them)."
        )
        audited_download(
            "Download diary links (CSV)",
            data,
            kind="diary_links_csv",
            organisation_id=organisation_id,
            target=f"diary:{period_id}",
            count=count,
            file_name=f"diary-{period_id}-links.csv",
            mime="text/csv",
            key=f"download_diary_links_{period_id}",
            icon=":material/download:",
        )

periods = list_periods(context.db, actor, organisation_id, min_group_size=k)


def _label(period: PeriodSummary) -> str:
    return period.label


with periods_tab:
    if not periods:
        st.info("No diary periods yet. Launch one on the first tab.")
    else:
        period = st.selectbox(
            "Diary period", periods, format_func=_label, key="diary_manage_period"
        )
        recording = f"fewer than {k}" if period.recording is None else str(period.recording)
        st.markdown(
            f"**{period.participants} taking part** in {', '.join(period.teams)}; "
            f"{recording} have recorded something so far."
        )
        st.table(
            pd.DataFrame.from_records(
                [
                    {"Team": t.team, "Taking part": t.participants, "Recorded": t.recording_label}
                    for t in participation(context.db, actor, period.id, min_group_size=k)
                ]
            ).set_index("Team")
        )
        st.caption(f"A count of people who have recorded is shown only from {k} upwards.")
        if period.status is DiaryStatus.OPEN:
            left, right = st.columns(2)
            with left:
                st.markdown("**Lost the links?** New links replace the old ones; entries stay.")
                if st.button("Issue new links", key="reissue_diary_links"):
                    try:
                        links = reissue_links(
                            context.db, actor, period.id, base_url=context.settings.base_url
                        )
                    except SosError as error:
                        st.error(str(error))
                    else:
                        _issue(period.id, links_csv(links), len(links))
                        st.success(
                            f"{len(links)} new links issued: download them on the first tab."
                        )
            with right:
                st.markdown("**Close the period** when everyone has finished.")
                confirmed = st.checkbox(
                    "I understand that entries can no longer be added or changed",
                    key="confirm_close_diary",
                )
                if st.button("Close the period", key="close_diary", disabled=not confirmed):
                    try:
                        close_period(context.db, actor, period.id)
                    except SosError as error:
                        st.error(str(error))
                    else:
                        st.success("The diary period is closed.")
                        st.rerun()
        else:
            st.info("This period is closed: its links no longer work and entries are final.")
            with st.expander("Reopen this period"), st.form("reopen_diary"):
                reason = st.text_area(
                    "Why is it being reopened?",
                    key="reopen_diary_reason",
                    help="Kept in the audit log, e.g. “closed before the paper diaries "
                    "from the East team were imported”.",
                )
                if st.form_submit_button("Reopen the period"):
                    try:
                        reopen_period(context.db, actor, period.id, reason=reason)
                    except SosError as error:
                        st.error(str(error))
                    else:
                        st.success("The diary period is open again; its links work again.")
                        st.rerun()

with import_tab:
    st.markdown(
        "Import diaries kept on paper or in a spreadsheet: one row per activity with the "
        "staff id, the date (day/month/year), the activity (code or label), and the minutes "
        "or the start and end times. Each person's day in the file replaces what was "
        "recorded for that day. Nothing is imported unless every row is valid; importing "
        "the same file twice changes nothing."
    )
    st.download_button(
        "Download the template (CSV)",
        diary_template(),
        file_name="diary-template.csv",
        mime="text/csv",
        key="diary_template",
        icon=":material/download:",
    )
    open_periods = [p for p in periods if p.status is DiaryStatus.OPEN]
    if not open_periods:
        st.info("Diaries can be imported into an open diary period; there is none.")
    else:
        target = st.selectbox(
            "Into the period", open_periods, format_func=_label, key="diary_import_period"
        )
        upload = st.file_uploader(
            "Diary file (CSV or Excel)", type=["csv", "xlsx"], key="diary_file"
        )
        if upload is not None:
            data = upload.getvalue()
            try:
                table, proposed = preview_diaries(data, upload.name)
            except SosError as error:
                st.error(str(error))
            else:
                mapping = column_mapping(
                    len(table.rows), table.headers, diary_columns(diary_codes()), proposed, "dmap_"
                )
                if st.button("Import", type="primary", key="diary_import"):
                    bar = st.progress(0.0, text="Checking rows…")
                    try:
                        result = import_diaries(
                            context.db,
                            actor,
                            target.id,
                            data=data,
                            filename=upload.name,
                            mapping=mapping,
                            progress=progress_callback(bar, "Checking rows…"),
                        )
                    except SosError as error:
                        bar.empty()
                        st.error(str(error))
                    else:
                        bar.progress(1.0, text="Done")
                        if result.created:
                            st.success(
                                f"Imported {result.rows} rows ({result.days} days of diaries)."
                            )
                        else:
                            st.info("This file was already imported; nothing changed.")
