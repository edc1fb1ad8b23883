"""Workforce and retention: roster snapshots, establishment, and the DfE children's
social work workforce census measures (GUIDE.md section 2).

Every measure is a ``Measure`` with its numerator and denominator; a zero denominator
gives "not available", never 0 or an error. Roster snapshots and counts-only summary
snapshots are both reduced to the same ``WorkforceFigures`` so the formulas exist once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select

from sos_workforce import audit
from sos_workforce.auth import Actor, require
from sos_workforce.db import Database
from sos_workforce.disclosure import GroupCount, suppress_tree
from sos_workforce.enums import Role
from sos_workforce.errors import InvalidInput, NotFound
from sos_workforce.exports import csv_bytes
from sos_workforce.models import Establishment, RosterMember, RosterSnapshot, WorkforceSummary
from sos_workforce.tabular import (
    Column,
    Progress,
    Table,
    normalise_staff_id,
    parse_rows,
    propose_mapping,
    read_table,
)

WORKING_DAYS = 253  # DfE: working days in a year for the absence rate
NOT_AVAILABLE = "not available"

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
        audit.record(
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
        audit.record(
            session,
            actor,
            "roster_deleted",
            organisation_id=snapshot.organisation_id,
            target=f"roster:{snapshot_id}",
        )


# --- figures and measures -------------------------------------------------------------


@dataclass(frozen=True)
class WorkforceFigures:
    """The counts every measure is computed from (None = not recorded)."""

    as_of: dt.date
    employed_fte: float | None = None
    agency_fte: float | None = None
    vacancy_fte: float | None = None
    leavers_fte: float | None = None
    cases: int | None = None
    case_holder_fte: float | None = None
    sickness_fte_days: float | None = None
    establishment_posts: float | None = None
    permanent_headcount: int | None = None
    stable_staff: int | None = None  # in post 12 months earlier and still in post
    staff_a_year_ago: int | None = None
    tenures_years: tuple[float, ...] = ()
    leavers_by_reason: Mapping[str, int] = field(default_factory=dict)
    headcount: int | None = None


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    numerator: float | None
    denominator: float | None
    value: float | None  # None: not available
    unit: str  # "%" or "" (e.g. cases per worker)
    definition: str

    @property
    def display(self) -> str:
        if self.value is None:
            return NOT_AVAILABLE
        return f"{self.value:.1f}%" if self.unit == "%" else f"{self.value:.1f}"


def _ratio(
    key: str,
    label: str,
    numerator: float | None,
    denominator: float | None,
    unit: str,
    definition: str,
) -> Measure:
    if numerator is None or denominator is None or denominator == 0:
        return Measure(key, label, numerator, denominator, None, unit, definition)
    value = numerator / denominator * (100 if unit == "%" else 1)
    return Measure(key, label, numerator, denominator, round(value, 1), unit, definition)


def _sum(*values: float | None) -> float | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def measures(figures: WorkforceFigures) -> list[Measure]:
    """The DfE census measures, and Brent's permanent share, from one set of figures."""
    f = figures
    absence_days = None if f.employed_fte is None else f.employed_fte * WORKING_DAYS
    median_tenure = (
        Measure(
            "median_tenure",
            "Median time in post",
            None,
            len(f.tenures_years),
            round(statistics.median(f.tenures_years), 1),
            "years",
            "Median years since start date of staff in post.",
        )
        if f.tenures_years
        else Measure(
            "median_tenure",
            "Median time in post",
            None,
            0,
            None,
            "years",
            "Median years since start date of staff in post.",
        )
    )
    return [
        _ratio(
            "turnover",
            "Turnover rate",
            f.leavers_fte,
            f.employed_fte,
            "%",
            "FTE leavers in the year / FTE in post (DfE).",
        ),
        _ratio(
            "agency",
            "Agency rate",
            f.agency_fte,
            _sum(f.agency_fte, f.employed_fte),
            "%",
            "Agency FTE / (agency FTE + employed FTE) (DfE).",
        ),
        _ratio(
            "vacancy",
            "Vacancy rate",
            f.vacancy_fte,
            _sum(f.vacancy_fte, f.employed_fte),
            "%",
            "Vacancy FTE / (vacancy FTE + employed FTE) (DfE).",
        ),
        _ratio(
            "caseload",
            "Average caseload",
            f.cases,
            f.case_holder_fte,
            "",
            "Cases held / FTE case holders, including agency (DfE).",
        ),
        _ratio(
            "absence",
            "Sickness absence rate",
            f.sickness_fte_days,
            absence_days,
            "%",
            f"FTE days lost to sickness / (FTE in post × {WORKING_DAYS}) (DfE).",
        ),
        _ratio(
            "permanent_share",
            "Permanent staff as a share of establishment",
            f.permanent_headcount,
            f.establishment_posts,
            "%",
            "Permanent social workers / establishment posts (Brent's measure; not the "
            "DfE agency rate).",
        ),
        _ratio(
            "stability",
            "Stability",
            f.stable_staff,
            f.staff_a_year_ago,
            "%",
            "Share of staff in post 12 months earlier who are still in post.",
        ),
        median_tenure,
    ]


