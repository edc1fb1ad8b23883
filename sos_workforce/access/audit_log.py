"""Reading the audit log (leads their own organisations, administrators all) and recording
downloads; writing an event is ``audit.record``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from sos_workforce.access.audit import record_event
from sos_workforce.access.auth import Actor, require
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


AUDIT_CSV_HEADER = ["When (UTC)", "Who", "Organisation", "Action", "Target", "Count", "Detail"]


def events_csv(db: Database, actor: Actor, where: AuditFilter) -> tuple[bytes, int]:
    """The filtered log as formula-safe CSV (newest first, at most ``MAX_EXPORT_ROWS``)
    and the number of rows in it."""
    _authorised(actor, where)
    with db.read() as session:
        entries = _entries(session, _filtered(_events_query(), where).limit(MAX_EXPORT_ROWS))
    rows = [
        [
            entry.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor,
            entry.organisation or "",
            entry.action,
            entry.target or "",
            "" if entry.count is None else entry.count,
            entry.detail or "",
        ]
        for entry in entries
    ]
    return csv_bytes(AUDIT_CSV_HEADER, rows), len(rows)
