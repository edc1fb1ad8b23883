"""The DfE children's social work workforce census measures (GUIDE.md section 2) from a
roster snapshot, summary figures, or both on one date (whose figure counts where both have
one is the lead's explicit choice, kept with the summary): turnover, agency, vacancy,
caseload, absence, stability, median tenure and Brent's permanent share of establishment,
by team (with the team's establishment) and by role under the disclosure gate, and their
trend. Every measure is a ``Measure`` with its numerator and denominator; a zero
denominator gives "not available", never 0, and a recorded 0 is zero (no agency staff is
0.0%). DfE's own figures for England, regions and authorities come from the census file an
administrator imports (``census.py``), never from constants.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

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
ROSTER, SUMMARY, BOTH = "roster", "summary", "roster and summary"
# Where a roster and summary figures share a date, whose figure counts where both have one.
PRECEDENCE = {
    ROSTER: "The roster's figures; the summary fills in only what the roster lacks",
    SUMMARY: "The summary figures; the roster fills in only what they leave blank",
}


# --- figures and measures -------------------------------------------------------------


def working_days(as_of: dt.date) -> int:
    """The working days DfE divides days lost by for the 12 months to ``as_of``: 253, or 254
    when those months hold a 29 February. DfE's published absence rates for the census
    years to 30 September 2020 and 2024 fit 254 and no other whole number, every other
    year 253 (tests/workforce/test_census.py checks it on every authority's row)."""
    try:
        start = as_of.replace(year=as_of.year - 1)
    except ValueError:  # as_of is 29 February
        return WORKING_DAYS + 1
    leap_days = [
        dt.date(year, 2, 29)
        for year in (as_of.year - 1, as_of.year)
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    ]
    return WORKING_DAYS + any(start < day <= as_of for day in leap_days)


@dataclass(frozen=True)
class WorkforceFigures:
    """The counts every measure is computed from (None = not recorded, 0 = zero)."""

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
    starters_fte: float | None = None
    starters_headcount: int | None = None
    leavers_headcount: int | None = None
    agency_headcount: int | None = None
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

    @property
    def numerator_shown(self) -> str:
        return as_entered(self.numerator)

    @property
    def denominator_shown(self) -> str:
        return as_entered(self.denominator)


def as_entered(value: float | None) -> str:
    """A count or FTE as entered or added up (2.3, 97, 1,234.5), not rounded; "–" for none.
    Sums are exact (``exact_sum``), so a float here reads as the decimal people wrote."""
    if value is None:
        return "–"
    text = format(Decimal(repr(float(value))).normalize(), "f")
    whole, _, decimals = text.partition(".")
    return f"{int(whole):,}" + (f".{decimals}" if decimals else "")


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
    days = working_days(f.as_of)
    absence_days = None if f.employed_fte is None else float(exact(f.employed_fte) * days)
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
            f"FTE days lost to sickness / (FTE in post × {days} working days in the 12 "
            "months: 253, or 254 with a 29 February) (DfE).",
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
    starters = [
        m
        for m in staff
        if m.employment_type == "permanent"
        and m.start_date is not None
        and year_ago < m.start_date <= as_of
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
        # Vacancies are known only where every team's are recorded.
        vacancy_fte=(
            exact_sum(e.vacancies_fte for e in posts if e.vacancies_fte is not None)
            if posts and all(e.vacancies_fte is not None for e in posts)
            else None
        ),
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
        starters_fte=exact_sum(m.fte for m in starters),
        starters_headcount=len(starters),
        leavers_headcount=len(leavers),
        agency_headcount=len(agency),
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


# The figures a summary holds (every field of DfE's census, and the establishment), in the
# order a form asks for them: (field, label, whether it is an FTE rather than a headcount).
SUMMARY_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("employed_fte", "Social workers in post, FTE (employed, not agency)", True),
    ("permanent_headcount", "Social workers in post, headcount (employed, not agency)", False),
    ("starters_fte", "Starters in the year, FTE", True),
    ("starters_headcount", "Starters in the year, headcount", False),
    ("leavers_fte", "Leavers in the year, FTE", True),
    ("leavers_headcount", "Leavers in the year, headcount", False),
    ("agency_fte", "Agency workers in post, FTE", True),
    ("agency_headcount", "Agency workers in post, headcount", False),
    ("vacancy_fte", "Vacancies, FTE", True),
    ("case_holder_fte", "Case holders, FTE (including agency)", True),
    ("cases", "Cases held by case holders", False),
    ("sickness_fte_days", "Working days lost to sickness, FTE days", True),
    ("establishment_posts", "Establishment posts, FTE", True),
)
SUMMARY_FIELD_NAMES = tuple(name for name, _, _ in SUMMARY_FIELDS)
_LABELS = {name: label for name, label, _ in SUMMARY_FIELDS}


def field_label(name: str) -> str:
    """A summary field as the form names it."""
    return _LABELS[name]


def figures_from_summary(summary: WorkforceSummary) -> WorkforceFigures:
    return WorkforceFigures(
        as_of=summary.as_of, **{name: getattr(summary, name) for name in SUMMARY_FIELD_NAMES}
    )


@dataclass(frozen=True)
class Combined:
    """A roster and summary figures on one date, combined as the lead chose."""

    figures: WorkforceFigures
    precedence: str
    from_summary: tuple[str, ...]  # fields whose figure is the summary's
    set_aside: tuple[str, ...]  # summary fields not used: the roster's figure counts


def combine(roster: WorkforceFigures, summary: WorkforceFigures, precedence: str) -> Combined:
    """Field by field: the chosen source's figure where it has one, else the other's."""
    if precedence not in PRECEDENCE:
        raise ValueError(precedence)
    chosen: dict[str, object] = {}
    from_summary, set_aside = [], []
    for name in SUMMARY_FIELD_NAMES:
        mine, theirs = getattr(roster, name), getattr(summary, name)
        use_summary = theirs is not None and (precedence == SUMMARY or mine is None)
        chosen[name] = theirs if use_summary else mine
        if use_summary:
            from_summary.append(name)
        elif theirs is not None:
            set_aside.append(name)
    return Combined(
        replace(roster, **chosen),  # type: ignore[arg-type]
        precedence,
        tuple(from_summary),
        tuple(set_aside),
    )


def people_at_least(figures: WorkforceFigures) -> int | None:
    """The fewest people the figures can be about (a person's FTE is at most 1), or None
    when they say nothing about people: what the disclosure gate compares with k."""
    bounds: list[int] = []
    if figures.headcount is not None:
        bounds.append(figures.headcount)
    heads = [h for h in (figures.permanent_headcount, figures.agency_headcount) if h is not None]
    if heads:
        bounds.append(sum(heads))
    ftes = [f for f in (figures.employed_fte, figures.agency_fte) if f is not None]
    if ftes:
        bounds.append(math.ceil(exact_sum(ftes)))
    if figures.case_holder_fte is not None:
        bounds.append(math.ceil(figures.case_holder_fte))
    return max(bounds) if bounds else None


@dataclass(frozen=True)
class SnapshotSummary:
    as_of: dt.date
    kind: str  # ROSTER, SUMMARY or BOTH
    staff: int | None
    roster_id: int | None
    precedence: str | None = None  # BOTH: whose figures count where both have one

    @property
    def label(self) -> str:
        kind = {ROSTER: "roster", SUMMARY: "summary figures", BOTH: "roster and summary figures"}
        return f"{self.as_of.day} {self.as_of:%B %Y} ({kind[self.kind]})"


def list_snapshots(db: Database, actor: Actor, organisation_id: int) -> list[SnapshotSummary]:
    """Roster and summary snapshots, newest first; a date with both says so."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        rosters = session.execute(
            select(RosterSnapshot.as_of, RosterSnapshot.id, func.count(RosterMember.id))
            .outerjoin(RosterMember, RosterMember.snapshot_id == RosterSnapshot.id)
            .where(RosterSnapshot.organisation_id == organisation_id)
            .group_by(RosterSnapshot.id, RosterSnapshot.as_of)
        ).all()
        summaries = dict(
            session.execute(
                select(WorkforceSummary.as_of, WorkforceSummary.precedence).where(
                    WorkforceSummary.organisation_id == organisation_id
                )
            ).all()
        )
    found = {as_of: SnapshotSummary(as_of, SUMMARY, None, None) for as_of in summaries}
    for as_of, roster_id, staff in rosters:
        kind = BOTH if as_of in summaries else ROSTER
        found[as_of] = SnapshotSummary(as_of, kind, int(staff), roster_id, summaries.get(as_of))
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
    # The figures the measures are worked from, as (label, value as entered); empty when
    # withheld.
    figures: tuple[tuple[str, str], ...] = ()
    combined: Combined | None = None  # BOTH: how the roster and summary were combined


def team_key(name: str) -> str:
    """A team name as rosters and establishments are matched: case and spacing aside."""
    return " ".join(name.split()).casefold()


def _grouped(
    members: list[RosterMember],
    as_of: dt.date,
    key: str,
    k: int,
    establishment: Iterable[Establishment] = (),
) -> list[GroupMeasures]:
    """Measures per team or role (a team with its own establishment: permanent share and
    vacancy); groups under k people (or derivable from the total by subtraction) are
    withheld."""
    groups: dict[str, list[RosterMember]] = {}
    for member in members:
        groups.setdefault(str(getattr(member, key)), []).append(member)
    posts: dict[str, list[Establishment]] = {}
    for row in establishment:
        posts.setdefault(team_key(row.team_name), []).append(row)
    names = sorted(groups)
    tree = {0: GroupCount(None, 0)} | {
        index: GroupCount(0, len(groups[name])) for index, name in enumerate(names, 1)
    }
    shown = suppress_tree(tree, k)
    return [
        GroupMeasures(
            name,
            len(groups[name]),
            measures(figures_from_roster(groups[name], as_of, posts.get(team_key(name), []))),
        )
        if index in shown
        else GroupMeasures(name, None, [])
        for index, name in enumerate(names, 1)
    ]


def _figures_shown(figures: WorkforceFigures) -> tuple[tuple[str, str], ...]:
    return tuple(
        (field_label(name), as_entered(getattr(figures, name)))
        for name in SUMMARY_FIELD_NAMES
        if getattr(figures, name) is not None
    )


def _withheld(as_of: dt.date, kind: str, combined: Combined | None = None) -> SnapshotReport:
    """Nothing about people; only how a roster and summary figures combine, if they do."""
    return SnapshotReport(as_of, kind, [], {}, [], [], None, (), combined)


def snapshot_report(
    db: Database, actor: Actor, organisation_id: int, as_of: dt.date, k: int
) -> SnapshotReport:
    """The measures on one date, from the roster, the summary figures or both (as the lead
    chose to combine them); nothing when they are about fewer than k people."""
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
        summary_row = session.scalar(
            select(WorkforceSummary).where(
                WorkforceSummary.organisation_id == organisation_id,
                WorkforceSummary.as_of == as_of,
            )
        )
        summary = figures_from_summary(summary_row) if summary_row is not None else None
        precedence = summary_row.precedence if summary_row is not None else None
        members = (
            list(session.scalars(select(RosterMember).where(RosterMember.snapshot_id == roster.id)))
            if roster is not None
            else []
        )
        session.expunge_all()
    if roster is None:
        if summary is None:
            raise NotFound("No workforce figures for that date.")
        people = people_at_least(summary)
        if people is not None and people < k:
            return _withheld(as_of, SUMMARY)
        heads = [summary.permanent_headcount, summary.agency_headcount]
        return SnapshotReport(
            as_of,
            SUMMARY,
            measures(summary),
            {},
            [],
            [],
            None if None in heads else sum(h for h in heads if h is not None),
            _figures_shown(summary),
        )
    figures = figures_from_roster(members, as_of, establishment)
    kind, combined = ROSTER, None
    if summary is not None:
        # Saved before a choice was required (or never chosen): the roster counts, and the
        # summary only fills in what the roster lacks; the page says which were set aside.
        combined = combine(figures, summary, precedence or ROSTER)
        figures, kind = combined.figures, BOTH
    if (figures.headcount or 0) < k:
        return _withheld(as_of, kind, combined)
    leavers = {reason: count for reason, count in figures.leavers_by_reason.items() if count >= k}
    if sum(figures.leavers_by_reason.values()) - sum(leavers.values()) > 0:
        leavers["other reasons (fewer than the minimum each)"] = sum(
            figures.leavers_by_reason.values()
        ) - sum(leavers.values())
    return SnapshotReport(
        as_of,
        kind,
        measures(figures),
        leavers,
        _grouped(members, as_of, "team_name", k, establishment),
        _grouped(members, as_of, "role", k),
        figures.headcount,
        _figures_shown(figures),
        combined,
    )


def measure_trend(db: Database, actor: Actor, organisation_id: int, k: int) -> list[SnapshotReport]:
    """Reports for every snapshot, oldest first."""
    snapshots = list_snapshots(db, actor, organisation_id)
    return [snapshot_report(db, actor, organisation_id, s.as_of, k) for s in reversed(snapshots)]
