"""Who may do what: accounts and sign-in (local and single sign-on), organisations and
teams, and the audit log.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.access import accounts, audit, auth, organisations, sessions, sso
from sos_workforce.access.accounts import (
    account_id,
    change_own_password,
    change_role,
    memberships_of,
    reset_password,
    set_account_active,
    set_memberships,
)
from sos_workforce.access.audit import record_event
from sos_workforce.access.audit_log import (
    AUDIT_CSV_HEADER,
    AuditFilter,
    event_actions,
    events_csv,
    list_events,
    record_export,
)
from sos_workforce.access.auth import (
    ROLE_LABELS,
    Actor,
    UserSummary,
    actor_for_sso_email,
    create_user,
    list_users,
    require,
    sign_in,
    source_address,
)
from sos_workforce.access.organisations import (
    OrganisationSummary,
    clean_la_codes,
    create_organisation,
    create_team,
    list_organisations,
    list_teams,
    set_la_codes,
    team_tree,
)
from sos_workforce.access.sessions import (
    SESSION_COOKIE,
    EndReason,
    SsoStart,
    redeem_ticket,
    resolve_session,
    sign_out,
    sign_out_token,
    start_session,
    start_sso_session,
)
from sos_workforce.access.sso import PROVIDER, streamlit_arguments

__all__ = [
    "account_id",
    "accounts",
    "change_own_password",
    "change_role",
    "memberships_of",
    "reset_password",
    "set_account_active",
    "set_memberships",
    "AUDIT_CSV_HEADER",
    "Actor",
    "AuditFilter",
    "PROVIDER",
    "UserSummary",
    "OrganisationSummary",
    "ROLE_LABELS",
    "actor_for_sso_email",
    "audit",
    "auth",
    "clean_la_codes",
    "create_organisation",
    "create_team",
    "create_user",
    "event_actions",
    "events_csv",
    "list_events",
    "list_organisations",
    "list_teams",
    "list_users",
    "organisations",
    "record_event",
    "record_export",
    "require",
    "set_la_codes",
    "sign_in",
    "source_address",
    "SESSION_COOKIE",
    "EndReason",
    "SsoStart",
    "redeem_ticket",
    "resolve_session",
    "sessions",
    "sign_out",
    "sign_out_token",
    "start_session",
    "start_sso_session",
    "sso",
    "streamlit_arguments",
    "team_tree",
]
