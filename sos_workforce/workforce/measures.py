"""The DfE children's social work workforce census measures (GUIDE.md section 2) from a
roster snapshot or summary figures: turnover, agency, vacancy, caseload, absence,
stability, median tenure and Brent's permanent share of establishment, by team and role
under the disclosure gate, and their trend. Every measure is a ``Measure`` with its
numerator and denominator; a zero denominator gives "not available", never 0.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select

from sos_workforce.access import Actor, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import NotFound
from sos_workforce.core.figures import as_shown, exact, exact_sum, half_up
from sos_workforce.core.models import Establishment, RosterMember, RosterSnapshot, WorkforceSummary
from sos_workforce.privacy import GroupCount, suppress_tree

WORKING_DAYS = 253  # DfE: working days in a year for the absence rate
NOT_AVAILABLE = "not available"


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
        return as_shown(self.value, unit="%" if self.unit == "%" else "", missing=NOT_AVAILABLE)


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
    # On the figures as entered (1 / 16 FTE is 6.25%, so 6.3%), not their binary floats.
    value = exact(numerator) / exact(denominator) * (100 if unit == "%" else 1)
    return Measure(key, label, numerator, denominator, half_up(value), unit, definition)


def _sum(*values: float | None) -> float | None:
    return None if any(v is None for v in values) else exact_sum(v for v in values if v is not None)


def measures(figures: WorkforceFigures) -> list[Measure]:
    """The DfE census measures, and Brent's permanent share, from one set of figures."""
    f = figures
    absence_days = None if f.employed_fte is None else float(exact(f.employed_fte) * WORKING_DAYS)
    median_tenure = (
        Measure(
            "median_tenure",
            "Median time in post",
            None,
            len(f.tenures_years),
            half_up(statistics.median(f.tenures_years)),
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
    # FTE totals as people would add them (16 × 0.8 is 12.8, not 12.800000000000002), so a
    # rate on an exact half rounds up.
    return WorkforceFigures(
        as_of=as_of,
        employed_fte=exact_sum(m.fte for m in employed),
        agency_fte=exact_sum(m.fte for m in agency),
        vacancy_fte=exact_sum(e.vacancies_fte for e in posts) if posts else None,
        leavers_fte=exact_sum(m.fte for m in leavers),
        cases=sum(m.case_count or 0 for m in holders) if recorded_cases else None,
        case_holder_fte=exact_sum(m.fte for m in holders) if recorded_cases else None,
        sickness_fte_days=(
            exact_sum(exact(m.sickness_days or 0) * exact(m.fte) for m in employed)
            if any(m.sickness_days is not None for m in employed)
            else None
        ),
        establishment_posts=exact_sum(e.posts_fte for e in posts) if posts else None,
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
