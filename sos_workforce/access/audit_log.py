"""Reading the audit log (leads their own organisations, administrators all) and recording
downloads; writing an event is ``audit.record``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from sos_workforce.access.audit import record_event
from sos_workforce.access.auth import Actor, require
from sos_workforce.core.dates import as_date, as_moment
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.models import AuditEvent, Organisation, UserAccount

# What a downloaded file holds, for the audit log (never the file's content).
EXPORT_KINDS: dict[str, str] = {
    "band_table_csv": "Confidence band table (CSV)",
    "wave_workbook_xlsx": "Confidence tables (Excel)",
    "scrutiny_report_html": "Scrutiny report (HTML)",
    "survey_links_csv": "Survey links (CSV)",
    "rater_links_csv": "Self-profile rater links (CSV)",
    "diary_links_csv": "Time-diary links (CSV)",
    "time_use_csv": "Time use tables (CSV)",
    "profile_scores_csv": "Self-profile scores (CSV)",
    "audit_log_csv": "Audit log (CSV)",
    "instrument_yaml": "Survey instrument (YAML)",
    "audience_template_csv": "Survey roster template (CSV)",
    "roster_template_csv": "Workforce roster template (CSV)",
    "diary_template_csv": "Time-diary import template (CSV)",
    "feedback_csv": "Conference feedback (CSV)",
    "feedback_xlsx": "Conference feedback (Excel)",
    "feedback_poster_html": "Conference feedback poster with its link (HTML)",
    "training_template_csv": "Training records import template (CSV)",
}
# Every action the log records, in plain words for people (the code stays in the CSV's
# machine column). tests/access/test_audit_words.py fails when an action has no words.
ACTION_WORDS: dict[str, str] = {
    "account_deactivated": "Deactivated an account",
    "account_locked": "Paused sign-in after repeated failures",
    "account_reactivated": "Reactivated an account",
    "dfe_file_imported": "Imported a DfE statistics file",
    "diaries_imported": "Imported time diaries",
    "diaries_purged": "Deleted time diaries past their retention period",
    "diary_links_reissued": "Issued new time-diary links",
    "diary_period_closed": "Closed a time-diary period",
    "diary_period_launched": "Launched a time-diary period",
    "diary_period_reopened": "Reopened a time-diary period",
    "diary_worker_erased": "Erased a worker's time diaries",
    "establishment_saved": "Saved the establishment of teams",
    "exported": "Downloaded",
    "feedback_form_started": "Started a conference feedback form",
    "feedback_link_issued": "Issued a conference feedback link",
    "feedback_paper_forms_entered": "Typed in paper feedback forms",
    "instrument_published": "Published a survey instrument",
    "instrument_shared": "Put an instrument in the shared library",
    "invitation_resent": "Resent an invitation",
    "la_codes_set": "Set the local authority codes",
    "links_file_disabled": "Turned off the links file",
    "links_file_enabled": "Allowed a links file",
    "memberships_changed": "Changed a user's organisations",
    "milestone_added": "Added a milestone",
    "milestone_removed": "Removed a milestone",
    "neighbours_changed": "Changed the statistical neighbours",
    "open_link_issued": "Issued the organisation's open survey link",
    "organisation_created": "Created an organisation",
    "outcome_direction_set": "Set which way an outcome should move",
    "password_changed": "Changed their password",
    "password_reset": "Reset a user's password",
    "profile_round_closed": "Closed a self-profiling round",
    "profile_round_opened": "Opened a self-profiling round",
    "profile_scores_agreed": "Agreed self-profile scores",
    "rater_links_issued": "Issued self-profile rater links",
    "reminders_queued": "Queued reminders",
    "respondent_erased": "Erased a respondent's answers",
    "responses_purged": "Deleted survey answers past their retention period",
    "retention_set": "Set the retention period",
    "role_changed": "Changed a user's role",
    "roster_deleted": "Deleted a workforce roster",
    "roster_imported": "Imported a workforce roster",
    "sign_in_failed": "Failed to sign in",
    "signed_in": "Signed in",
    "signed_out": "Signed out (every session of the account ended)",
    "session_ended": "A session ended (timed out, or the account changed)",
    "sso_refused": "Refused a single sign-on",
    "survey_links_issued": "Issued survey links",
    "team_created": "Created a team",
    "timeline_updated": "Updated the implementation timeline",
    "training_imported": "Imported training records",
    "training_optin_erased": "Erased a training request",
    "training_optin_step": "Recorded a step on a training request",
    "training_session_deleted": "Deleted a training session",
    "training_session_recorded": "Recorded a training session",
    "training_target_set": "Set a training target",
    "user_created": "Created a user",
    "wave_closed": "Closed a survey wave",
    "wave_discarded": "Discarded a survey wave",
    "wave_launched": "Launched a survey wave",
    "wave_opened": "Opened a survey wave",
    "wave_reopened": "Reopened a survey wave",
    "workforce_summary_saved": "Saved workforce summary figures",
}


def action_words(action: str) -> str:
    """An action code in plain words ("wave_launched" → "Launched a survey wave"); a code
    without words (none should be) reads as its words with the underscores taken out."""
    return ACTION_WORDS.get(action) or action.replace("_", " ").replace(".", " ").capitalize()


def entry_words(entry: AuditEntry) -> str:
    """What happened, in words: a download names what was downloaded."""
    words = action_words(entry.action)
    if entry.action == "exported" and entry.detail in EXPORT_KINDS:
        return f"{words}: {EXPORT_KINDS[entry.detail]}"
    return words


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def detail_words(entry: AuditEntry) -> str:
    """An event's detail for people: a download's kind is already in its words; dates
    written in it the machine's way read as people write them."""
    if not entry.detail or (entry.action == "exported" and entry.detail in EXPORT_KINDS):
        return ""

    def readable(match: re.Match[str]) -> str:
        try:
            return as_date(dt.date(*(int(part) for part in match.groups())))
        except ValueError:
            return match.group(0)

    return _ISO_DATE.sub(readable, entry.detail)


