"""The support and in-house trainer pipeline from the staff survey.

In a wave that allows it (``surveys.launch_wave(allow_optin=True)``), a respondent can ask
for more support and/or to become an in-house trainer. The request is its own record
(``training_optin``), stored by ``surveys.submit_response`` in a transaction of its own,
named from the person's invitation, holding only the answers they chose to share; nothing
in it names their anonymous response.

Only leads of the authority see the requests (not administrators, not executives). The
lead records what follows (offered coaching, booked on train-the-trainer, licensed
trainer, left), audited with the step only, never a name or an answer. Executives see the
number of in-house trainers (booked on train-the-trainer or licensed) over time against
the authority's target: a record of people's roles, not of answers, shown as it is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound, PermissionDenied
from sos_workforce.core.models import Team, TrainingOptIn, TrainingOptInStep, Wave
from sos_workforce.training.records import TRAINERS, targets_in

STEPS: dict[str, str] = {
    "offered_coaching": "Offered coaching",
    "booked_trainer": "Booked on train-the-trainer",
    "licensed_trainer": "Licensed trainer",
    "left": "Left",
}
TRAINER_STEPS = frozenset({"booked_trainer", "licensed_trainer"})
TREND_MONTHS = 12


def _require_lead(actor: Actor | None, organisation_id: int) -> Actor:
    """Leads of the authority only: requests carry names and shared answers, which an
    administrator or executive has no need to see."""
    checked = require(actor, Role.LEAD, organisation_id=organisation_id)
    if checked.role is not Role.LEAD:
        raise PermissionDenied("Only the authority's leads see requests for support.")
    return checked


@dataclass(frozen=True)
class StepRecord:
    step: str
    label: str
    recorded_on: dt.date


@dataclass(frozen=True)
class OptInRecord:
    id: int
    name: str
    email: str
    team: str
    wave: str
    wants_support: bool
    wants_trainer: bool
    shared: tuple[tuple[str, str], ...]
    made_on: dt.date
    steps: tuple[StepRecord, ...]

    @property
    def current(self) -> str:
        return self.steps[-1].label if self.steps else "Nothing recorded yet"

    @property
    def asked_for(self) -> str:
        """What the person asked, as a phrase: "asked for more support and to become an
        in-house trainer"."""
        if self.wants_support and self.wants_trainer:
            return "asked for more support and to become an in-house trainer"
        if self.wants_support:
            return "asked for more support"
        return "asked to become an in-house trainer"


def list_optins(db: Database, actor: Actor, organisation_id: int) -> list[OptInRecord]:
    """Every request of the authority, newest first, with what followed."""
    _require_lead(actor, organisation_id)
    with db.read() as session:
        rows = session.execute(
            select(TrainingOptIn, Team.name, Wave.title)
            .outerjoin(Team, Team.id == TrainingOptIn.team_id)
            .outerjoin(Wave, Wave.id == TrainingOptIn.wave_id)
            .where(TrainingOptIn.organisation_id == organisation_id)
            .order_by(TrainingOptIn.made_on.desc(), TrainingOptIn.name)
        ).all()
        steps: dict[int, list[StepRecord]] = {}
        for step in session.scalars(
            select(TrainingOptInStep)
            .join(TrainingOptIn, TrainingOptIn.id == TrainingOptInStep.optin_id)
            .where(TrainingOptIn.organisation_id == organisation_id)
            .order_by(TrainingOptInStep.recorded_on, TrainingOptInStep.id)
        ):
            steps.setdefault(step.optin_id, []).append(
                StepRecord(step.step, STEPS[step.step], step.recorded_on)
            )
        return [
            OptInRecord(
                optin.id,
                optin.name,
                optin.email,
                team or "–",
                wave or "–",
                optin.wants_support,
                optin.wants_trainer,
                tuple((str(question), str(answer)) for question, answer in optin.shared),
                optin.made_on,
                tuple(steps.get(optin.id, [])),
            )
            for optin, team, wave in rows
        ]


