"""Implementation leads: open a self-profiling round, issue rater links, see each item's
median and spread, and record the agreed score with its evidence."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import RaterRole, Role, RoundStatus
from sos_workforce.core.errors import SosError
from sos_workforce.core.exports import csv_bytes, csv_row_count
from sos_workforce.core.figures import Spread
from sos_workforce.profiling import (
    EARLIEST_DATE,
    MAX_RATERS_PER_ROLE,
    AgreedInput,
    RoundConsolidation,
    close_round,
    enable_rater_links_file,
    fewer_than,
    issue_rater_links,
    list_profile_versions,
    list_rounds,
    open_round,
    queue_rater_reminders,
    record_agreed_scores,
    resend_rater_invitation,
    round_consolidation,
    round_mail,
)
from ui import (
    audited_download,
    email_delivery,
    require_actor,
    require_organisation,
    runtime,
    send_reminders,
)

context = runtime()
actor = require_actor(Role.LEAD)
organisation_id = require_organisation()
k = context.settings.min_group_size
ISSUED_KEY = "issued_rater_links"
NOTICE_KEY = "profiling_notice"
today = dt.date.today()


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else fewer_than(k)


BY_EMAIL = "The app emails each rater their own link (recommended)"
BY_FILE = "A links file for the chair (an administrator must allow it)"

RATER_LINKS_WARNING = (
    "Whoever holds this file can score as anyone on it: hand each rater their own link at "
    "the meeting, and delete the file afterwards."
)


def _emailed_raters(round_id: int) -> None:
    """An emailed round: its send log, failed invitations and reminders."""
    email_delivery(
        round_mail(context.db, actor, round_id, min_group_size=k),
        context,
        actor,
        organisation_id,
        k,
        key_prefix="rater_",
        new_link_note="the old one stops working",
        resend=lambda message_id, address: resend_rater_invitation(
            context.db,
            actor,
            round_id,
            message_id,
            address=address,
            base_url=context.settings.base_url,
        ),
    )
    send_reminders(
        round_id,
        key_prefix="rater_",
        who="has not sent their scores yet",
        lost="the reminder carries a new one.",
        send=lambda: queue_rater_reminders(
            context.db, actor, round_id, base_url=context.settings.base_url, min_group_size=k
        ),
        group="Role",
    )


def _rater_links() -> None:
    """The raters' links of an open round: emailed by the app, or made as a file only
    where an administrator allows it for that round (the lead never holds them
    otherwise)."""
    open_rounds = [
        r
        for r in list_rounds(context.db, actor, organisation_id)
        if r.status is RoundStatus.OPEN and r.links_issued
    ]
    if not open_rounds:
        return
    st.subheader("Rater links")
    by_id = {r.id: r for r in open_rounds}
    # Ids, not the summaries: a summary changes when the switch does, and the picker must
    # keep its choice across that rerun.
    chosen_id = st.selectbox(
        "Round", list(by_id), format_func=lambda i: by_id[i].label, key="rater_links_round"
    )
    chosen = by_id[chosen_id]
    if chosen.emailed:
        _emailed_raters(chosen.id)
        return
    if actor.is_admin:
        allowed = st.toggle(
            "Allow the lead to make this round's rater links as a file",
            value=chosen.links_file_enabled,
            key=f"allow_rater_links_{chosen.id}",
            help=RATER_LINKS_WARNING,
        )
        if allowed != chosen.links_file_enabled:
            try:
                enable_rater_links_file(context.db, actor, chosen.id, enabled=allowed)
            except SosError as error:
                st.error(str(error))
            else:
                st.rerun()
    if not chosen.links_file_enabled:
        st.info(
            "Rater links are given out only as a file an administrator allows for this round, "
            "so nobody holds other people's links by default. Ask an administrator.",
            icon=":material/lock:",
        )
        return
    st.warning(
        f"An administrator has allowed a rater links file for this round. "
        f"{RATER_LINKS_WARNING} Making a new file replaces every earlier link (scores "
        "already sent are kept)."
    )
    if st.button("Make the rater links file", key="make_rater_links"):
        try:
            invites = issue_rater_links(
                context.db, actor, chosen.id, base_url=context.settings.base_url
            )
        except SosError as error:
            st.error(str(error))
        else:
            st.session_state[ISSUED_KEY] = (
                chosen.id,
                csv_bytes(["rater role", "link"], [(i.role.label, i.url) for i in invites]),
            )
    made = st.session_state.get(ISSUED_KEY)
    if made and made[0] == chosen.id:
        audited_download(
            "Download rater links (CSV)",
            made[1],
            kind="rater_links_csv",
            organisation_id=organisation_id,
            target=f"profile_round:{chosen.id}",
            count=csv_row_count(made[1]),
            file_name=f"profile-round-{chosen.id}-rater-links.csv",
            mime="text/csv",
            key=f"download_rater_links_{chosen.id}",
            icon=":material/download:",
        )


def _spread_text(spread: Spread) -> tuple[str, str, str]:
    if spread.contributors is None:
        return fewer_than(k), "–", "–"
    return (
        _number(spread.median),
        f"{spread.lower_quartile:g}–{spread.upper_quartile:g}",
        f"{spread.low:g}–{spread.high:g}",
    )


def consolidation_frame(consolidation: RoundConsolidation) -> pd.DataFrame:
    rows = []
    for item in consolidation.items:
        median, iqr, range_ = _spread_text(item.overall)
        row: dict[str, object] = {
            "Domain": item.domain,
            "Item": item.label,
            "Raters": str(item.overall.contributors)
            if item.overall.contributors is not None
            else fewer_than(k),
            "Median": median,
            "Middle half (IQR)": iqr,
            "Range": range_,
        }
        for role in RaterRole:
            row[f"{role.label} median"] = _number(item.by_role[role].median)
        row["Gap between roles"] = f"{item.role_gap:g}" if item.role_gap is not None else "–"
        row["Agreed"] = str(item.agreed_score) if item.agreed_score is not None else "not yet"
        rows.append(row)
    return pd.DataFrame(rows)


st.title("Self-profiling rounds")
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.success(notice)
open_tab, agree_tab = st.tabs(["Open a round", "Scores and agreement"])

with open_tab:
    versions = list_profile_versions(context.db, actor)
    if not versions:
        st.info("No self-profile instrument is installed. Add surveys/self_profile.yaml.")
    else:
        st.write(
            "Raters (leaders, practice leads, team managers and front-line "
            "representatives) each get a single-use link and score every statement from "
            "0 to 10 on their own. Their scores are shown by role only, and only for "
            f"groups of at least {k}."
        )
        version = st.selectbox(
            "Instrument", versions, format_func=lambda v: v.label, key="round_instrument"
        )
        title = st.text_input(
            "Title", placeholder="e.g. Spring 2027 self-profile", key="round_title"
        )
        held_on = st.date_input(
            "Date of the round",
            today,
            min_value=EARLIEST_DATE,
            max_value=today + dt.timedelta(days=366),
            format="DD/MM/YYYY",
            key="round_date",
        )
        delivery = st.radio(
            "How raters get their links",
            [BY_EMAIL, BY_FILE],
            key="rater_delivery",
            help="By email, nobody but each rater holds their link, and the app can remind "
            "those who have not scored. A links file needs an administrator's permission.",
        )
        emails: dict[RaterRole, list[str]] | None = None
        raters: dict[RaterRole, int] | None = None
        if delivery == BY_EMAIL:
            st.markdown(
                "**Raters' email addresses**, one per line, by role (leave a role empty if "
                "it has no raters; leave all empty to enter agreed scores only)"
            )
            emails = {
                role: st.text_area(
                    f"{role.label}: email addresses", key=f"rater_emails_{role.value}", height=100
                ).splitlines()
                for role in RaterRole
            }
        else:
            st.markdown("**Raters per role** (one link each; 0 to enter agreed scores only)")
            columns = st.columns(len(RaterRole))
            raters = {
                role: int(
                    columns[index].number_input(
                        role.label,
                        min_value=0,
                        max_value=MAX_RATERS_PER_ROLE,
                        value=5,
                        step=1,
                        key=f"raters_{role.value}",
                    )
                )
                for index, role in enumerate(RaterRole)
            }
        if st.button("Open round", type="primary", key="open_round"):
            try:
                opened = open_round(
                    context.db,
                    actor,
                    organisation_id=organisation_id,
                    instrument_version_id=version.id,
                    title=title,
                    held_on=held_on,
                    raters=raters,
                    emails=emails,
                    base_url=context.settings.base_url,
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.success(
                    f"Round opened. {opened.raters} raters will each get their own link by "
                    "email; send the queued emails below."
                    if opened.emailed
                    else f"Round opened with {opened.raters} rater links. The links are made "
                    "as a file for the chair where an administrator allows it (below)."
                )
    _rater_links()

with agree_tab:
    rounds = list_rounds(context.db, actor, organisation_id)
    if not rounds:
        st.info("No rounds yet. Open one in the first tab.")
        st.stop()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Round": r.title,
                    "Date": as_date(r.held_on),
                    "Status": r.status.value,
                    "Instrument": r.instrument,
                    "Rater links": r.links_issued,
                    "Agreed items": f"{r.agreed} of {r.items}",
                }
                for r in rounds
            ]
        ),
        hide_index=True,
        key="rounds_table",
        placeholder="—",
    )
    chosen = st.selectbox("Round", rounds, format_func=lambda r: r.label, key="profile_round")
    st.button("Refresh scores", icon=":material/refresh:", key="refresh_round")
    consolidation = round_consolidation(context.db, actor, chosen.id, min_group_size=k)
    submitted = consolidation.raters_submitted
    by_role = ", ".join(
        f"{role.label}: {count if count is not None else fewer_than(k)}"
        for role, count in consolidation.raters_by_role.items()
    )
    st.markdown(
        f"**Raters who have scored:** "
        f"{submitted if submitted is not None else fewer_than(k)} of "
        f"{consolidation.links_issued} links ({by_role}). "
        f"**Agreed:** {len(consolidation.items) - consolidation.missing_agreed} of "
        f"{len(consolidation.items)} items."
    )
    if submitted is None and consolidation.links_issued:
        st.info(
            f"Medians and spreads appear once at least {k} raters have scored, so that "
            "no one's scores can be picked out."
        )
    frame = consolidation_frame(consolidation)
    st.dataframe(frame, hide_index=True, key="consolidation_table", placeholder="—")
    st.caption(
        "Median and the middle half (inter-quartile range) of raters' scores; range is "
        f"lowest–highest. A role's median shows only when at least {k} of that role "
        "scored; the gap between roles is the difference between the highest and lowest "
        "role median shown. Discuss wide spreads and gaps before agreeing a score."
    )
    audited_download(
        "Download scores (CSV)",
        csv_bytes(list(frame.columns), frame.itertuples(index=False)),
        kind="profile_scores_csv",
        organisation_id=organisation_id,
        target=f"profile_round:{chosen.id}",
        count=len(frame),
        file_name=f"profile-round-{chosen.id}.csv",
        mime="text/csv",
        key="download_round",
        icon=":material/download:",
    )

    if consolidation.status is RoundStatus.OPEN:
        st.subheader("Record an agreed score")
        items = consolidation.items
        item = st.selectbox(
            "Item",
            items,
            format_func=lambda i: (
                f"{i.domain}: {i.label}"
                + (f" (agreed {i.agreed_score})" if i.agreed_score is not None else "")
            ),
            key="agree_item",
        )
        st.markdown(f"*{item.text}*  \n0 = {item.low_anchor}  \n10 = {item.high_anchor}")
        st.caption(f"Evidence to look at: {item.evidence_prompt}")
        with st.form("agree_form"):
            score = st.number_input(
                "Agreed score (0–10)",
                min_value=0,
                max_value=10,
                value=item.agreed_score if item.agreed_score is not None else 5,
                step=1,
                key=f"agree_score_{item.item_code}",
            )
            evidence = st.text_area(
                "Evidence behind the score",
                value=item.agreed_evidence or "",
                max_chars=4000,
                key=f"agree_evidence_{item.item_code}",
                placeholder="e.g. Audit of 40 cases in March: safety plans on 31",
            )
            if st.form_submit_button("Record agreed score", type="primary"):
                try:
                    record_agreed_scores(
                        context.db,
                        actor,
                        chosen.id,
                        {item.item_code: AgreedInput(int(score), evidence)},
                    )
                except SosError as error:
                    st.error(str(error))
                else:
                    st.session_state[NOTICE_KEY] = f"Agreed score recorded for {item.label}."
                    st.rerun()
        if st.button("Close this round", key="close_round", icon=":material/lock:"):
            try:
                close_round(context.db, actor, chosen.id)
            except SosError as error:
                st.error(str(error))
            else:
                st.session_state[NOTICE_KEY] = f"'{chosen.title}' is closed."
                st.rerun()
        st.caption("A round can close once every item has an agreed score.")
    else:
        st.caption("This round is closed; its agreed scores count in Implementation progress.")
