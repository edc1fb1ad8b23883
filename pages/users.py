"""Administrators: user accounts, organisations and teams."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from sos_workforce.access import (
    ROLE_LABELS,
    OrganisationSummary,
    UserSummary,
    change_role,
    create_organisation,
    create_team,
    create_user,
    list_organisations,
    list_teams,
    list_users,
    memberships_of,
    reset_password,
    set_account_active,
    set_la_codes,
    set_memberships,
)
from sos_workforce.core.dates import as_moment
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, SosError
from sos_workforce.diaries import erase_diary_worker
from sos_workforce.privacy import get_retention, set_retention
from sos_workforce.surveys import erase_respondent
from ui import require_actor, runtime, selected_organisation

context = runtime()
actor = require_actor(Role.ADMIN)
st.title("Users and organisations")
users_tab, organisations_tab, privacy_tab = st.tabs(
    ["Users", "Organisations and teams", "Retention and erasure"]
)

CONFIRM_DEACTIVATE_KEY = "deactivate_to_confirm"


def _change_account(users: list[UserSummary], organisations: list[OrganisationSummary]) -> None:
    """Change one account: role, organisations, active or not, a new password. Each change
    is audited; the last active administrator cannot be removed."""
    st.subheader("Change an account")
    by_id = {u.id: u for u in users}
    chosen_id = st.selectbox(
        "Account",
        list(by_id),
        format_func=lambda i: f"{by_id[i].display_name} ({by_id[i].email})",
        key="account_to_change",
    )
    if chosen_id is None:
        return
    chosen = by_id[chosen_id]

    def attempt(change: Callable[[], object], done: str) -> None:
        try:
            change()
        except SosError as error:
            st.error(str(error))
        else:
            st.session_state[ACCOUNT_NOTICE_KEY] = done
            st.rerun()

    roles = list(Role)
    role = st.selectbox(
        "Role",
        roles,
        index=roles.index(chosen.role),
        format_func=ROLE_LABELS.__getitem__,
        key=f"role_of_{chosen.id}",
    )
    if st.button("Save the role", key=f"save_role_{chosen.id}") and role is not None:
        attempt(
            lambda: change_role(context.db, actor, chosen.id, role),
            f"{chosen.email} is now {ROLE_LABELS[role]}.",
        )
    names = {o.id: o.name for o in organisations}
    member_of = st.multiselect(
        "Organisations (administrators act for every organisation)",
        list(names),
        default=[i for i in memberships_of(context.db, actor, chosen.id) if i in names],
        format_func=names.__getitem__,
        key=f"organisations_of_{chosen.id}",
    )
    if st.button("Save the organisations", key=f"save_organisations_{chosen.id}"):
        attempt(
            lambda: set_memberships(context.db, actor, chosen.id, member_of),
            f"Saved the organisations of {chosen.email}.",
        )
    with st.form(f"reset_password_{chosen.id}", clear_on_submit=True):
        new_password = st.text_input(
            "New password for this account (tell them to change it after signing in)",
            type="password",
            key=f"new_password_{chosen.id}",
        )
        if st.form_submit_button("Set the new password"):
            attempt(
                lambda: reset_password(context.db, actor, chosen.id, new_password),
                f"Set a new password for {chosen.email}; the account is unlocked.",
            )
    if not chosen.is_active:
        if st.button("Reactivate this account", key=f"reactivate_{chosen.id}"):
            attempt(
                lambda: set_account_active(context.db, actor, chosen.id, active=True),
                f"{chosen.email} can sign in again.",
            )
        return
    if st.button("Deactivate this account", key=f"deactivate_{chosen.id}"):
        st.session_state[CONFIRM_DEACTIVATE_KEY] = chosen.id
    if st.session_state.get(CONFIRM_DEACTIVATE_KEY) == chosen.id:
        st.warning(
            f"Deactivate {chosen.email}? They can no longer sign in. Their work and the "
            "audit trail stay, and you can reactivate the account later."
        )
        yes, no = st.columns(2)
        if yes.button("Yes, deactivate", type="primary", key=f"confirm_deactivate_{chosen.id}"):
            st.session_state.pop(CONFIRM_DEACTIVATE_KEY, None)
            attempt(
                lambda: set_account_active(context.db, actor, chosen.id, active=False),
                f"{chosen.email} is deactivated.",
            )
        if no.button("Not now", key=f"cancel_deactivate_{chosen.id}"):
            st.session_state.pop(CONFIRM_DEACTIVATE_KEY, None)
            st.rerun()


ACCOUNT_NOTICE_KEY = "account_notice"

with users_tab:
    notice = st.session_state.pop(ACCOUNT_NOTICE_KEY, None)
    if notice:
        st.success(notice)
    users = list_users(context.db, actor)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Email": u.email,
                    "Name": u.display_name,
                    "Role": ROLE_LABELS[u.role],
                    "Organisations": u.organisations,
                    "Active": u.is_active,
                    "Last sign-in (UTC)": as_moment(u.last_login_at, missing="never"),
                }
                for u in users
            ]
        ),
        hide_index=True,
        placeholder="—",
    )
    organisations = list_organisations(context.db, actor)
    with st.form("add_user", clear_on_submit=True):
        st.subheader("Add a user")
        email = st.text_input("Email", key="new_user_email")
        name = st.text_input("Name", key="new_user_name")
        role = st.selectbox(
            "Role", list(Role), format_func=ROLE_LABELS.__getitem__, key="new_user_role"
        )
        member_of = st.multiselect(
            "Organisations", organisations, format_func=lambda o: o.name, key="new_user_orgs"
        )
        password = st.text_input(
            "Initial password (8+ characters)", type="password", key="new_user_password"
        )
        if st.form_submit_button("Add user"):
            try:
                if role is None:
                    raise InvalidInput("Choose a role.")
                create_user(
                    context.db,
                    actor=actor,
                    email=email,
                    display_name=name,
                    role=role,
                    password=password,
                    organisation_ids=[o.id for o in member_of],
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.success(f"Added {email}.")

    _change_account(users, organisations)

with organisations_tab:
    with st.form("add_organisation", clear_on_submit=True):
        st.subheader("Add an organisation")
        org_name = st.text_input("Name", key="new_org_name")
        org_code = st.text_input("Short code (e.g. brent)", key="new_org_code")
        old_code_column, new_code_column = st.columns(2)
        org_old_la_code = old_code_column.text_input(
            "DfE old LA code (optional, e.g. 304)",
            key="new_org_old_la_code",
            help="The 3-digit code DfE's statistical-neighbour model uses.",
        )
        org_new_la_code = new_code_column.text_input(
            "DfE new LA code (optional, e.g. E09000005)", key="new_org_new_la_code"
        )
        if st.form_submit_button("Add organisation"):
            try:
                create_organisation(
                    context.db,
                    actor,
                    org_name,
                    org_code,
                    old_la_code=org_old_la_code,
                    new_la_code=org_new_la_code,
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.success(f"Added {org_name}.")
    organisation_id = selected_organisation()
    selected = next((o for o in organisations if o.id == organisation_id), None)
    if selected is not None:
        st.subheader("DfE LA codes of the selected organisation")
        st.caption(
            "They link the organisation to DfE's published figures and statistical neighbours "
            "on the Outcomes page. Leave blank to clear."
        )
        with st.form("la_codes"):
            old_code_column, new_code_column = st.columns(2)
            old_la_code = old_code_column.text_input(
                "Old LA code (3 digits)", value=selected.old_la_code or "", key="org_old_la_code"
            )
            new_la_code = new_code_column.text_input(
                "New LA code (ONS, E + 8 digits)",
                value=selected.new_la_code or "",
                key="org_new_la_code",
            )
            if st.form_submit_button("Save LA codes"):
                try:
                    set_la_codes(
                        context.db,
                        actor,
                        selected.id,
                        old_la_code=old_la_code,
                        new_la_code=new_la_code,
                    )
                except SosError as error:
                    st.error(str(error))
                else:
                    st.success(f"Saved the LA codes of {selected.name}.")
    if organisation_id is not None:
        teams = list_teams(context.db, actor, organisation_id)
        st.subheader("Teams of the selected organisation")
        if teams:
            st.dataframe(
                pd.DataFrame({"Team": [t.indented_name for t in teams]}),
                hide_index=True,
                placeholder="—",
            )
        with st.form("add_team", clear_on_submit=True):
            team_name = st.text_input("Team name", key="new_team_name")
            parent = st.selectbox(
                "Part of",
                [None, *teams],
                key="new_team_parent",
                format_func=lambda t: "— (top level)" if t is None else t.name,
            )
            if st.form_submit_button("Add team"):
                try:
                    create_team(
                        context.db, actor, organisation_id, team_name, parent.id if parent else None
                    )
                except SosError as error:
                    st.error(str(error))
                else:
                    st.success(f"Added {team_name}.")

with privacy_tab:
    organisation_id = selected_organisation()
    if organisation_id is None:
        st.info("Choose an organisation in the sidebar first.")
    else:
        st.subheader("How long raw answers are kept")
        st.write(
            "Results (band tables, trends, benchmarks, time use) come from totals kept as "
            "answers arrive and sealed when a wave or diary period closes, so raw answers and "
            "diary entries can be deleted after it without changing any result. The period "
            "counts from the day a wave closes or a diary period ends. The purge runs with "
            "`sos-workforce db purge` (schedule it daily)."
        )
        current = get_retention(context.db, actor, organisation_id)
        with st.form("retention"):
            keep_forever = st.checkbox(
                "Keep raw answers and diaries (no retention period)",
                value=current is None,
                key="keep_all",
            )
            days = st.number_input(
                "Days to keep raw answers and diary entries",
                min_value=30,
                max_value=3650,
                value=current or 365,
                step=30,
                key="retention_days",
            )
            if st.form_submit_button("Save retention period"):
                try:
                    set_retention(
                        context.db, actor, organisation_id, None if keep_forever else int(days)
                    )
                except SosError as error:
                    st.error(str(error))
                else:
                    st.success("Saved.")
        st.subheader("Erase an identified respondent")
        st.write(
            "For a person who added their name and email to a response and asks for it to be "
            "erased. Their answers are removed from every result; anonymous responses cannot "
            "be traced to anyone and so cannot be erased one by one."
        )
        with st.form("erase", clear_on_submit=True):
            email = st.text_input("Email the person gave", key="erase_email")
            if st.form_submit_button("Erase their responses", type="primary"):
                try:
                    erased = erase_respondent(context.db, actor, organisation_id, email)
                except SosError as error:
                    st.error(str(error))
                else:
                    st.success(f"Erased {erased} response(s).")
        st.subheader("Erase a worker's time diaries")
        st.write(
            "Diaries are kept under a staff id from the roster. Erasing removes the person's "
            "entries from every diary period still holding them and recalculates closed "
            "periods' results without them. Periods past the retention period keep only "
            "totals with no staff id, which cannot be traced to anyone."
        )
        with st.form("erase_diaries", clear_on_submit=True):
            staff_id = st.text_input("Staff id", key="erase_staff_id")
            if st.form_submit_button("Erase their diaries", type="primary"):
                try:
                    erased = erase_diary_worker(context.db, actor, organisation_id, staff_id)
                except SosError as error:
                    st.error(str(error))
                else:
                    st.success(f"Erased {erased} diar{'y' if erased == 1 else 'ies'}.")