def _optin(session: Session, actor: Actor, organisation_id: int, optin_id: int) -> TrainingOptIn:
    _require_lead(actor, organisation_id)
    optin = session.get(TrainingOptIn, optin_id)
    if optin is None or optin.organisation_id != organisation_id:
        raise NotFound("That request no longer exists.")
    return optin


def record_step(
    db: Database,
    actor: Actor,
    organisation_id: int,
    optin_id: int,
    step: str,
    *,
    on: dt.date | None = None,
    today: dt.date | None = None,
) -> None:
    """Record what followed a request. Audited with the step only."""
    today = today or dt.date.today()
    on = on or today
    if step not in STEPS:
        raise InvalidInput(f"'{step}' is not a step of the pipeline.")
    if on > today:
        raise InvalidInput("The date is in the future.")
    with db.write() as session:
        optin = _optin(session, actor, organisation_id, optin_id)
        if on < optin.made_on:
            raise InvalidInput("The date is before the request was made.")
        session.add(TrainingOptInStep(optin_id=optin.id, step=step, recorded_on=on))
        record_event(
            session,
            actor,
            "training_optin_step",
            organisation_id=organisation_id,
            target=f"step:{step}",
        )


def erase_optin(db: Database, actor: Actor, organisation_id: int, optin_id: int) -> None:
    """Delete a request with everything recorded after it (the person asked, or it is no
    longer needed). Audited without the name."""
    with db.write() as session:
        optin = _optin(session, actor, organisation_id, optin_id)
        session.execute(delete(TrainingOptIn).where(TrainingOptIn.id == optin.id))
        record_event(session, actor, "training_optin_erased", organisation_id=organisation_id)


@dataclass(frozen=True)
class TrainerPoint:
    on: dt.date
    trainers: int


@dataclass(frozen=True)
class TrainerCount:
    trainers: int  # booked on train-the-trainer or licensed, now
    licensed: int
    target: int | None
    series: list[TrainerPoint]  # the last day of each of the last months, and today


def _trainers_on(steps: dict[int, list[tuple[dt.date, int, str]]], on: dt.date) -> tuple[int, int]:
    trainers = licensed = 0
    for history in steps.values():
        latest = [step for day, _, step in sorted(history) if day <= on]
        if latest and latest[-1] in TRAINER_STEPS:
            trainers += 1
            licensed += latest[-1] == "licensed_trainer"
    return trainers, licensed


def _month_ends(today: dt.date, months: int) -> list[dt.date]:
    ends = []
    first = today.replace(day=1)
    for _ in range(months):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        ends.append(following - dt.timedelta(days=1))
    return sorted(ends)


def trainer_count(
    db: Database, actor: Actor, organisation_id: int, *, today: dt.date | None = None
) -> TrainerCount:
    """In-house trainers (each person's latest step: booked on train-the-trainer or
    licensed) now and at the end of each of the last 12 months, with the target."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    today = today or dt.date.today()
    with db.read() as session:
        steps: dict[int, list[tuple[dt.date, int, str]]] = {}
        for optin_id, step_id, day, step in session.execute(
            select(
                TrainingOptInStep.optin_id,
                TrainingOptInStep.id,
                TrainingOptInStep.recorded_on,
                TrainingOptInStep.step,
            )
            .join(TrainingOptIn, TrainingOptIn.id == TrainingOptInStep.optin_id)
            .where(TrainingOptIn.organisation_id == organisation_id)
        ):
            steps.setdefault(optin_id, []).append((day, step_id, step))
        target = targets_in(session, organisation_id).get(TRAINERS)
    trainers, licensed = _trainers_on(steps, today)
    series = [
        TrainerPoint(day, _trainers_on(steps, day)[0]) for day in _month_ends(today, TREND_MONTHS)
    ]
    series.append(TrainerPoint(today, trainers))
    return TrainerCount(trainers, licensed, None if target is None else int(target), series)
