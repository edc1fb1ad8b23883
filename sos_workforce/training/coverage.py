"""Coverage: the share of current staff (the latest roster; leavers no longer count)
trained to each level, refreshers due counted apart, by team and by role, against the
lead's targets; managers with the advanced course; practice leaders' sessions over the
year; the trend across roster snapshots.

A person is *trained* to a level on a date when they attended a course of that level on
or before it that is still current (within its refresher interval, if it has one); they
are *due a refresher* when every course of that level they attended has lapsed.

Leads and administrators see staff ids; executives see shares only, and a team's or a
role's shares only where its number of staff passes the gate (``privacy.gated_counts``,
primary and complementary suppression against the authority's total)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.figures import percent
from sos_workforce.core.models import (
    RosterMember,
    RosterSnapshot,
    TrainingAttendance,
    TrainingSession,
)
from sos_workforce.privacy import GroupCount, gated_counts
from sos_workforce.training.courses import COVERAGE_LEVELS, LEVELS, course
from sos_workforce.training.records import targets_in

TRAINED, DUE, NOT_TRAINED = "trained", "refresher due", "not trained"
TREND_SNAPSHOTS = 8


def is_manager(role: str) -> bool:
    return "manager" in role.casefold()


def is_practice_leader(role: str) -> bool:
    return "practice lead" in role.casefold()


@dataclass(frozen=True)
class Staff:
    staff_ref: str
    team: str
    role: str


Attended = Mapping[str, Sequence[tuple[str, dt.date]]]  # staff id → (course id, date)


def status(attended: Iterable[tuple[str, dt.date]], level: str, on: dt.date) -> str:
    """A person's status for a level on a date, from the courses they attended."""
    seen = False
    for course_id, held_on in attended:
        known = course(course_id)
        if known.level != level or held_on > on:
            continue
        seen = True
        until = known.current_until(held_on)
        if until is None or until >= on:
            return TRAINED
    return DUE if seen else NOT_TRAINED


@dataclass(frozen=True)
class LevelCoverage:
    level: str
    label: str
    trained: int | None  # None for executives (shares only)
    refresher_due: int | None
    share: float | None  # percent of current staff trained
    due_share: float | None  # percent of current staff due a refresher
    target: float | None

    @property
    def target_met(self) -> bool | None:
        if self.target is None or self.share is None:
            return None
        return self.share >= self.target


@dataclass(frozen=True)
class GroupCoverage:
    """A team's or a role's shares per level; None where the gate hides the group."""

    name: str
    staff: int | None
    shares: dict[str, float | None]
    due_shares: dict[str, float | None]

    @property
    def hidden(self) -> bool:
        return self.staff is None


@dataclass(frozen=True)
class PersonTraining:
    staff_ref: str
    team: str
    role: str
    levels: dict[str, str]  # level → trained | refresher due | not trained


@dataclass(frozen=True)
class SessionAttendance:
    held_on: dt.date
    title: str
    attended: int


@dataclass(frozen=True)
class TrendPoint:
    as_of: dt.date
    staff: int
    shares: dict[str, float | None]  # None when the roster is below the gate


@dataclass(frozen=True)
class CoverageReport:
    roster_date: dt.date | None  # None: no roster yet
    on: dt.date
    staff: int
    levels: list[LevelCoverage]
    teams: list[GroupCoverage]
    roles: list[GroupCoverage]
    managers: int | None  # managers on the roster (None: hidden by the gate)
    managers_advanced: float | None  # percent of managers trained to the advanced level
    practice_leaders: int | None
    practice_leaders_attending: float | None  # percent who attended a session in the year
    practice_sessions: list[SessionAttendance]
    trend: list[TrendPoint]
    people: list[PersonTraining] | None  # leads and administrators only
    k: int

    @property
    def names_shown(self) -> bool:
        return self.people is not None


def _members(session: Session, snapshot_id: int) -> list[Staff]:
    rows = session.execute(
        select(RosterMember.staff_ref, RosterMember.team_name, RosterMember.role)
        .where(RosterMember.snapshot_id == snapshot_id, RosterMember.leave_date.is_(None))
        .order_by(RosterMember.staff_ref)
    )
    return [Staff(ref, team, role) for ref, team, role in rows]


def attendance_in(session: Session, organisation_id: int) -> dict[str, list[tuple[str, dt.date]]]:
    """Each staff id's attendance (course id, date) in the authority."""
    attended: dict[str, list[tuple[str, dt.date]]] = {}
    for ref, course_id, held_on in session.execute(
        select(TrainingAttendance.staff_ref, TrainingSession.course_id, TrainingSession.held_on)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(
            TrainingSession.organisation_id == organisation_id, TrainingAttendance.staff_ref != ""
        )
    ):
        attended.setdefault(ref, []).append((course_id, held_on))
    return attended


def current_staff(
    session: Session, organisation_id: int, on: dt.date
) -> tuple[dt.date | None, list[Staff]]:
    """The latest roster on or before ``on`` and its people still in post."""
    latest = session.execute(
        select(RosterSnapshot.id, RosterSnapshot.as_of)
        .where(RosterSnapshot.organisation_id == organisation_id, RosterSnapshot.as_of <= on)
        .order_by(RosterSnapshot.as_of.desc())
        .limit(1)
    ).one_or_none()
    if latest is None:
        return None, []
    return latest.as_of, _members(session, latest.id)


def _gate(sizes: Mapping[str, int], k: int) -> dict[str, int | None]:
    """Group sizes under the gate, as children of the whole authority (shown)."""
    names = sorted(sizes)
    groups = {0: GroupCount(None, 0)} | {
        index: GroupCount(0, sizes[name]) for index, name in enumerate(names, 1)
    }
    gated = gated_counts(groups, k)
    return {name: gated[index] for index, name in enumerate(names, 1)}


