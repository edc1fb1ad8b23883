"""Time use from the diaries: where recorded time goes, direct against indirect work,
hours worked per FTE week against contracted hours, change between periods, the spread
across workers, and team-level direct time beside team-level confidence.

Every figure comes from SQL aggregates (per worker, and per team, role and activity);
raw diary rows are never loaded for a report. The definitions below are shown on the
time-use page and in the scrutiny report (``DEFINITIONS``):

- **Recorded time** is the minutes workers entered in the period. A share is of the
  group's pooled recorded time: minutes on an activity / all minutes recorded.
- **Direct work** is the activity codes marked ``direct`` in ``surveys/diary_codes.yaml``
  (with the child; with parents, family or network); **recording and administration**
  the codes marked ``admin``. Everything not direct is indirect.
- **A week is 5 weekdays**: weeks in a period = Monday–Friday dates in it / 5. Weekend
  minutes count as hours worked.
- **Hours worked a week** of a worker = their recorded hours / weeks in the period; a
  group's figure is the mean over its workers who recorded anything.
- **Contracted hours a week** come from the roster (FTE × 37) or were entered at launch;
  a group's figure is the mean over the same workers.
- **Hours per FTE week** = the group's recorded hours / (its workers' FTE × weeks): what a
  full-time post works in a week.
- **Spread across workers**: lower quartile, median and upper quartile of the per-worker
  figures (inclusive method).
- **Completion** = worker-weekdays with any entry / (people taking part × weekdays). A day
  left empty counts as no time, so incomplete diaries understate hours.
- **Disclosure**: a group is shown only when at least k workers recorded something in it,
  and a team is also withheld when its figures could be worked out by subtracting other
  shown teams from a larger one (complementary suppression); roles likewise. A change
  between periods is shown only when ``disclosure.change_safe`` allows it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, require, team_tree
from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus, Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.figures import (
    Figure,
    Spread,
    as_shown,
    change,
    exact,
    exact_total,
    half_up,
    percent,
    spread_of,
)
from sos_workforce.core.models import (
    DiaryPeriod,
    DiaryPeriodActivityTotal,
    DiaryPeriodTeam,
    DiaryWorkerTotal,
    StatisticalNeighbour,
    Team,
    Wave,
    WaveTeam,
)
from sos_workforce.diaries import tallies as diary_tallies
from sos_workforce.diaries.codes import DiaryCodes, diary_codes
from sos_workforce.diaries.days import weekdays_between
from sos_workforce.privacy import GroupCount, change_safe, suppress_tree
from sos_workforce.surveys import SUPPRESSED, BenchmarkRow, load_wave_counts, spread, team_heatmap

WHOLE = 0  # the root of the team and role trees: everyone in the period
SHOWN, WITHHELD, NO_ENTRIES = "shown", "withheld", "no entries"
# Published benchmarks (GUIDE.md section 2): about 15% of time face to face, 35% on
# administration; 45.9 hours worked against 37.2 contracted.
BENCHMARKS = {
    "direct_share": 15.0,
    "admin_share": 35.0,
    "hours_worked": 45.9,
    "hours_contracted": 37.2,
}
DEFINITIONS = [
    "Shares are of recorded time: the minutes on an activity divided by all minutes the "
    "group recorded in the period.",
    "Direct work is time with the child or with parents, family or network (face to face, "
    "by phone or video); everything else is indirect. Recording and administration are "
    "case recording and forms plus administration and other.",
    "A week is five weekdays: weeks in a period = the Monday-to-Friday dates in it / 5. "
    "Weekend minutes count as hours worked.",
    "Hours worked a week: a worker's recorded hours / weeks in the period, averaged over "
    "the workers who recorded anything. Contracted hours: from the roster (FTE × 37) or "
    "entered at launch, averaged over the same workers.",
    "Hours per FTE week: all recorded hours / (the workers' total FTE × weeks), what a "
    "full-time post works in a week.",
    "Spread: lower quartile, median and upper quartile of the per-worker figures.",
    "Completion: worker-weekdays with any entry / (people taking part × weekdays). Days left "
    "empty count as no time, so incomplete diaries understate hours.",
]


def disclosure_note(k: int) -> str:
    return (
        f"Groups with fewer than {k} workers who recorded time are shown as “fewer than {k}”; "
        "a team is also withheld when its figures could be worked out by subtracting other "
        "shown teams from a larger one."
    )


@dataclass(frozen=True)
class GroupTimeUse:
    """Figures for one group (the whole period, a team with its sub-teams, or a role).
    Everything but ``name`` and ``status`` is ``None`` unless ``status`` is "shown"."""

    key: str
    name: str
    status: str  # shown | withheld | no entries
    workers: int | None = None
    recorded_hours: float | None = None
    direct_share: float | None = None
    admin_share: float | None = None
    hours_per_week: float | None = None
    contracted_per_week: float | None = None
    hours_per_fte_week: float | None = None
    weekly_hours_spread: Spread | None = None
    direct_share_spread: Spread | None = None
    activity_minutes: Mapping[str, int] = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return self.status == SHOWN

    @property
    def extra_hours_per_week(self) -> float | None:
        if self.hours_per_week is None or self.contracted_per_week is None:
            return None
        return change(self.hours_per_week, self.contracted_per_week)


@dataclass(frozen=True)
class _Worker:
    team_id: int
    role: str
    fte: float
    contracted: float
    minutes: int
    direct: int
    admin: int
    weekdays: int  # Monday-to-Friday dates with any entry


@dataclass(frozen=True)
class TimeUseReport:
    period_id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    status: DiaryStatus
    weekdays: int
    participants: int
    completion: float | None  # %; None when withheld with the overall figure
    min_group_size: int
    overall: GroupTimeUse
    by_team: list[GroupTimeUse]
    by_role: list[GroupTimeUse]
    activity_labels: Mapping[str, str]  # code → label, in the codes file's order
    activity_groups: Mapping[str, str]  # code → reporting group

    @property
    def weeks(self) -> float:
        return self.weekdays / 5

    def summary_frame(self, groups: Iterable[GroupTimeUse] | None = None) -> pd.DataFrame:
        """One row per group: the figures as people read them, withheld groups marked."""
        chosen = list(groups) if groups is not None else [self.overall, *self.by_team]
        hidden = f"fewer than {self.min_group_size}"
        records = []
        for g in chosen:
            if not g.shown:
                label = hidden if g.status == WITHHELD else "no entries"
                records.append(
                    {
                        "Group": g.name,
                        "Workers": label,
                        "Direct work %": label,
                        "Recording and admin %": label,
                        "Hours worked a week": label,
                        "Contracted hours a week": label,
                        "Hours per FTE week": label,
                        "Hours a week: quartiles": label,
                    }
                )
                continue
            spread = g.weekly_hours_spread
            records.append(
                {
                    "Group": g.name,
                    "Workers": str(g.workers),
                    "Direct work %": as_shown(g.direct_share, unit="%"),
                    "Recording and admin %": as_shown(g.admin_share, unit="%"),
                    "Hours worked a week": as_shown(g.hours_per_week),
                    "Contracted hours a week": as_shown(g.contracted_per_week),
                    "Hours per FTE week": as_shown(g.hours_per_fte_week),
                    "Hours a week: quartiles": (
                        f"{as_shown(spread.lower_quartile)} / {as_shown(spread.median)} / "
                        f"{as_shown(spread.upper_quartile)}"
                        if spread
                        else "–"
                    ),
                }
            )
        return pd.DataFrame.from_records(records).set_index("Group")

    def hours_frame(self) -> pd.DataFrame:
        """Long rows (group, measure, hours) for every shown group: hours worked a week
        beside contracted hours (the data behind the hours chart)."""
        records = [
            {"group": g.name.strip(), "measure": measure, "hours": value, "workers": g.workers}
            for g in [self.overall, *self.by_team]
            if g.shown
            for measure, value in (
                ("Hours worked a week", g.hours_per_week),
                ("Contracted hours a week", g.contracted_per_week),
            )
        ]
        return pd.DataFrame.from_records(records, columns=["group", "measure", "hours", "workers"])

    def spread_frame(self) -> pd.DataFrame:
        """Quartiles across workers, per shown group (whole period, teams, roles)."""
        hidden = f"fewer than {self.min_group_size}"
        records = []
        for g in [self.overall, *self.by_team, *self.by_role]:
            weekly, direct = g.weekly_hours_spread, g.direct_share_spread
            records.append(
                {
                    "Group": g.name,
                    "Workers": str(g.workers) if g.shown else hidden,
                    "Hours a week: lower quartile": as_shown(weekly.lower_quartile)
                    if weekly
                    else hidden,
                    "Hours a week: median": as_shown(weekly.median) if weekly else hidden,
                    "Hours a week: upper quartile": as_shown(weekly.upper_quartile)
                    if weekly
                    else hidden,
                    "Direct work %: lower quartile": as_shown(direct.lower_quartile)
                    if direct
                    else hidden,
                    "Direct work %: median": as_shown(direct.median) if direct else hidden,
                    "Direct work %: upper quartile": as_shown(direct.upper_quartile)
                    if direct
                    else hidden,
                }
            )
        return pd.DataFrame.from_records(records).set_index("Group")

    def share_table(self, groups: Iterable[GroupTimeUse] | None = None) -> pd.DataFrame:
        """Groups (default: whole period and teams) × reporting groups of activities:
        "% of recorded time" (the numbers beside the share chart)."""
        frame = self.activity_frame(by="group", groups=groups)
        if frame.empty:
            return pd.DataFrame()
        table = frame.pivot_table(
            index="group", columns="activity", values="share", aggfunc="first", sort=False
        )
        order = [a for a in dict.fromkeys(self.activity_groups.values()) if a in table.columns]
        table = table[order].map(lambda v: as_shown(v, unit="%"))
        table.index.name = "Group"
        return table

    def activity_frame(
        self, by: str = "group", groups: Iterable[GroupTimeUse] | None = None
    ) -> pd.DataFrame:
        """Long rows (group, activity, minutes, share %) for every shown group (default:
        whole period and teams); ``by`` is "group" (reporting groups) or "code"."""
        records = []
        for g in list(groups) if groups is not None else [self.overall, *self.by_team]:
            if not g.shown:
                continue
            total = sum(g.activity_minutes.values())
            merged: dict[str, int] = defaultdict(int)
            for code, minutes in g.activity_minutes.items():
                key = (
                    self.activity_groups.get(code, code)
                    if by == "group"
                    else self.activity_labels.get(code, code)
                )
                merged[key] += minutes
            order = list(
                dict.fromkeys(
                    self.activity_groups.values()
                    if by == "group"
                    else self.activity_labels.values()
                )
            )
            for position, activity in enumerate(order + sorted(set(merged) - set(order))):
                if activity not in merged:
                    continue
                records.append(
                    {
                        "group": g.name.strip(),
                        "activity": activity,
                        "order": position,
                        "minutes": merged[activity],
                        "share": percent(merged[activity], total) if total else 0.0,
                    }
                )
        return pd.DataFrame.from_records(
            records, columns=["group", "activity", "order", "minutes", "share"]
        )


def _spread(values: Sequence[Figure]) -> Spread | None:
    """Quartiles across workers (inclusive, one decimal); None with fewer than two."""
    spread = spread_of(values, minimum=2)
    return spread if spread.median is not None else None


def _group(
    key: str,
    name: str,
    workers: list[_Worker],
    activities: Mapping[str, int],
    weeks: float,
    shown: bool,
) -> GroupTimeUse:
    if not workers:
        return GroupTimeUse(key, name, NO_ENTRIES)
    if not shown:
        return GroupTimeUse(key, name, WITHHELD)
    # Worked exactly (minutes are whole, FTE and hours as entered), then rounded half up.
    total = sum(w.minutes for w in workers)
    hours = Fraction(total, 60)
    in_weeks = exact(weeks)
    # Each worker's minutes / 60 / weeks, built as one fraction (quicker than dividing).
    weekly = [Fraction(w.minutes * in_weeks.denominator, 60 * in_weeks.numerator) for w in workers]
    return GroupTimeUse(
        key=key,
        name=name,
        status=SHOWN,
        workers=len(workers),
        recorded_hours=half_up(hours),
        direct_share=percent(sum(w.direct for w in workers), total),
        admin_share=percent(sum(w.admin for w in workers), total),
        hours_per_week=half_up(hours / in_weeks / len(workers)),  # the mean of ``weekly``
        contracted_per_week=half_up(exact_total(w.contracted for w in workers) / len(workers)),
        hours_per_fte_week=half_up(hours / (exact_total(w.fte for w in workers) * in_weeks)),
        weekly_hours_spread=_spread(weekly),
        direct_share_spread=_spread([Fraction(100 * w.direct, w.minutes) for w in workers]),
        activity_minutes=dict(activities),
    )


def _period_for(session: Session, actor: Actor, period_id: int) -> DiaryPeriod:
    period = session.get(DiaryPeriod, period_id)
    if period is None:
        raise NotFound("No such diary period.")
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=period.organisation_id)
    return period


def _report(session: Session, period: DiaryPeriod, codes: DiaryCodes, k: int) -> TimeUseReport:
    # A closed period is read from its sealed totals (the raw rows may have been purged);
    # an open one from its raw entries, through the very queries that seal it.
    sealed = period.status is DiaryStatus.CLOSED
    everyone = [
        _Worker(t, r, float(f), float(c), int(m), int(d), int(a), int(w))
        for t, r, f, c, m, d, a, w in session.execute(
            diary_tallies.sealed_worker_rows(period.id)
            if sealed
            else diary_tallies.worker_rows(session, period.id, codes)
        )
    ]
    workers = [w for w in everyone if w.minutes > 0]  # those who recorded anything
    activities: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for team_id, role, activity, minutes in session.execute(
        diary_tallies.sealed_activity_rows(period.id)
        if sealed
        else diary_tallies.activity_rows(period.id)
    ):
        activities[(team_id, role)][activity] += int(minutes)
    participants_per_team: dict[int, int] = defaultdict(int)
    for person in everyone:
        participants_per_team[person.team_id] += 1
    teams = team_tree(
        list(
            session.execute(
                select(Team.id, Team.name, Team.parent_id).where(
                    Team.organisation_id == period.organisation_id
                )
            )
        )
    )
    weekdays = weekdays_between(period.starts_on, period.ends_on)
    weeks = weekdays / 5

    # Teams: a tree of every team (with sub-teams), sized by workers who recorded.
    recorders: dict[int, int] = defaultdict(int)
    for worker in workers:
        recorders[worker.team_id] += 1
    parents = {team.id: team.parent_id or WHOLE for team in teams}
    tree = {WHOLE: GroupCount(None, 0)} | {
        team.id: GroupCount(parents[team.id], recorders.get(team.id, 0)) for team in teams
    }
    shown_teams = suppress_tree(tree, k)
    below: dict[int, set[int]] = {team.id: {team.id} for team in teams}
    for team in teams:
        parent = team.parent_id
        while parent is not None and parent in below:
            below[parent].add(team.id)
            parent = parents[parent] or None

    def merged(keys: Iterable[tuple[int, str]]) -> dict[str, int]:
        total: dict[str, int] = defaultdict(int)
        for key in keys:
            for code, minutes in activities.get(key, {}).items():
                total[code] += minutes
        return dict(total)

    by_team = []
    for team in teams:
        members = below[team.id]
        if not any(participants_per_team.get(t, 0) for t in members):
            continue
        by_team.append(
            _group(
                f"team:{team.id}",
                team.indented_name,
                [w for w in workers if w.team_id in members],
                merged(key for key in activities if key[0] in members),
                weeks,
                team.id in shown_teams,
            )
        )
    overall = _group("all", "All teams", workers, merged(activities), weeks, WHOLE in shown_teams)

    # Roles: flat groups under the whole period.
    roles = sorted({w.role for w in workers})
    role_tree = {WHOLE: GroupCount(None, 0)} | {
        index: GroupCount(WHOLE, sum(1 for w in workers if w.role == role))
        for index, role in enumerate(roles, 1)
    }
    shown_roles = suppress_tree(role_tree, k)
    by_role = [
        _group(
            f"role:{role}",
            role,
            [w for w in workers if w.role == role],
            merged(key for key in activities if key[1] == role),
            weeks,
            index in shown_roles,
        )
        for index, role in enumerate(roles, 1)
    ]

    participants = sum(participants_per_team.values())
    filled = sum(w.weekdays for w in workers)
    completion = (
        percent(filled, participants * weekdays)
        if overall.shown and participants and weekdays
        else None
    )
    return TimeUseReport(
        period_id=period.id,
        title=period.title,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        status=period.status,
        weekdays=weekdays,
        participants=participants,
        completion=completion,
        min_group_size=k,
        overall=overall,
        by_team=by_team,
        by_role=by_role,
        activity_labels={c.code: c.label for c in codes.codes},
        activity_groups={c.code: c.group for c in codes.codes},
    )


def time_use_report(db: Database, actor: Actor, period_id: int, k: int) -> TimeUseReport:
    """Time use in one diary period, for the whole period, each team and each role, under
    disclosure control (see the module's definitions)."""
    with db.read() as session:
        period = _period_for(session, actor, period_id)
        return _report(session, period, diary_codes(), k)


@dataclass(frozen=True)
class PeriodPoint:
    """The whole-period figures of one diary period (for "by period" tables)."""

    period_id: int
    title: str
    starts_on: dt.date
    status: DiaryStatus
    overall: GroupTimeUse
    direct_change: float | None  # points since the previous period, when change_safe


def period_trend(db: Database, actor: Actor, organisation_id: int, k: int) -> list[PeriodPoint]:
    """Every period's whole-period figures, oldest first, with the change in the direct
    share since the previous period where the group of workers allows it."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    codes = diary_codes()
    with db.read() as session:
        periods = list(
            session.scalars(
                select(DiaryPeriod)
                .where(DiaryPeriod.organisation_id == organisation_id)
                .order_by(DiaryPeriod.starts_on, DiaryPeriod.id)
            )
        )
        reports = [_report(session, period, codes, k) for period in periods]
    points: list[PeriodPoint] = []
    previous: GroupTimeUse | None = None
    for report in reports:
        change = _change(previous, report.overall, k, "direct_share")
        points.append(
            PeriodPoint(
                report.period_id,
                report.title,
                report.starts_on,
                report.status,
                report.overall,
                change,
            )
        )
        previous = report.overall
    return points


def _change(
    before: GroupTimeUse | None, after: GroupTimeUse | None, k: int, attribute: str
) -> float | None:
    if before is None or after is None or not before.shown or not after.shown:
        return None
    assert before.workers is not None and after.workers is not None
    if not change_safe(before.workers, after.workers, k):
        return None
    old, new = getattr(before, attribute), getattr(after, attribute)
    if old is None or new is None:
        return None
    return change(new, old)


@dataclass(frozen=True)
class ChangeRow:
    group: str
    before: GroupTimeUse
    after: GroupTimeUse
    direct_change: float | None  # percentage points
    hours_change: float | None  # hours per FTE week
    note: str


@dataclass(frozen=True)
class PeriodComparison:
    earlier: str
    later: str
    rows: list[ChangeRow]


def compare_periods(
    db: Database, actor: Actor, earlier_id: int, later_id: int, k: int
) -> PeriodComparison:
    """Change between two periods of one organisation, for the whole period and each team.
    A change is shown only when both figures are shown and the number of workers moved by
    0 or at least k (``disclosure.change_safe``)."""
    codes = diary_codes()
    with db.read() as session:
        earlier = _period_for(session, actor, earlier_id)
        later = _period_for(session, actor, later_id)
        if earlier.organisation_id != later.organisation_id:
            raise InvalidInput("Compare two diary periods of the same organisation.")
        before = _report(session, earlier, codes, k)
        after = _report(session, later, codes, k)
    rows = []
    before_teams = {g.key: g for g in [before.overall, *before.by_team]}
    for group in [after.overall, *after.by_team]:
        old = before_teams.get(group.key)
        if old is None:
            continue
        direct = _change(old, group, k, "direct_share")
        hours = _change(old, group, k, "hours_per_fte_week")
        if not old.shown or not group.shown:
            note = f"fewer than {k} workers in one of the periods"
        elif direct is None:
            note = f"the number of workers changed by fewer than {k}"
        else:
            note = ""
        rows.append(ChangeRow(group.name, old, group, direct, hours, note))
    return PeriodComparison(before.title, after.title, rows)


# --- link to confidence ----------------------------------------------------------------------


@dataclass(frozen=True)
class WaveChoice:
    wave_id: int
    title: str
    opens_on: dt.date
    shared_teams: int


def matching_waves(db: Database, actor: Actor, period_id: int) -> list[WaveChoice]:
    """Survey waves of the period's organisation that cover at least one of its teams,
    nearest in time first."""
    with db.read() as session:
        period = _period_for(session, actor, period_id)
        period_teams = select(DiaryPeriodTeam.team_id).where(DiaryPeriodTeam.period_id == period.id)
        rows = session.execute(
            select(Wave.id, Wave.title, Wave.opens_on, func.count(distinct(WaveTeam.team_id)))
            .join(WaveTeam, WaveTeam.wave_id == Wave.id)
            .where(
                Wave.organisation_id == period.organisation_id,
                WaveTeam.team_id.in_(period_teams),
            )
            .group_by(Wave.id, Wave.title, Wave.opens_on)
        ).all()
        starts_on = period.starts_on
    return sorted(
        (WaveChoice(w, t, o, int(n)) for w, t, o, n in rows),
        key=lambda c: (abs((c.opens_on - starts_on).days), -c.wave_id),
    )


@dataclass(frozen=True)
class ConfidenceRow:
    team: str
    time: GroupTimeUse
    top_shares: Mapping[str, float | None]  # item label → % in the top band (None: hidden)
    respondents: Mapping[str, int | None]  # 0: no responses; None: hidden


@dataclass(frozen=True)
class ConfidenceLink:
    period_title: str
    wave_title: str
    top_band: str
    items: list[str]
    rows: list[ConfidenceRow]

    def frame(self, k: int) -> pd.DataFrame:
        """Team, direct-work share and % in the top band per statement, hidden cells
        marked "fewer than k"."""
        hidden = f"fewer than {k}"
        records = []
        for row in self.rows:
            record: dict[str, object] = {
                "Team": row.team.strip(),
                "Workers (diary)": str(row.time.workers) if row.time.shown else hidden,
                "Direct work %": as_shown(row.time.direct_share, unit="%", missing=hidden),
            }
            for item in self.items:
                share = row.top_shares.get(item)
                record[f"{item}: % {self.top_band}"] = as_shown(
                    share,
                    unit="%",
                    missing="no responses" if row.respondents.get(item) == 0 else hidden,
                )
            records.append(record)
        return pd.DataFrame.from_records(records).set_index("Team") if records else pd.DataFrame()

    def points(self, item: str) -> pd.DataFrame:
        """Teams shown on both sides: direct share against % in the top band for ``item``
        (the data behind the scatter chart)."""
        return pd.DataFrame.from_records(
            [
                {
                    "team": row.team.strip(),
                    "direct_share": row.time.direct_share,
                    "top_share": row.top_shares[item],
                    "workers": row.time.workers,
                    "respondents": row.respondents.get(item),
                }
                for row in self.rows
                if row.time.direct_share is not None and row.top_shares.get(item) is not None
            ],
            columns=["team", "direct_share", "top_share", "workers", "respondents"],
        )


def confidence_beside_time(
    db: Database, actor: Actor, period_id: int, wave_id: int, k: int
) -> ConfidenceLink:
    """For teams in both a diary period and a survey wave: the team's direct-work share
    beside the team's share in the top confidence band per statement. Both sides are team
    aggregates under their own disclosure control; nothing is joined per person (survey
    responses carry no link to anyone)."""
    report = time_use_report(db, actor, period_id, k)
    counts = load_wave_counts(db, actor, wave_id)
    with db.read() as session:
        wave = session.get_one(Wave, wave_id)
        period = session.get_one(DiaryPeriod, period_id)
        if wave.organisation_id != period.organisation_id:
            raise InvalidInput("Choose a survey wave of the same organisation.")
        wave_title = wave.title
    heatmap = team_heatmap(counts, k)
    items = list(dict.fromkeys(heatmap["item"])) if not heatmap.empty else []
    top_band = str(heatmap["top_band"].iloc[0]) if not heatmap.empty else ""
    cells: dict[int, dict[str, tuple[float | None, int | None]]] = defaultdict(dict)
    for team_id, item, status, share, n in zip(
        heatmap.get("team_id", []),
        heatmap.get("item", []),
        heatmap.get("status", []),
        heatmap.get("top_share", []),
        heatmap.get("n", []),
        strict=True,
    ):
        if status == "shown":
            cells[int(team_id)][str(item)] = (float(share), int(n))
        elif status == SUPPRESSED:
            cells[int(team_id)][str(item)] = (None, None)
        else:  # no responses from this team
            cells[int(team_id)][str(item)] = (None, 0)
    rows = []
    for group in report.by_team:
        team_id = int(group.key.split(":", 1)[1])
        if team_id not in cells:
            continue
        rows.append(
            ConfidenceRow(
                group.name,
                group,
                {item: cells[team_id].get(item, (None, None))[0] for item in items},
                {item: cells[team_id].get(item, (None, None))[1] for item in items},
            )
        )
    return ConfidenceLink(report.title, wave_title, top_band, items, rows)


# --- against other authorities ---------------------------------------------------------------

DIRECT_ROW = "Direct work (with children and families)"


def compare_with_others(
    db: Database, actor: Actor, period_id: int, k: int, *, own: TimeUseReport | None = None
) -> list[BenchmarkRow]:
    """This period's share of recorded time per reporting group (and in direct work)
    beside the median and quartiles of the other authorities' latest closed periods, and
    beside its statistical neighbours'. Others are never named; an authority counts only
    when at least k of its workers recorded time, and a spread is shown only where at
    least ``privacy.MIN_COMPARATORS`` authorities contribute. Others' figures come from
    the sealed per-period totals (a few rows per period). ``own``: this period's report,
    when the caller has already built it (the same period and k)."""
    codes = diary_codes()
    with db.read() as session:
        organisation_id = _period_for(session, actor, period_id).organisation_id
        neighbours = set(
            session.scalars(
                select(StatisticalNeighbour.neighbour_id).where(
                    StatisticalNeighbour.organisation_id == organisation_id
                )
            )
        )
        latest: dict[int, int] = {}  # organisation → its latest closed period
        for other_period, other_organisation in session.execute(
            select(DiaryPeriod.id, DiaryPeriod.organisation_id)
            .where(
                DiaryPeriod.status == DiaryStatus.CLOSED,
                DiaryPeriod.organisation_id != organisation_id,
            )
            .order_by(DiaryPeriod.ends_on, DiaryPeriod.id)
        ):
            latest[other_organisation] = other_period
        recorders = dict(
            session.execute(
                select(DiaryWorkerTotal.period_id, func.count())
                .where(
                    DiaryWorkerTotal.period_id.in_(latest.values()), DiaryWorkerTotal.minutes > 0
                )
                .group_by(DiaryWorkerTotal.period_id)
            ).all()
        )
        minutes: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for other_period, activity, total in session.execute(
            select(
                DiaryPeriodActivityTotal.period_id,
                DiaryPeriodActivityTotal.activity,
                DiaryPeriodActivityTotal.minutes,
            ).where(DiaryPeriodActivityTotal.period_id.in_(latest.values()))
        ):
            minutes[other_period][activity] += total
    report = (
        own
        if own is not None and own.period_id == period_id and own.min_group_size == k
        else time_use_report(db, actor, period_id, k)
    )
    group_of = {c.code: c.group for c in codes.codes}
    direct = set(codes.direct_codes)

    def shares(by_code: Mapping[str, int]) -> dict[str, float]:
        total = sum(by_code.values())
        result: dict[str, float] = defaultdict(float)
        if not total:
            return result
        result[DIRECT_ROW] = percent(sum(m for c, m in by_code.items() if c in direct), total)
        grouped: dict[str, int] = defaultdict(int)
        for code, value in by_code.items():
            grouped[group_of.get(code, code)] += value
        for group, value in grouped.items():
            result[group] = percent(value, total)
        return result

    others = {
        other_organisation: shares(minutes[other_period])
        for other_organisation, other_period in latest.items()
        if recorders.get(other_period, 0) >= k
    }
    ours = shares(report.overall.activity_minutes) if report.overall.shown else {}
    rows = []
    for label in [DIRECT_ROW, *codes.groups]:
        rows.append(
            BenchmarkRow(
                item_code=label,
                label=label,
                top_band="",
                own_share=ours.get(label, 0.0) if ours else None,
                own_n=report.overall.workers,
                others=spread([figures.get(label, 0.0) for figures in others.values()]),
                neighbours=spread(
                    [f.get(label, 0.0) for org, f in others.items() if org in neighbours]
                ),
            )
        )
    return rows