def _in_post(member: RosterMember, day: dt.date) -> bool:
    started = member.start_date is None or member.start_date <= day
    return started and (member.leave_date is None or member.leave_date > day)


def figures_from_roster(
    members: Iterable[RosterMember], as_of: dt.date, establishment: Iterable[Establishment] = ()
) -> WorkforceFigures:
    staff = list(members)
    year_ago = as_of - dt.timedelta(days=365)
    in_post = [m for m in staff if _in_post(m, as_of)]
    employed = [m for m in in_post if m.employment_type == "permanent"]
    agency = [m for m in in_post if m.employment_type == "agency"]
    leavers = [
        m
        for m in staff
        if m.employment_type == "permanent" and m.leave_date and year_ago < m.leave_date <= as_of
    ]
    holders = [m for m in in_post if m.case_count]
    recorded_cases = [m for m in in_post if m.case_count is not None]
    then = [m for m in staff if m.start_date is not None and _in_post(m, year_ago)]
    posts = list(establishment)
    return WorkforceFigures(
        as_of=as_of,
        employed_fte=sum(m.fte for m in employed),
        agency_fte=sum(m.fte for m in agency),
        vacancy_fte=sum(e.vacancies_fte for e in posts) if posts else None,
        leavers_fte=sum(m.fte for m in leavers),
        cases=sum(m.case_count or 0 for m in holders) if recorded_cases else None,
        case_holder_fte=sum(m.fte for m in holders) if recorded_cases else None,
        sickness_fte_days=(
            sum((m.sickness_days or 0) * m.fte for m in employed)
            if any(m.sickness_days is not None for m in employed)
            else None
        ),
        establishment_posts=sum(e.posts_fte for e in posts) if posts else None,
        permanent_headcount=len(employed),
        stable_staff=sum(1 for m in then if _in_post(m, as_of)),
        staff_a_year_ago=len(then),
        tenures_years=tuple(
            sorted(
                (as_of - m.start_date).days / 365.25 for m in in_post if m.start_date is not None
            )
        ),
        leavers_by_reason=dict(Counter(m.leave_reason or "not recorded" for m in leavers)),
        headcount=len(in_post),
    )


def figures_from_summary(summary: WorkforceSummary) -> WorkforceFigures:
    return WorkforceFigures(
        as_of=summary.as_of,
        employed_fte=summary.employed_fte,
        agency_fte=summary.agency_fte,
        vacancy_fte=summary.vacancy_fte,
        leavers_fte=summary.leavers_fte,
        cases=summary.cases,
        case_holder_fte=summary.case_holder_fte,
        sickness_fte_days=summary.sickness_fte_days,
        establishment_posts=summary.establishment_posts,
        permanent_headcount=summary.permanent_headcount,
    )


# England reference values (DfE children's social work workforce, GUIDE.md section 2).
ENGLAND = {
    2023: {"turnover": 15.9, "agency": 17.8, "vacancy": 18.9, "caseload": 16.0, "absence": 3.2},
    2025: {"turnover": 11.8, "agency": 13.0, "vacancy": 14.2, "caseload": 15.2},
}


@dataclass(frozen=True)
class SnapshotSummary:
    as_of: dt.date
    kind: str  # "roster" or "summary"
    staff: int | None
    roster_id: int | None


