"""The audit log: who did what and when, with counts (never answers). Administrators see
every organisation's events; implementation leads their own organisation's."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.access import (
    AuditFilter,
    action_words,
    detail_words,
    entry_words,
    event_actions,
    events_csv,
    list_events,
)
from sos_workforce.core.dates import as_moment
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SosError
from ui import audited_download, require_actor, require_organisation, runtime

ALL_ACTIONS = "All actions"
ALL_ORGANISATIONS = "All organisations (including accounts and sign-ins)"
THIS_ORGANISATION = "The organisation chosen in the sidebar"

context = runtime()
actor = require_actor(Role.LEAD)
st.title("Audit log")
st.caption(
    "Who launched, closed, imported, exported, erased or changed accounts, when, and how "
    "many rows. The log never holds survey answers, links or passwords. Times are UTC."
)

organisation_id: int | None
if actor.is_admin and (
    st.radio("Show", [THIS_ORGANISATION, ALL_ORGANISATIONS], key="audit_scope", horizontal=True)
    == ALL_ORGANISATIONS
):
    organisation_id = None
else:
    organisation_id = require_organisation()

today = dt.datetime.now(dt.UTC).date()
action_column, start_column, end_column = st.columns([2, 1, 1])
action = action_column.selectbox(
    "Action",
    [ALL_ACTIONS, *event_actions(context.db, actor, organisation_id)],
    key="audit_action",
    format_func=lambda code: code if code == ALL_ACTIONS else action_words(code),
)
start = start_column.date_input(
    "From", today - dt.timedelta(days=30), max_value=today, key="audit_start"
)
end = end_column.date_input("To", today, max_value=today, key="audit_end")
where = AuditFilter(
    organisation_id,
    action=None if action == ALL_ACTIONS else action,
    start=start if isinstance(start, dt.date) else None,
    end=end if isinstance(end, dt.date) else None,
)

page_number = st.number_input("Page", min_value=1, value=1, step=1, key="audit_page")
try:
    result = list_events(context.db, actor, where, page=int(page_number))
except SosError as error:
    st.error(str(error))
    st.stop()

if not result.entries:
    st.info("No events match these filters.")
    st.stop()
st.dataframe(
    pd.DataFrame(
        [
            {
                "When (UTC)": as_moment(entry.occurred_at),
                "Who": entry.actor,
                "Organisation": entry.organisation or "—",
                "What happened": entry_words(entry),
                "Target": entry.target or "—",
                "Count": "—" if entry.count is None else str(entry.count),
                "Detail": detail_words(entry) or "—",
            }
            for entry in result.entries
        ]
    ),
    hide_index=True,
    key="audit_events",
    placeholder="—",
)
st.caption(f"{result.total} events · page {result.page} of {result.pages}, newest first.")
audited_download(
    "Download these events (CSV)",
    lambda: events_csv(context.db, actor, where)[0],
    kind="audit_log_csv",
    organisation_id=organisation_id,
    target=f"audit:{where.action or 'all'} {where.start}..{where.end}",
    count=result.total,
    file_name=f"audit-log-{today.isoformat()}.csv",
    mime="text/csv",
    key="download_audit",
    icon=":material/download:",
)