PAGE_SIZE = 50
_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])
MAX_PAGE_SIZE = 500
MAX_EXPORT_ROWS = 100_000


@dataclass(frozen=True)
class AuditEntry:
    occurred_at: dt.datetime
    actor: str
    action: str
    target: str | None
    count: int | None
    detail: str | None
    organisation: str | None = None


def _require(actor: Actor | None, organisation_id: int | None, *roles: Role) -> Actor:

    return require(actor, *roles, organisation_id=organisation_id)


def record_export(
    db: Database,
    actor: Actor,
    *,
    organisation_id: int | None,
    kind: str,
    target: str | None = None,
    count: int | None = None,
) -> None:
    """Record that ``actor`` downloaded an export: which kind, of what, how many rows.
    ``organisation_id=None`` (an export across organisations) is for administrators."""
    _require(actor, organisation_id, *([Role.ADMIN] if organisation_id is None else []))
    if kind not in EXPORT_KINDS:
        raise InvalidInput(f"Unknown export: {kind}.")
    with db.write() as session:
        record_event(
            session,
            actor,
            "exported",
            organisation_id=organisation_id,
            target=target,
            count=count,
            detail=kind,
        )


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list. ``organisation_id=None`` means every event (admins only),
    including those of no organisation (accounts, sign-ins)."""

    organisation_id: int | None
    action: str | None = None
    start: dt.date | None = None  # inclusive, UTC dates
    end: dt.date | None = None  # inclusive


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int  # 1-based
    pages: int


def _authorised(actor: Actor, where: AuditFilter) -> None:
    if where.organisation_id is None:
        if not actor.is_admin:
            raise PermissionDenied("Choose one of your organisations to see its audit log.")
        return
    _require(actor, where.organisation_id, Role.LEAD)


def _filtered(query: _Query, where: AuditFilter) -> _Query:
    if where.start and where.end and where.start > where.end:
        raise InvalidInput("The start date is after the end date.")
    if where.organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == where.organisation_id)
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    if where.start:
        start = dt.datetime.combine(where.start, dt.time(), tzinfo=dt.UTC)
        query = query.where(AuditEvent.occurred_at >= start)
    if where.end:
        end = dt.datetime.combine(where.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        query = query.where(AuditEvent.occurred_at < end)
    return query


def _entries(session: Session, query: Select[AuditEvent, str, str]) -> list[AuditEntry]:
    return [
        AuditEntry(
            occurred_at=event.occurred_at,
            actor=email or "system",
            action=event.action,
            target=event.target,
            count=event.count,
            detail=event.detail,
            organisation=organisation,
        )
        for event, email, organisation in session.execute(query)
    ]


def _events_query() -> Select[AuditEvent, str, str]:
    return (
        select(AuditEvent, UserAccount.email, Organisation.name)
        .outerjoin(UserAccount, UserAccount.id == AuditEvent.actor_user_id)
        .outerjoin(Organisation, Organisation.id == AuditEvent.organisation_id)
        .order_by(AuditEvent.id.desc())
    )


def list_events(
    db: Database, actor: Actor, where: AuditFilter, *, page: int = 1, page_size: int = PAGE_SIZE
) -> AuditPage:
    """One page of audit events, newest first. Administrators see every organisation's;
    leads their own organisations'; executives none."""
    _authorised(actor, where)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"Show between 1 and {MAX_PAGE_SIZE} events a page.")
    with db.read() as session:
        total = int(
            session.scalar(_filtered(select(func.count()).select_from(AuditEvent), where)) or 0
        )
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        query = _filtered(_events_query(), where).limit(page_size).offset((page - 1) * page_size)
        return AuditPage(_entries(session, query), total, page, pages)


def event_actions(db: Database, actor: Actor, organisation_id: int | None) -> list[str]:
    """The actions that occur in the log (for a filter), alphabetically."""
    _authorised(actor, AuditFilter(organisation_id))
    query = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    with db.read() as session:
        return list(session.scalars(query))


AUDIT_CSV_HEADER = [
    "When (UTC)",
    "When (ISO 8601, UTC)",
    "Who",
    "Organisation",
    "What happened",
    "Action code",
    "Target",
    "Count",
    "Detail",
]


def events_csv(db: Database, actor: Actor, where: AuditFilter) -> tuple[bytes, int]:
    """The filtered log as formula-safe CSV (newest first, at most ``MAX_EXPORT_ROWS``)
    and the number of rows in it: for people, the time and the action in words; for
    machines, the ISO time and the action code beside them."""
    _authorised(actor, where)
    with db.read() as session:
        entries = _entries(session, _filtered(_events_query(), where).limit(MAX_EXPORT_ROWS))
    rows = [
        [
            as_moment(entry.occurred_at),
            _utc(entry.occurred_at).isoformat(timespec="seconds"),
            entry.actor,
            entry.organisation or "",
            entry_words(entry),
            entry.action,
            entry.target or "",
            "" if entry.count is None else entry.count,
            entry.detail or "",
        ]
        for entry in entries
    ]
    return csv_bytes(AUDIT_CSV_HEADER, rows), len(rows)


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored time in UTC (SQLite gives it back naive)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
