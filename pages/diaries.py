"""Implementation leads: launch a time-diary period for teams (participants from the
roster, or entered once), email each person their own link, send the queued emails with
progress, correct failed addresses, send reminders (counts only), watch participation,
import diaries recorded elsewhere, and close the period. A links file for a mail merge
only where an administrator has allowed it for the period."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from sos_workforce.access import list_teams
from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import DiaryStatus, Role
from sos_workforce.core.errors import SosError
from sos_workforce.diaries import (
    DIARY_LINKS_FILE_WARNING,
    STANDARD_WEEKLY_HOURS,
    ParticipantInput,
    PeriodSummary,
    close_period,
    diary_codes,
    diary_columns,
    diary_template,
    enable_links_file,
    import_diaries,
    launch_period,
    links_csv,
    list_periods,
    participation,
    period_mail,
    preview_diaries,
    queue_reminders,
    reissue_links,
    reopen_period,
    resend_invitation,
    roster_participants,
)
from sos_workforce.mail import DIARY_INVITATION, PLACEHOLDERS, MailTemplate
from ui import (
    audited_download,
    column_mapping,
    email_delivery,
    progress_callback,
    require_actor,
    require_organisation,
    runtime,
    send_reminders,
    upload_megabytes,
)

context = runtime()
actor = require_actor(Role.LEAD)
organisation_id = require_organisation()
k = context.settings.min_group_size
LINKS_KEY = "diary_links_file"
CONFIRM_KEY = "emailed_diary_launch_to_confirm"
SEND_BATCH = 10
PEOPLE_COLUMNS = ["Staff id", "Team", "Role", "FTE", "Contracted hours a week", "Email"]

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


def _text(value: object) -> str:
    return "" if _missing(value) else str(value)


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
                        "Email": "",
                    }
                    for p in found.participants
                ]
                st.caption(
                    f"{len(rows)} people from the roster of {as_date(found.as_of)}. "
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
                "FTE or the contracted hours a week (the other is worked out), and an email "
                "address for each person to send their link to. Addresses are kept only "
                "until the period closes."
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
                    "Email": st.column_config.TextColumn("Email"),
                },
                placeholder="",
            )
        emailed = (
            st.radio(
                "How people get their link",
                ["email", "none"],
                format_func={
                    "email": "The app emails each person their own link (recommended)",
                    "none": "No personal links now (diaries imported from paper, or a links "
                    "file if an administrator allows one)",
                }.__getitem__,
                key="diary_delivery",
            )
            == "email"
        )
        template: MailTemplate | None = None
        if emailed:
            if not context.settings.mail_enabled:
                st.warning(
                    "Email is not set up yet (SOS_SMTP_HOST). Invitations are queued and sent "
                    "once an administrator sets it up."
                )
            template = MailTemplate(
                st.text_input("Email subject", DIARY_INVITATION.subject, key="diary_mail_subject"),
                st.text_area(
                    "Email message", DIARY_INVITATION.body, height=280, key="diary_mail_body"
                ),
            )
            st.caption(
                f"Write {', '.join(PLACEHOLDERS)} where the person's own link, the period's "
                "title and its last day go. The message must contain {link}. The link works "
                "for the whole period: people come back to it each day."
            )

        def _participants() -> list[ParticipantInput]:
            by_name = {plain[t]: t for t in chosen}
            return [
                ParticipantInput(
                    _text(record["Staff id"]),
                    by_name.get(str(record["Team"]), -1),
                    _text(record["Role"]),
                    _number(record["FTE"]),
                    _number(record["Contracted hours a week"]),
                    _text(record["Email"]).strip() or None,
                )
                for record in (people.to_dict("records") if chosen else [])
                if not all(_missing(record[c]) for c in PEOPLE_COLUMNS)
            ]

        def _launch() -> None:
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
                    participants=_participants(),
                    email=template,
                )
            except SosError as error:
                st.error(str(error))
                return
            if launched.queued:
                st.success(
                    f"Diary period launched. {launched.queued} invitations are queued: send "
                    "them from 'Periods and participation'."
                )
            else:
                st.success(
                    "Diary period launched. Nobody has been sent a link: import diaries kept "
                    "on paper, or ask an administrator to allow a links file for it."
                )

        if st.button("Launch the diary period", type="primary", key="launch_diary"):
            if emailed:
                st.session_state[CONFIRM_KEY] = len(_participants())
            else:
                st.session_state.pop(CONFIRM_KEY, None)
                _launch()
        pending = st.session_state.get(CONFIRM_KEY)
        if pending:
            st.warning(
                f"Send {pending} invitations? Each person gets their own diary link by email. "
                "Check the message first: this cannot be undone."
            )
            yes, no = st.columns(2)
            if yes.button(
                f"Yes, send {pending} invitations", type="primary", key="confirm_diary_launch"
            ):
                st.session_state.pop(CONFIRM_KEY, None)
                _launch()
            if no.button("Not yet", key="cancel_diary_launch"):
                st.session_state.pop(CONFIRM_KEY, None)
                st.rerun()


def _run(action: Callable[[], object]) -> None:
    try:
        action()
    except SosError as error:
        st.error(str(error))
    else:
        st.rerun()


def _delivery(period: PeriodSummary) -> None:
    """Email counts, failed addresses, reminders and the links file of one period."""
    mail = period_mail(context.db, actor, period.id, min_group_size=k)
    is_open = period.status is DiaryStatus.OPEN
    if mail.emailed:
        email_delivery(
            mail,
            context,
            actor,
            organisation_id,
            k,
            key_prefix="diary_",
            new_link_note="the old one stops working; their entries stay",
            resend=lambda message_id, address: resend_invitation(
                context.db,
                actor,
                period.id,
                message_id,
                address=address,
                base_url=context.settings.base_url,
            ),
            batch=SEND_BATCH,
        )
        if is_open:
            _reminders(period)
    if mail.links_file_enabled and is_open:
        st.subheader("Links file")
        st.warning(
            "An administrator has allowed a links file for this period. "
            f"{DIARY_LINKS_FILE_WARNING} Making a new file replaces the links of any earlier "
            "one (entries already recorded are kept)."
        )
        if st.button("Make the links file", key="make_diary_links_file"):
            try:
                links = reissue_links(
                    context.db, actor, period.id, base_url=context.settings.base_url
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.session_state[LINKS_KEY] = (period.id, links_csv(links), len(links))
        made = st.session_state.get(LINKS_KEY)
        if made and made[0] == period.id:
            audited_download(
                "Download diary links (CSV)",
                made[1],
                kind="diary_links_csv",
                organisation_id=organisation_id,
                target=f"diary:{period.id}",
                count=made[2],
                file_name=f"diary-{period.id}-links.csv",
                mime="text/csv",
                key=f"download_diary_links_{period.id}",
                icon=":material/download:",
            )
    if actor.is_admin and not mail.emailed and is_open:
        st.subheader("Links file (administrators)")
        allowed = st.toggle(
            "Allow the lead to download this period's personal diary links as a file",
            value=mail.links_file_enabled,
            key="allow_diary_links_file",
            help=DIARY_LINKS_FILE_WARNING,
        )
        if allowed != mail.links_file_enabled:
            _run(lambda: enable_links_file(context.db, actor, period.id, enabled=allowed))


def _reminders(period: PeriodSummary) -> None:
    send_reminders(
        period.id,
        key_prefix="diary_",
        who="has recorded nothing yet",
        lost="the reminder carries a new one.",
        send=lambda: queue_reminders(
            context.db, actor, period.id, base_url=context.settings.base_url, min_group_size=k
        ),
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
        _delivery(period)

with import_tab:
    st.markdown(
        "Import diaries kept on paper or in a spreadsheet: one row per activity with the "
        "staff id, the date (day/month/year), the activity (code or label), and the minutes "
        "or the start and end times. Each person's day in the file replaces what was "
        "recorded for that day. Nothing is imported unless every row is valid; importing "
        "the same file twice changes nothing."
    )
    audited_download(
        "Download the template (CSV)",
        diary_template(),
        kind="diary_template_csv",
        organisation_id=organisation_id,
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
            "Diary file (CSV or Excel)",
            type=["csv", "xlsx"],
            key="diary_file",
            max_upload_size=upload_megabytes(context.settings),
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