def _groups(
    staff: Sequence[Staff],
    key: str,
    statuses: Mapping[str, Mapping[str, str]],
    k: int,
    gate: bool,
) -> list[GroupCoverage]:
    members: dict[str, list[Staff]] = {}
    for person in staff:
        members.setdefault(getattr(person, key), []).append(person)
    sizes = {name: len(people) for name, people in members.items()}
    shown = _gate(sizes, k) if gate else dict(sizes)
    result = []
    for name in sorted(members):
        size = shown[name]
        shares: dict[str, float | None] = {}
        dues: dict[str, float | None] = {}
        for level in COVERAGE_LEVELS:
            if size is None:
                shares[level] = dues[level] = None
                continue
            found = [statuses[p.staff_ref][level] for p in members[name]]
            shares[level] = percent(found.count(TRAINED), size)
            dues[level] = percent(found.count(DUE), size)
        result.append(GroupCoverage(name, size, shares, dues))
    return result


def _share_of(
    people: Sequence[Staff], test: Mapping[str, bool], k: int, gate: bool
) -> tuple[int | None, float | None]:
    if not people:
        return 0, None
    if gate and len(people) < k:
        return None, None
    return len(people), percent(sum(test[p.staff_ref] for p in people), len(people))


def coverage_report(
    db: Database,
    actor: Actor,
    organisation_id: int,
    k: int,
    *,
    today: dt.date | None = None,
    shares_only: bool = False,
    team_of: Callable[[str], str] | None = None,
) -> CoverageReport:
    """Coverage now, from the latest roster (see the module's docstring). ``shares_only``:
    as executives see it, whoever asks (for reports that go beyond the leads). ``team_of``
    groups the roster's teams into larger ones (a service with its sub-teams)."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    on = today or dt.date.today()
    names = (actor.is_admin or actor.role is Role.LEAD) and not shares_only
    gate = not names
    with db.read() as session:
        roster_date, staff = current_staff(session, organisation_id, on)
        attended = attendance_in(session, organisation_id)
        targets = targets_in(session, organisation_id)
        snapshots = session.execute(
            select(RosterSnapshot.id, RosterSnapshot.as_of)
            .where(RosterSnapshot.organisation_id == organisation_id, RosterSnapshot.as_of <= on)
            .order_by(RosterSnapshot.as_of.desc())
            .limit(TREND_SNAPSHOTS)
        ).all()
        trend_staff = {row.as_of: _members(session, row.id) for row in snapshots}
        year_ago = on - dt.timedelta(days=365)
        sessions = session.execute(
            select(TrainingSession.id, TrainingSession.course_id, TrainingSession.held_on)
            .where(
                TrainingSession.organisation_id == organisation_id,
                TrainingSession.held_on > year_ago,
                TrainingSession.held_on <= on,
            )
            .order_by(TrainingSession.held_on)
        ).all()
        practice = [row for row in sessions if course(row.course_id).level == "practice_leader"]
        counts: dict[int, int] = {}
        for (session_id,) in session.execute(
            select(TrainingAttendance.session_id).where(
                TrainingAttendance.session_id.in_([row.id for row in practice])
            )
        ):
            counts[session_id] = counts.get(session_id, 0) + 1
    statuses = {
        p.staff_ref: {level: status(attended.get(p.staff_ref, ()), level, on) for level in LEVELS}
        for p in staff
    }
    total = len(staff)
    levels = []
    for level in COVERAGE_LEVELS:
        found = [statuses[p.staff_ref][level] for p in staff]
        trained, due = found.count(TRAINED), found.count(DUE)
        levels.append(
            LevelCoverage(
                level,
                LEVELS[level],
                None if gate else trained,
                None if gate else due,
                percent(trained, total) if total and (not gate or total >= k) else None,
                percent(due, total) if total and (not gate or total >= k) else None,
                targets.get(level),
            )
        )
    managers = [p for p in staff if is_manager(p.role)]
    managers_n, managers_share = _share_of(
        managers,
        {p.staff_ref: statuses[p.staff_ref]["advanced"] == TRAINED for p in managers},
        k,
        gate,
    )
    leaders = [p for p in staff if is_practice_leader(p.role)]
    attending = {
        p.staff_ref: any(
            course(c).level == "practice_leader" and year_ago < d <= on
            for c, d in attended.get(p.staff_ref, ())
        )
        for p in leaders
    }
    leaders_n, leaders_share = _share_of(leaders, attending, k, gate)
    trend = []
    for as_of in sorted(trend_staff):
        people = trend_staff[as_of]
        shares: dict[str, float | None] = {}
        for level in COVERAGE_LEVELS:
            if not people or (gate and len(people) < k):
                shares[level] = None
                continue
            trained = sum(
                status(attended.get(p.staff_ref, ()), level, as_of) == TRAINED for p in people
            )
            shares[level] = percent(trained, len(people))
        trend.append(TrendPoint(as_of, len(people), shares))
    return CoverageReport(
        roster_date=roster_date,
        on=on,
        staff=total,
        levels=levels,
        teams=_groups(
            [replace(p, team=team_of(p.team)) for p in staff] if team_of else staff,
            "team",
            statuses,
            k,
            gate,
        ),
        roles=_groups(staff, "role", statuses, k, gate),
        managers=managers_n,
        managers_advanced=managers_share,
        practice_leaders=leaders_n,
        practice_leaders_attending=leaders_share,
        practice_sessions=[
            SessionAttendance(row.held_on, course(row.course_id).title, counts.get(row.id, 0))
            for row in practice
        ],
        trend=trend,
        people=[PersonTraining(p.staff_ref, p.team, p.role, statuses[p.staff_ref]) for p in staff]
        if names
        else None,
        k=k,
    )
