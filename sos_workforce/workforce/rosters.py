"""Workforce data in: HR roster imports (CSV/XLSX, column mapping, all or nothing, the
same file twice changes nothing), establishment per team and date, and counts-only
summary figures; deleting a roster snapshot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.models import Establishment, RosterMember, RosterSnapshot, WorkforceSummary
from sos_workforce.core.tabular import (
    Column,
    Progress,
    Table,
    normalise_staff_id,
    parse_rows,
    propose_mapping,
    read_table,
)

EMPLOYMENT_TYPES = {
    "permanent": "permanent",
    "employed": "permanent",
    "perm": "permanent",
    "fixed term": "permanent",
    "agency": "agency",
    "locum": "agency",
    "interim": "agency",
}
LEAVE_REASONS = ("resignation", "retirement", "dismissal", "end of contract", "other")

ROSTER_COLUMNS: list[Column] = [
    Column(
        "staff_ref",
        "Staff id",
        synonyms=("staff id", "employee id", "payroll number", "person id", "id", "staff number"),
        max_length=100,
        help="A pseudonymous id, the same for a person in every extract.",
    ),
    Column("team_name", "Team", synonyms=("team name", "service", "unit", "cost centre")),
    Column("role", "Role", synonyms=("job title", "grade", "post", "position")),
    Column(
        "employment_type",
        "Employment type",
        kind="choice",
        choices=EMPLOYMENT_TYPES,
        synonyms=("contract type", "contract", "permanent/agency", "worker type"),
    ),
    Column(
        "fte",
        "FTE",
        kind="number",
        minimum=0.01,
        maximum=1.0,
        synonyms=("full time equivalent", "fte hours", "wte"),
    ),
    Column(
        "start_date",
        "Start date",
        kind="date",
        synonyms=("started", "date started", "start", "continuous service date"),
    ),
    Column(
        "leave_date",
        "Leave date",
        kind="date",
        required=False,
        synonyms=("left", "date left", "end date", "leaving date"),
    ),
    Column(
        "leave_reason",
        "Leave reason",
        kind="choice",
        required=False,
        choices={r: r for r in LEAVE_REASONS}
        | {"resigned": "resignation", "retired": "retirement"},
        synonyms=("reason for leaving", "leaving reason"),
    ),
    Column(
        "case_count",
        "Cases held",
        kind="integer",
        required=False,
        minimum=0,
        maximum=200,
        synonyms=("caseload", "cases", "case count"),
    ),
    Column(
        "sickness_days",
        "Sickness days",
        kind="number",
        required=False,
        minimum=0,
        maximum=366,
        synonyms=("days lost", "sickness absence days", "absence days"),
    ),
]


def roster_template() -> bytes:
    """A CSV template with one example row (dates are day/month/year)."""
    return csv_bytes(
        [c.label for c in ROSTER_COLUMNS],
        [
            [
                "SW0001",
                "Assessment Team North",
                "Social worker",
                "permanent",
                "1.0",
                "01/09/2021",
                "",
                "",
                "17",
                "4",
            ]
        ],
    )


# --- import ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    snapshot_id: int
    rows: int
    created: bool  # False when the same file had been imported already


def preview_roster(data: bytes, filename: str) -> tuple[Table, dict[str, str | None]]:
    """Read an upload and propose which file column feeds each field."""
    table = read_table(data, filename)
    return table, propose_mapping(table.headers, ROSTER_COLUMNS)


def import_roster(
    db: Database,
    actor: Actor,
    organisation_id: int,
    *,
    data: bytes,
    filename: str,
    as_of: dt.date,
    mapping: Mapping[str, str | None] | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Import a roster as at ``as_of``: all rows or none; the same file twice changes
    nothing."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    today = today or dt.date.today()
    if as_of > today:
        raise InvalidInput("The snapshot date is in the future.")
    checksum = hashlib.sha256(data + as_of.isoformat().encode()).hexdigest()
    with db.read() as session:
        existing = session.scalar(
            select(RosterSnapshot.id).where(
                RosterSnapshot.organisation_id == organisation_id,
                RosterSnapshot.checksum == checksum,
            )
        )
        if existing is not None:
            rows = session.scalar(
                select(func.count())
                .select_from(RosterMember)
                .where(RosterMember.snapshot_id == existing)
            )
            return ImportResult(existing, int(rows or 0), created=False)
    table = read_table(data, filename)
    records = parse_rows(
        table, mapping or propose_mapping(table.headers, ROSTER_COLUMNS), ROSTER_COLUMNS, progress
    )
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(records, 2):
        ref = normalise_staff_id(record["staff_ref"])
        record["staff_ref"] = ref
        if ref in seen:
            problems.append(f"Row {line}: staff id {ref} also appears in row {seen[ref]}.")
        seen[ref] = line
        start, leave = record["start_date"], record.get("leave_date")
        assert isinstance(start, dt.date)
        if start > as_of:
            problems.append(
                f"Row {line}: the start date {start:%d/%m/%Y} is after the "
                f"snapshot date {as_of:%d/%m/%Y}."
            )
        if isinstance(leave, dt.date):
            if leave < start:
                problems.append(f"Row {line}: the leave date is before the start date.")
            if leave > as_of:
                problems.append(f"Row {line}: the leave date is after the snapshot date.")
        elif record.get("leave_reason"):
            problems.append(f"Row {line}: a leave reason is given without a leave date.")
    if problems:
        raise InvalidInput(
            f"Nothing was imported: {len(problems)} problem(s) found.\n" + "\n".join(problems[:50]),
            problems[:50],
        )
    with db.write() as session:
        if (
            session.scalar(
                select(RosterSnapshot.id).where(
                    RosterSnapshot.organisation_id == organisation_id, RosterSnapshot.as_of == as_of
                )
            )
            is not None
        ):
            raise InvalidInput(
                f"A roster for {as_of:%d %B %Y} already exists; delete it before importing "
                "a different file for that date."
            )
        snapshot = RosterSnapshot(
            organisation_id=organisation_id, as_of=as_of, source=filename[:200], checksum=checksum
        )
        session.add(snapshot)
        session.flush()
        session.execute(insert(RosterMember), [{"snapshot_id": snapshot.id, **r} for r in records])
        record_event(
            session,
            actor,
            "roster_imported",
            organisation_id=organisation_id,
            target=f"roster:{snapshot.id}",
            count=len(records),
        )
        return ImportResult(snapshot.id, len(records), created=True)


def delete_roster(db: Database, actor: Actor, snapshot_id: int) -> None:
    with db.write() as session:
        snapshot = session.get(RosterSnapshot, snapshot_id)
        if snapshot is None:
            raise NotFound("No such roster.")
        require(actor, Role.LEAD, organisation_id=snapshot.organisation_id)
        session.delete(snapshot)
        record_event(
            session,
            actor,
            "roster_deleted",
            organisation_id=snapshot.organisation_id,
            target=f"roster:{snapshot_id}",
        )


def save_summary(
    db: Database, actor: Actor, organisation_id: int, as_of: dt.date, **counts: float | int | None
) -> None:
    """Record (or replace) a counts-only snapshot."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    allowed = {c.key for c in WorkforceSummary.__table__.columns} - {
        "id",
        "organisation_id",
        "as_of",
    }
    unknown = set(counts) - allowed
    if unknown:
        raise InvalidInput(f"Unknown figures: {', '.join(sorted(unknown))}.")
    for name, value in counts.items():
        if value is not None and (isinstance(value, bool) or value < 0):
            raise InvalidInput(f"{name.replace('_', ' ').capitalize()} cannot be negative.")
    with db.write() as session:
        session.execute(
            delete(WorkforceSummary).where(
                WorkforceSummary.organisation_id == organisation_id,
                WorkforceSummary.as_of == as_of,
            )
        )
        session.add(WorkforceSummary(organisation_id=organisation_id, as_of=as_of, **counts))
        record_event(
            session,
            actor,
            "workforce_summary_saved",
            organisation_id=organisation_id,
            target=f"summary:{as_of.isoformat()}",
        )


