"""Workforce data in: HR roster imports (CSV/XLSX, column mapping, all or nothing, the
same file twice changes nothing, with the establishment of its teams if given),
establishment per team and date, and counts-only summary figures with every field of DfE's
census (blank is not recorded, 0 is zero); deleting a roster snapshot. A roster and summary
figures on the same date need the lead's explicit choice of whose figures count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.models import (
    Establishment,
    RosterMember,
    RosterSnapshot,
    Team,
    WorkforceSummary,
)
from sos_workforce.core.tabular import (
    Column,
    Progress,
    Table,
    normalise_staff_id,
    parse_rows,
    propose_mapping,
    read_table,
)
from sos_workforce.workforce.measures import (
    PRECEDENCE,
    SUMMARY_FIELDS,
    Combined,
    combine,
    field_label,
    figures_from_roster,
    figures_from_summary,
    team_key,
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


def teams_in(table: Table, mapping: Mapping[str, str | None]) -> list[str]:
    """The team names in an upload (the column mapped to Team), as the establishment step
    of an import lists them."""
    column = mapping.get("team_name")
    if column is None or column not in table.headers:
        return []
    index = table.headers.index(column)
    names: dict[str, str] = {}
    for row in table.rows:
        if index < len(row) and row[index] is not None:
            name = " ".join(str(row[index]).split())
            if name:
                names.setdefault(team_key(name), name)
    return sorted(names.values(), key=str.casefold)


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
    establishment: Sequence[EstablishmentEntry] | None = None,
    precedence: str | None = None,
) -> ImportResult:
    """Import a roster as at ``as_of``: all rows or none; the same file twice changes
    nothing. ``establishment`` (team, posts FTE, vacancies FTE or None) replaces the
    establishment on that date in the same transaction. Where summary figures exist for
    that date, ``precedence`` ("roster" or "summary") must say whose figures count."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    today = today or dt.date.today()
    if as_of > today:
        raise InvalidInput("The snapshot date is in the future.")
    posts = (
        None
        if establishment is None
        else _clean_establishment(organisation_id, as_of, establishment)
    )
    _check_precedence(precedence)
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
                f"A roster for {as_date(as_of, long=True)} already exists; delete it before "
                "importing a different file for that date."
            )
        summary = _summary_on(session, organisation_id, as_of)
        if summary is not None:
            if precedence is None:
                raise InvalidInput(
                    f"Summary figures were entered for {_day(as_of)}. Choose whose figures "
                    "count where both have one (the roster's or the summary's), then import "
                    "again; nothing was imported."
                )
            summary.precedence = precedence
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
        if posts is not None:
            _replace_establishment(session, actor, organisation_id, as_of, posts)
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


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _check_precedence(precedence: str | None) -> None:
    if precedence is not None and precedence not in PRECEDENCE:
        raise InvalidInput(f"Unknown choice '{precedence}': roster or summary.")


def _summary_on(session: Session, organisation_id: int, as_of: dt.date) -> WorkforceSummary | None:
    return session.scalar(
        select(WorkforceSummary).where(
            WorkforceSummary.organisation_id == organisation_id, WorkforceSummary.as_of == as_of
        )
    )


@dataclass(frozen=True)
class SummarySaved:
    """What saving summary figures did. ``combined`` is set where a roster exists on the
    same date: which of the summary's figures count and which are set aside."""

    as_of: dt.date
    recorded: tuple[str, ...]  # labels of the figures recorded (0 included)
    combined: Combined | None

    @property
    def message(self) -> str:
        text = f"Saved {len(self.recorded)} figure(s) for {_day(self.as_of)}."
        if self.combined is None:
            return text
        used = [field_label(n) for n in self.combined.from_summary]
        aside = [field_label(n) for n in self.combined.set_aside]
        if used:
            text += " Used with the roster of that date: " + "; ".join(used) + "."
        if aside:
            text += " Not used, because the roster's figures count: " + "; ".join(aside) + "."
        return text


