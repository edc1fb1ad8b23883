"""Implementation leads: launch survey waves (teams or a roster; draft or open), email each
person their own link, send the queued emails with progress, correct failed addresses,
send reminders (counts only), issue an open link, watch response rates, close and reopen.
A links file for a mail merge only where an administrator has allowed it for the wave."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from sos_workforce.access import list_teams
from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import Role, WaveStatus
from sos_workforce.core.errors import SosError
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.figures import as_shown, percent
from sos_workforce.mail import PLACEHOLDERS, SURVEY_INVITATION, MailTemplate
from sos_workforce.surveys import (
    LINKS_FILE_WARNING,
    AudienceMember,
    WaveSummary,
    answers_by_channel,
    audience_template,
    close_wave,
    discard_draft_wave,
    enable_links_file,
    issue_links_file,
    issue_open_link,
    launch_wave,
    list_instrument_versions,
    list_waves,
    missing_for_launch,
    open_wave,
    queue_reminders,
    read_audience,
    reopen_wave,
    resend_invitation,
    response_rates,
    wave_mail,
)
from ui import (
    audited_download,
    email_delivery,
    require_actor,
    require_organisation,
    runtime,
    send_reminders,
    upload_megabytes,
)

context = runtime()
actor = require_actor(Role.LEAD)
organisation_id = require_organisation()
CONFIRM_KEY = "emailed_launch_to_confirm"
LINKS_KEY = "links_file"
SEND_BATCH = 10


def _by_channel(wave_id: int) -> None:
    """Answers through the open link and through personal links, per team, flagging a
    team with more answers than people (the open link over-used)."""
    counts = answers_by_channel(
        context.db, actor, wave_id, min_group_size=context.settings.min_group_size
    )
    k = counts.min_group_size
    st.subheader("Answers by link")

    def shown(n: int | None) -> str:
        return str(n) if n is not None else f"held back (a count under {k} nearby)"

    rows = [*counts.teams, counts.overall]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Team": r.team,
                    "Expected": r.expected,
                    "Through the open link": shown(r.open_link),
                    "Through personal links": shown(r.personal_link),
                    "All answers": shown(r.total),
                    "More answers than people": "Yes" if r.over_headcount else "No",
                }
                for r in rows
            ]
        ),
        hide_index=True,
        placeholder="—",
    )
    over = [r.team for r in counts.teams if r.over_headcount]
    if over:
        st.warning(
            "More answers than expected people in: "
            + ", ".join(over)
            + ". The open link may have been used more than once by someone; check the "
            "expected headcount, and consider personal links for this team."
        )
    if not counts.by_link_available:
        st.info(
            "The answers by link are no longer available: the raw responses were deleted "
            "at the end of the retention period. The totals remain."
        )
    st.caption(
        f"Counted from the answers already in the results. A team's counts by link are "
        f"shown only when each of them is 0 or at least {k} and none can be worked out from "
        "the others, so they may be held back where the response rates above are shown."
    )


st.title("Survey waves")
launch_tab, waves_tab = st.tabs(["Launch a wave", "Waves and response rates"])

with launch_tab:
    # Forms collected all year (conference feedback) have their own page, not waves.
    instruments = [
        v
        for v in list_instrument_versions(context.db, actor, organisation_id)
        if v.collection == "wave"
    ]
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
        # Nothing preselected: accepting the defaults must never launch the wrong survey.
        instrument = st.selectbox(
            "Survey",
            instruments,
            index=None,
            placeholder="Choose the survey to send",
            format_func=lambda i: i.label,
            key="wave_instrument",
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
            audited_download(
                "Download a roster template (CSV)",
                audience_template(),
                kind="audience_template_csv",
                organisation_id=organisation_id,
                file_name="survey-audience-template.csv",
                mime="text/csv",
                key="audience_template",
            )
            roster_file = st.file_uploader(
                "Roster (CSV or Excel): staff id, team, and optionally role, employment "
                "type and email",
                type=["csv", "xlsx"],
                key="wave_roster",
                max_upload_size=upload_megabytes(context.settings),
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
                        placeholder="—",
                    )
                    st.caption(
                        "Role and employment type are not stored: respondents answer those "
                        "questions themselves, so no response can be tied to the roster."
                    )
        else:
            st.caption(
                "No personal links are handed out for a wave by teams: staff answer through "
                "the open link (make one once the wave is open). An administrator can allow "
                "a links file for a mail merge; use a roster with email addresses instead "
                "where you can."
            )
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
        emailed = audience_mode == "roster" and (
            st.radio(
                "How people get their link",
                ["email", "none"],
                format_func={
                    "email": "The app emails each person their own link (recommended)",
                    "none": "No personal links now (the open link, or a links file if an "
                    "administrator allows one)",
                }.__getitem__,
                key="wave_delivery",
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
                st.text_input("Email subject", SURVEY_INVITATION.subject, key="mail_subject"),
                st.text_area("Email message", SURVEY_INVITATION.body, height=320, key="mail_body"),
            )
            st.caption(
                f"Write {', '.join(PLACEHOLDERS)} where the person's own link, the wave's "
                "title and its close date go. The message must contain {link}."
            )
            if audience:
                missing = sum(1 for member in audience if not member.email)
                if missing:
                    st.error(
                        f"{missing} people in the roster have no email address. Add them to "
                        "the file: everyone needs one for emailed invitations."
                    )
        allow_identified = st.checkbox(
            "Let respondents choose to add their name (identified opt-in)",
            key="wave_identified",
        )
        allow_optin = st.checkbox(
            "Let respondents ask for support or to become an in-house trainer",
            key="wave_optin",
            disabled=not audience,
            help=(
                "Needs a roster audience with email addresses (and names, if you have them). "
                "A request is kept apart from the person's anonymous answers and carries the "
                "name and address their invitation was sent to; you see requests on the "
                "Training page."
            ),
        )
        as_draft = st.checkbox(
            "Save as a draft: links are made now but only work once you open the wave",
            key="wave_draft",
        )
        live_results = st.checkbox(
            f"Show results while the wave is open, in steps of {context.settings.min_group_size}",
            value=True,
            key="wave_live_results",
            help=(
                "Results then change only when a team has "
                f"{context.settings.min_group_size} new answers, so nobody's answers can be "
                "picked out by comparing the dashboard from one day to the next. A few "
                "answers that arrive after a team's last step are held back at the close. "
                "Untick to show nothing until the close: then every answer counts."
            ),
        )

        def _launch() -> None:
            if instrument is None:
                return
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
                    allow_optin=allow_optin,
                    draft=as_draft,
                    live_results=live_results,
                    email=template,
                )
            except SosError as error:
                st.error(str(error))
                return
            if launched.queued and as_draft:
                st.success(
                    f"Wave saved as a draft. Its {launched.queued} invitations will be sent "
                    "once you open it."
                )
            elif launched.queued:
                st.success(
                    f"Wave launched. {launched.queued} invitations are queued: send them from "
                    "'Waves and response rates'."
                )
            else:
                verb = "saved as a draft" if as_draft else "launched"
                st.success(
                    f"Wave {verb}. Staff answer through the open link, or through a links "
                    "file if an administrator allows one for this wave."
                )

        still_missing = missing_for_launch(
            title=title,
            instrument_version_id=None if instrument is None else instrument.id,
            teams=len(chosen_teams),
            by_roster=audience_mode == "roster",
            roster=audience is not None,
        )
        if st.button("Launch wave", type="primary", key="launch_wave"):
            if still_missing:
                st.session_state.pop(CONFIRM_KEY, None)
                st.error(
                    "Not launched yet. Still missing: "
                    + (
                        f"{', '.join(still_missing[:-1])} and {still_missing[-1]}."
                        if len(still_missing) > 1
                        else f"{still_missing[0]}."
                    )
                )
            elif emailed and audience:
                st.session_state[CONFIRM_KEY] = len(audience)
            else:
                st.session_state.pop(CONFIRM_KEY, None)
                _launch()
        pending = st.session_state.get(CONFIRM_KEY)
        if pending:
            st.warning(
                f"Send {pending} invitations? Each person gets their own link by email"
                + (" when you open the wave" if as_draft else "")
                + ". Check the message first: this cannot be undone."
            )
            yes, no = st.columns(2)
            if yes.button(f"Yes, send {pending} invitations", type="primary", key="confirm_launch"):
                st.session_state.pop(CONFIRM_KEY, None)
                _launch()
            if no.button("Not yet", key="cancel_launch"):
                st.session_state.pop(CONFIRM_KEY, None)
                st.rerun()


def _run(action: Callable[[], object]) -> None:
    try:
        action()
    except SosError as error:
        st.error(str(error))
    else:
        st.rerun()


def _delivery(wave: WaveSummary, k: int) -> None:
    """Email counts, failed addresses, reminders and the links file of one wave."""
    mail = wave_mail(context.db, actor, wave.id, min_group_size=k)
    if mail.emailed:
        email_delivery(
            mail,
            context,
            actor,
            organisation_id,
            k,
            key_prefix="",
            new_link_note="the old one stops working",
            resend=lambda message_id, address: resend_invitation(
                context.db,
                actor,
                wave.id,
                message_id,
                address=address,
                base_url=context.settings.base_url,
            ),
            batch=SEND_BATCH,
        )
        if wave.status is WaveStatus.OPEN:
            _reminders(wave)
    if mail.links_file_enabled and wave.status is not WaveStatus.CLOSED:
        st.subheader("Links file")
        st.warning(
            f"An administrator has allowed a links file for this wave. {LINKS_FILE_WARNING} "
            "Making a new file replaces the links of any earlier one (answers already sent "
            "are kept)."
        )
        if st.button("Make the links file", key="make_links_file"):
            try:
                links = issue_links_file(
                    context.db, actor, wave.id, base_url=context.settings.base_url
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.session_state[LINKS_KEY] = (
                    wave.id,
                    csv_bytes(
                        ["staff_id", "team", "link"],
                        [(link.staff_ref or "", link.team, link.url) for link in links],
                    ),
                    len(links),
                )
        made = st.session_state.get(LINKS_KEY)
        if made and made[0] == wave.id:
            audited_download(
                "Download the links file (CSV)",
                made[1],
                kind="survey_links_csv",
                organisation_id=organisation_id,
                target=f"wave:{wave.id}",
                count=made[2],
                file_name=f"wave-{wave.id}-links.csv",
                mime="text/csv",
                key=f"download_links_{wave.id}",
                icon=":material/download:",
            )
    if actor.is_admin and not mail.emailed and wave.status is not WaveStatus.CLOSED:
        st.subheader("Links file (administrators)")
        allowed = st.toggle(
            "Allow the lead to download this wave's personal links as a file",
            value=mail.links_file_enabled,
            key="allow_links_file",
            help=LINKS_FILE_WARNING,
        )
        if allowed != mail.links_file_enabled:
            _run(lambda: enable_links_file(context.db, actor, wave.id, enabled=allowed))


def _reminders(wave: WaveSummary) -> None:
    send_reminders(
        wave.id,
        key_prefix="",
        who="has not answered yet",
        lost="answers they saved with it are not kept.",
        send=lambda: queue_reminders(
            context.db,
            actor,
            wave.id,
            base_url=context.settings.base_url,
            min_group_size=context.settings.min_group_size,
        ),
    )


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
        # A confirmation first, as for closing a diary period: discarding cannot be undone.
        with discard:
            confirmed = st.checkbox(
                "I understand that the draft and its links are deleted for good",
                key=f"confirm_discard_wave_{wave.id}",
            )
            if st.button(
                "Discard this draft",
                key="discard_wave",
                icon=":material/delete:",
                disabled=not confirmed,
            ):
                _run(lambda: discard_draft_wave(context.db, actor, wave.id))
        return
    if wave.status is WaveStatus.OPEN:
        close, link = st.columns(2)
        with close:
            confirmed = st.checkbox(
                "I understand that nobody can answer once the wave is closed (reopening "
                "needs a reason, kept in the audit log)",
                key=f"confirm_close_wave_{wave.id}",
            )
            if st.button(
                "Close this wave now",
                key="close_wave",
                icon=":material/lock:",
                disabled=not confirmed,
            ):
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
                        "Opens": as_date(w.opens_on),
                        "Closes": as_date(w.closes_on),
                    }
                    for w in waves
                ]
            ),
            hide_index=True,
            placeholder="—",
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
            placeholder="—",
        )
        st.caption(
            f"Counts under {k} are shown as a band so that no one can be singled out. "
            f"Responses are counted as they join the results: after every {k} new answers "
            "in a team (or at the close, for a wave that shows results only then)."
        )
        _by_channel(chosen.id)
        _wave_actions(chosen)
        _delivery(chosen, k)