def set_establishment(
    db: Database,
    actor: Actor,
    organisation_id: int,
    as_of: dt.date,
    rows: Iterable[tuple[str, float, float]],
) -> None:
    """Replace the establishment (team, posts FTE, vacancies FTE) at ``as_of``."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    cleaned = []
    for team, posts, vacancies in rows:
        if not team.strip():
            raise InvalidInput("Every establishment row needs a team.")
        if posts < 0 or vacancies < 0 or vacancies > posts:
            raise InvalidInput(
                f"{team}: posts and vacancies must be 0 or more, and vacancies cannot exceed posts."
            )
        cleaned.append(
            {
                "organisation_id": organisation_id,
                "team_name": team.strip(),
                "as_of": as_of,
                "posts_fte": posts,
                "vacancies_fte": vacancies,
            }
        )
    if len({row["team_name"] for row in cleaned}) != len(cleaned):
        raise InvalidInput("A team appears twice in the establishment.")
    with db.write() as session:
        session.execute(
            delete(Establishment).where(
                Establishment.organisation_id == organisation_id, Establishment.as_of == as_of
            )
        )
        if cleaned:
            session.execute(insert(Establishment), cleaned)
        record_event(
            session,
            actor,
            "establishment_saved",
            organisation_id=organisation_id,
            count=len(cleaned),
        )