def save_summary(
    db: Database,
    actor: Actor,
    organisation_id: int,
    as_of: dt.date,
    counts: Mapping[str, float | int | None],
    *,
    precedence: str | None = None,
    today: dt.date | None = None,
) -> SummarySaved:
    """Record (or replace) summary figures: every field of DfE's census. None is "not
    recorded", 0 is zero. Where a roster exists for ``as_of``, ``precedence`` ("roster" or
    "summary") must say whose figures count where both have one; the result says which
    were used and which set aside."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    if as_of > (today or dt.date.today()):
        raise InvalidInput("The date is in the future.")
    _check_precedence(precedence)
    kinds = {name: is_fte for name, _, is_fte in SUMMARY_FIELDS}
    unknown = set(counts) - set(kinds)
    if unknown:
        raise InvalidInput(f"Unknown figures: {', '.join(sorted(unknown))}.")
    cleaned: dict[str, float | int | None] = {}
    problems = []
    for name, value in counts.items():
        if value is None:
            cleaned[name] = None
            continue
        label = field_label(name)
        if isinstance(value, bool) or not math.isfinite(value) or value < 0:
            problems.append(f"{label}: enter 0 or more, or leave it blank if not recorded.")
        elif not kinds[name] and not float(value).is_integer():
            problems.append(f"{label}: a headcount is a whole number.")
        else:
            cleaned[name] = float(value) if kinds[name] else int(value)
    if problems:
        raise InvalidInput("Nothing was saved.\n" + "\n".join(problems), problems)
    if all(value is None for value in cleaned.values()):
        raise InvalidInput("Enter at least one figure (blank means not recorded).")
    with db.write() as session:
        roster = session.scalar(
            select(RosterSnapshot).where(
                RosterSnapshot.organisation_id == organisation_id, RosterSnapshot.as_of == as_of
            )
        )
        if roster is not None and precedence is None:
            raise InvalidInput(
                f"A roster was imported for {_day(as_of)}. Choose whose figures count where "
                "both have one (the roster's or these), then save again; nothing was saved."
            )
        session.execute(
            delete(WorkforceSummary).where(
                WorkforceSummary.organisation_id == organisation_id,
                WorkforceSummary.as_of == as_of,
            )
        )
        row = WorkforceSummary(
            organisation_id=organisation_id,
            as_of=as_of,
            precedence=precedence if roster is not None else None,
            **cleaned,
        )
        session.add(row)
        session.flush()
        combined = None
        if roster is not None and precedence is not None:
            members = session.scalars(
                select(RosterMember).where(RosterMember.snapshot_id == roster.id)
            ).all()
            posts = session.scalars(
                select(Establishment).where(
                    Establishment.organisation_id == organisation_id, Establishment.as_of == as_of
                )
            ).all()
            combined = combine(
                figures_from_roster(members, as_of, posts), figures_from_summary(row), precedence
            )
        record_event(
            session,
            actor,
            "workforce_summary_saved",
            organisation_id=organisation_id,
            target=f"summary:{as_of.isoformat()}",
            count=sum(value is not None for value in cleaned.values()),
        )
    recorded = tuple(field_label(n) for n, _, _ in SUMMARY_FIELDS if cleaned.get(n) is not None)
    return SummarySaved(as_of, recorded, combined)


def summary_figures(
    db: Database, actor: Actor, organisation_id: int, as_of: dt.date
) -> dict[str, float | int | None] | None:
    """The summary figures saved for ``as_of`` (None: none saved), for the lead's form."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    with db.read() as session:
        row = _summary_on(session, organisation_id, as_of)
        if row is None:
            return None
        return {name: getattr(row, name) for name, _, _ in SUMMARY_FIELDS}


# --- establishment ----------------------------------------------------------------------

# (team, posts FTE, vacancies FTE or None when not recorded)
EstablishmentEntry = tuple[str, float, float | None]


