"""An organisation's implementation timeline: SoS start date, phases, milestones, and the
experience band (seed 002: new ≤ 1 year, about 2 years, more than 2 years) at any date.

Experience is counted in whole calendar years from the SoS start date: up to and
including the first anniversary is *new*, up to and including the second is *about 2
years*, after it *more than 2 years*. A start on 29 February has its anniversary on
28 February in other years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import ExperienceBand, ImplementationPhase, Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.models import Milestone, Organisation, PhaseStart

# Signs of Safety was developed in the 1990s; an earlier date is a typing mistake.
EARLIEST_DATE = dt.date(1990, 1, 1)
MAX_MILESTONE_TITLE = 200
PHASE_ORDER = list(ImplementationPhase)


def anniversary(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a non-leap year
        return start.replace(year=start.year + years, day=28)


def experience_band(start: dt.date | None, on: dt.date) -> ExperienceBand | None:
    """The band on ``on``; ``None`` without a start date or before the start."""
    if start is None or on < start:
        return None
    if on <= anniversary(start, 1):
        return ExperienceBand.NEW
    if on <= anniversary(start, 2):
        return ExperienceBand.ABOUT_TWO_YEARS
    return ExperienceBand.MORE_THAN_TWO_YEARS


def suggested_phase_starts(start: dt.date) -> dict[ImplementationPhase, dt.date]:
    """Typical phase dates around an SoS start (GUIDE.md section 2: 6–12 months'
    preparation, about two years' intensive implementation, then sustainment)."""
    return {
        ImplementationPhase.PREPARATION: start - dt.timedelta(days=182),
        ImplementationPhase.INTENSIVE_YEAR_1: start,
        ImplementationPhase.INTENSIVE_YEAR_2: anniversary(start, 1),
        ImplementationPhase.SUSTAINMENT: anniversary(start, 2),
    }


@dataclass(frozen=True)
class PhaseSpan:
    phase: ImplementationPhase
    starts_on: dt.date
    ends_on: dt.date | None  # the day before the next phase starts; None: runs on

    @property
    def label(self) -> str:
        return self.phase.label


@dataclass(frozen=True)
class MilestoneEntry:
    id: int
    title: str
    achieved_on: dt.date


@dataclass(frozen=True)
class Timeline:
    organisation_id: int
    sos_start_date: dt.date | None
    phases: list[PhaseSpan]
    milestones: list[MilestoneEntry]

    def phase_on(self, on: dt.date) -> ImplementationPhase | None:
        current = None
        for span in self.phases:
            if span.starts_on <= on:
                current = span.phase
        return current

    def band_on(self, on: dt.date) -> ExperienceBand | None:
        return experience_band(self.sos_start_date, on)


def phase_spans(starts: Mapping[ImplementationPhase, dt.date]) -> list[PhaseSpan]:
    ordered = [(phase, starts[phase]) for phase in PHASE_ORDER if phase in starts]
    spans = []
    for index, (phase, starts_on) in enumerate(ordered):
        following = ordered[index + 1][1] if index + 1 < len(ordered) else None
        ends_on = following - dt.timedelta(days=1) if following else None
        spans.append(PhaseSpan(phase, starts_on, ends_on))
    return spans


def get_timeline(db: Database, actor: Actor, organisation_id: int) -> Timeline:
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound("No such organisation.")
        starts = dict(
            session.execute(
                select(PhaseStart.phase, PhaseStart.starts_on).where(
                    PhaseStart.organisation_id == organisation_id
                )
            ).all()
        )
        milestones = [
            MilestoneEntry(m.id, m.title, m.achieved_on)
            for m in session.scalars(
                select(Milestone)
                .where(Milestone.organisation_id == organisation_id)
                .order_by(Milestone.achieved_on, Milestone.title)
            )
        ]
        return Timeline(
            organisation_id, organisation.sos_start_date, phase_spans(starts), milestones
        )


def _check_date(value: dt.date, what: str) -> None:
    if value < EARLIEST_DATE:
        raise InvalidInput(
            f"The {what} ({as_date(value, long=True)}) is before 1990; check the year."
        )


def set_timeline(
    db: Database,
    actor: Actor,
    organisation_id: int,
    *,
    sos_start_date: dt.date | None,
    phase_starts: Mapping[ImplementationPhase, dt.date | None],
) -> None:
    """Replace the start date and phase dates. Phases left blank are not recorded; the ones
    given must start in phase order, each on a later date than the one before."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    if sos_start_date is not None:
        _check_date(sos_start_date, "start date")
    given = [(phase, phase_starts.get(phase)) for phase in PHASE_ORDER]
    dated = [(phase, day) for phase, day in given if day is not None]
    for phase, day in dated:
        _check_date(day, f"start of {phase.label.lower()}")
    for (earlier, earlier_day), (later, later_day) in zip(dated, dated[1:], strict=False):
        if later_day <= earlier_day:
            raise InvalidInput(
                f"{later.label} must start after {earlier.label.lower()} "
                f"({as_date(later_day, long=True)} is not after {as_date(earlier_day, long=True)})."
            )
    with db.write() as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound("No such organisation.")
        organisation.sos_start_date = sos_start_date
        session.execute(delete(PhaseStart).where(PhaseStart.organisation_id == organisation_id))
        session.add_all(
            PhaseStart(organisation_id=organisation_id, phase=phase, starts_on=day)
            for phase, day in dated
        )
        record_event(
            session, actor, "timeline_updated", organisation_id=organisation_id, count=len(dated)
        )


def add_milestone(
    db: Database,
    actor: Actor,
    organisation_id: int,
    title: str,
    achieved_on: dt.date,
    *,
    today: dt.date | None = None,
) -> int:
    """Record a milestone that has happened (training delivered, forms aligned…)."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    today = today or dt.date.today()
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("Describe the milestone, e.g. 'Practice leads in place'.")
    if len(title) > MAX_MILESTONE_TITLE:
        raise InvalidInput(f"Keep the milestone under {MAX_MILESTONE_TITLE} characters.")
    _check_date(achieved_on, "milestone date")
    if achieved_on > today:
        raise InvalidInput("Milestones record what has happened; the date is in the future.")
    with db.write() as session:
        clash = session.scalar(
            select(Milestone.id).where(
                Milestone.organisation_id == organisation_id, Milestone.title == title
            )
        )
        if clash is not None:
            raise InvalidInput(f"A milestone called '{title}' already exists.")
        milestone = Milestone(organisation_id=organisation_id, title=title, achieved_on=achieved_on)
        session.add(milestone)
        session.flush()
        record_event(
            session,
            actor,
            "milestone_added",
            organisation_id=organisation_id,
            target=f"milestone:{milestone.id}",
        )
        return milestone.id


def remove_milestone(db: Database, actor: Actor, milestone_id: int) -> None:
    with db.write() as session:
        milestone = session.get(Milestone, milestone_id)
        if milestone is None:
            raise NotFound("No such milestone.")
        require(actor, Role.LEAD, organisation_id=milestone.organisation_id)
        session.delete(milestone)
        record_event(
            session,
            actor,
            "milestone_removed",
            organisation_id=milestone.organisation_id,
            target=f"milestone:{milestone_id}",
        )