def list_snapshots(db: Database, actor: Actor, organisation_id: int) -> list[SnapshotSummary]:
    """Roster and summary snapshots, newest first (a roster wins on the same date)."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        rosters = session.execute(
            select(RosterSnapshot.as_of, RosterSnapshot.id, func.count(RosterMember.id))
            .outerjoin(RosterMember, RosterMember.snapshot_id == RosterSnapshot.id)
            .where(RosterSnapshot.organisation_id == organisation_id)
            .group_by(RosterSnapshot.id, RosterSnapshot.as_of)
        ).all()
        summaries = session.scalars(
            select(WorkforceSummary.as_of).where(
                WorkforceSummary.organisation_id == organisation_id
            )
        ).all()
    found = {as_of: SnapshotSummary(as_of, "summary", None, None) for as_of in summaries}
    found.update({a: SnapshotSummary(a, "roster", int(n), i) for a, i, n in rosters})
    return sorted(found.values(), key=lambda s: s.as_of, reverse=True)


@dataclass(frozen=True)
class GroupMeasures:
    group: str
    people: int | None  # None when withheld
    measures: list[Measure]


@dataclass(frozen=True)
class SnapshotReport:
    as_of: dt.date
    kind: str
    measures: list[Measure]
    leavers_by_reason: Mapping[str, int]
    by_team: list[GroupMeasures]
    by_role: list[GroupMeasures]
    headcount: int | None


def _grouped(members: list[RosterMember], as_of: dt.date, key: str, k: int) -> list[GroupMeasures]:
    """Measures per team or role; groups under k people (or derivable from the total by
    subtraction) are withheld."""
    groups: dict[str, list[RosterMember]] = {}
    for member in members:
        groups.setdefault(str(getattr(member, key)), []).append(member)
    names = sorted(groups)
    tree = {0: GroupCount(None, 0)} | {
        index: GroupCount(0, len(groups[name])) for index, name in enumerate(names, 1)
    }
    shown = suppress_tree(tree, k)
    return [
        GroupMeasures(name, len(groups[name]), measures(figures_from_roster(groups[name], as_of)))
        if index in shown
        else GroupMeasures(name, None, [])
        for index, name in enumerate(names, 1)
    ]


def snapshot_report(
    db: Database, actor: Actor, organisation_id: int, as_of: dt.date, k: int
) -> SnapshotReport:
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        roster = session.scalar(
            select(RosterSnapshot).where(
                RosterSnapshot.organisation_id == organisation_id, RosterSnapshot.as_of == as_of
            )
        )
        establishment = list(
            session.scalars(
                select(Establishment).where(
                    Establishment.organisation_id == organisation_id, Establishment.as_of == as_of
                )
            )
        )
        if roster is not None:
            members = list(
                session.scalars(select(RosterMember).where(RosterMember.snapshot_id == roster.id))
            )
            session.expunge_all()
            figures = figures_from_roster(members, as_of, establishment)
            if (figures.headcount or 0) < k:
                return SnapshotReport(as_of, "roster", [], {}, [], [], None)
            leavers = {
                reason: count for reason, count in figures.leavers_by_reason.items() if count >= k
            }
            if sum(figures.leavers_by_reason.values()) - sum(leavers.values()) > 0:
                leavers["other reasons (fewer than the minimum each)"] = sum(
                    figures.leavers_by_reason.values()
                ) - sum(leavers.values())
            return SnapshotReport(
                as_of,
                "roster",
                measures(figures),
                leavers,
                _grouped(members, as_of, "team_name", k),
                _grouped(members, as_of, "role", k),
                figures.headcount,
            )
        summary = session.scalar(
            select(WorkforceSummary).where(
                WorkforceSummary.organisation_id == organisation_id,
                WorkforceSummary.as_of == as_of,
            )
        )
        if summary is None:
            raise NotFound("No workforce figures for that date.")
        return SnapshotReport(
            as_of,
            "summary",
            measures(figures_from_summary(summary)),
            {},
            [],
            [],
            summary.permanent_headcount,
        )


def measure_trend(db: Database, actor: Actor, organisation_id: int, k: int) -> list[SnapshotReport]:
    """Reports for every snapshot, oldest first."""
    snapshots = list_snapshots(db, actor, organisation_id)
    return [snapshot_report(db, actor, organisation_id, s.as_of, k) for s in reversed(snapshots)]


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
        audit.record(
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
        audit.record(
            session,
            actor,
            "establishment_saved",
            organisation_id=organisation_id,
            count=len(cleaned),
        )