def _clean_establishment(
    organisation_id: int, as_of: dt.date, rows: Iterable[EstablishmentEntry]
) -> list[dict[str, object]]:
    cleaned: list[dict[str, object]] = []
    problems: list[str] = []
    for team, posts, vacancies in rows:
        name = " ".join(team.split())
        if not name:
            problems.append("Every establishment row needs a team.")
            continue
        if len(name) > 200:
            problems.append(f"{name[:40]}…: a team name is at most 200 characters.")
            continue
        numbers = [posts] if vacancies is None else [posts, vacancies]
        if any(isinstance(v, bool) or not math.isfinite(v) or v < 0 for v in numbers):
            problems.append(f"{name}: posts and vacancies must be 0 or more.")
            continue
        if vacancies is not None and vacancies > posts:
            problems.append(f"{name}: vacancies ({vacancies:g} FTE) cannot exceed posts.")
            continue
        cleaned.append(
            {
                "organisation_id": organisation_id,
                "team_name": name,
                "as_of": as_of,
                "posts_fte": float(posts),
                "vacancies_fte": None if vacancies is None else float(vacancies),
            }
        )
    seen: set[str] = set()
    for row in cleaned:
        key = team_key(str(row["team_name"]))
        if key in seen:
            problems.append(f"{row['team_name']} appears twice in the establishment.")
        seen.add(key)
    if problems:
        raise InvalidInput("Nothing was saved.\n" + "\n".join(problems), problems)
    return cleaned


def _replace_establishment(
    session: Session,
    actor: Actor,
    organisation_id: int,
    as_of: dt.date,
    cleaned: list[dict[str, object]],
) -> None:
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
        target=f"establishment:{as_of.isoformat()}",
        count=len(cleaned),
    )


def set_establishment(
    db: Database,
    actor: Actor,
    organisation_id: int,
    as_of: dt.date,
    rows: Iterable[EstablishmentEntry],
) -> None:
    """Replace the establishment (team, posts FTE, vacancies FTE or None) at ``as_of``."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    cleaned = _clean_establishment(organisation_id, as_of, rows)
    with db.write() as session:
        _replace_establishment(session, actor, organisation_id, as_of, cleaned)


@dataclass(frozen=True)
class EstablishmentRow:
    team: str
    posts_fte: float | None  # None: not entered yet
    vacancies_fte: float | None


@dataclass(frozen=True)
class EstablishmentSheet:
    """The establishment on a date, one row per team to fill in: the teams already entered
    for that date, then those of the roster on (or else the latest before) that date, then
    the organisation's teams."""

    as_of: dt.date
    rows: tuple[EstablishmentRow, ...]
    entered: bool  # an establishment was saved for this date
    roster_date: dt.date | None  # the roster the team names come from, if any


def establishment_sheet(
    db: Database, actor: Actor, organisation_id: int, as_of: dt.date
) -> EstablishmentSheet:
    require(actor, Role.LEAD, organisation_id=organisation_id)
    with db.read() as session:
        saved = session.execute(
            select(Establishment.team_name, Establishment.posts_fte, Establishment.vacancies_fte)
            .where(Establishment.organisation_id == organisation_id, Establishment.as_of == as_of)
            .order_by(Establishment.team_name)
        ).all()
        roster = session.execute(
            select(RosterSnapshot.id, RosterSnapshot.as_of)
            .where(RosterSnapshot.organisation_id == organisation_id, RosterSnapshot.as_of <= as_of)
            .order_by(RosterSnapshot.as_of.desc())
            .limit(1)
        ).first()
        roster_teams = (
            session.scalars(
                select(RosterMember.team_name)
                .where(RosterMember.snapshot_id == roster.id)
                .distinct()
            ).all()
            if roster is not None
            else []
        )
        teams = session.scalars(
            select(Team.name).where(Team.organisation_id == organisation_id).order_by(Team.name)
        ).all()
    rows = [EstablishmentRow(team, posts, vacancies) for team, posts, vacancies in saved]
    seen = {team_key(row.team) for row in rows}
    for name in [*sorted(roster_teams), *teams]:
        if team_key(name) not in seen:
            seen.add(team_key(name))
            rows.append(EstablishmentRow(name, None, None))
    return EstablishmentSheet(
        as_of, tuple(rows), bool(saved), roster[1] if roster is not None else None
    )
