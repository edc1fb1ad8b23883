"""Synthetic data at any scale, for benchmarks and load tests.

Everything is bulk-inserted (executemany of plain tuples, one transaction per authority),
not through the ORM one row at a time; tallies are then built with one INSERT … SELECT.
Authorities are named "Synthetic Authority 001" etc. and never mixed with real data.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus
from sos_workforce.core.models import (
    Answer,
    DiaryEntry,
    DiaryParticipant,
    DiaryPeriod,
    DiaryPeriodTeam,
    InstrumentItem,
    Invitation,
    Organisation,
    Response,
    Team,
    Wave,
    WaveTeam,
)
from sos_workforce.core.security import hash_token
from sos_workforce.diaries import diary_codes, seal_period
from sos_workforce.surveys import InstrumentDefinition, register, seal_wave

SYNTHETIC_INSTRUMENT = "synthetic_staff_survey"
PRESETS = {
    "small": {"orgs": 4, "staff": 400, "waves": 2, "items": 12, "diary_periods": 1},
    # About 5M diary rows: 60,000 staff × 85% keeping a diary × 2 weeks × ~49 entries.
    "national": {"orgs": 150, "staff": 60_000, "waves": 4, "items": 60, "diary_periods": 2},
}
# Diary activities with their weight in a day (as in the demo: ~15% direct work).
DIARY_WEIGHTS = {
    "direct_child": 6.5,
    "direct_family": 8.5,
    "travel": 10.0,
    "recording": 23.0,
    "liaison": 10.0,
    "admin_other": 12.0,
    "meeting_strategy": 3.5,
    "meeting_conference": 4.0,
    "meeting_core_group": 4.0,
    "meeting_lac_review": 2.5,
    "supervision_individual": 4.0,
    "supervision_group": 2.5,
    "court": 4.5,
    "training": 5.0,
}
DIARY_ROLES = (
    "Social worker",
    "Social worker",
    "Social worker",
    "Senior practitioner",
    "Team manager",
)


def synthetic_instrument(items: int) -> InstrumentDefinition:
    """A 1–10 scale survey with ``items`` statements (banded 1–3 / 4–6 / 7–10)."""
    bands = [
        {"label": "1–3", "min": 1, "max": 3},
        {"label": "4–6", "min": 4, "max": 6},
        {"label": "7–10", "min": 7, "max": 10},
    ]
    return InstrumentDefinition.model_validate(
        {
            "code": SYNTHETIC_INSTRUMENT,
            "version": items,  # one version per size, so presets never collide
            "title": f"Synthetic staff survey ({items} items)",
            "sections": [
                {
                    "code": "all",
                    "title": "Statements",
                    "items": [
                        {
                            "code": f"s{n:02d}",
                            "kind": "scale",
                            "text": f"Synthetic statement {n}",
                            "min": 1,
                            "max": 10,
                            "bands": bands,
                        }
                        for n in range(1, items + 1)
                    ],
                }
            ],
        }
    )


@dataclass(frozen=True)
class GenerationReport:
    organisations: int
    teams: int
    waves: int
    responses: int
    answers: int
    seconds: float
    diary_entries: int = 0


def generate_synthetic(
    db: Database,
    *,
    orgs: int,
    staff: int,
    waves: int,
    items: int,
    diary_periods: int = 0,
    seed: int = 1,
    progress: Callable[[float], None] | None = None,
) -> GenerationReport:
    """Add ``orgs`` synthetic authorities sharing ``staff`` staff, each with ``waves``
    closed waves of a ``items``-item survey answered by about 85% of staff, and
    ``diary_periods`` closed diary weeks kept by about 85% of staff."""
    started = time.perf_counter()
    rng = random.Random(seed)
    with db.write() as session:
        version = register(session, synthetic_instrument(items))
        version_id = version.id
        item_ids = list(
            session.scalars(
                select(InstrumentItem.id)
                .where(InstrumentItem.instrument_version_id == version_id)
                .order_by(InstrumentItem.position)
            )
        )
        first = int(session.scalar(select(func.count()).select_from(Organisation)) or 0) + 1
    per_org = max(1, staff // orgs)
    totals = {"teams": 0, "waves": 0, "responses": 0, "answers": 0, "diary_entries": 0}
    today = dt.date.today()
    for number in range(first, first + orgs):
        # Each authority has its own confidence level, each team a small offset from it.
        level = rng.uniform(0.35, 0.8)
        with db.write() as session:
            org = Organisation(
                name=f"Synthetic Authority {number:03d}", code=f"synthetic-{number:03d}"
            )
            session.add(org)
            session.flush()
            team_sizes = []
            remaining = per_org
            while remaining > 0:
                size = min(remaining, rng.randint(4, 12))
                team_sizes.append(size)
                remaining -= size
            team_ids = []
            for index, _ in enumerate(team_sizes):
                team = Team(organisation_id=org.id, name=f"Team {index + 1:03d}")
                session.add(team)
                team_ids.append(team)
            session.flush()
            ids = [team.id for team in team_ids]
            totals["teams"] += len(ids)
            for wave_number in range(waves):
                opens = today - dt.timedelta(days=365 * (waves - wave_number))
                wave = Wave(
                    organisation_id=org.id,
                    instrument_version_id=version_id,
                    title=f"Synthetic wave {wave_number + 1}",
                    status="closed",
                    opens_on=opens,
                    closes_on=opens + dt.timedelta(days=21),
                )
                session.add(wave)
                session.flush()
                totals["waves"] += 1
                session.execute(
                    insert(WaveTeam),
                    [
                        {"wave_id": wave.id, "team_id": t, "expected_headcount": s}
                        for t, s in zip(ids, team_sizes, strict=True)
                    ],
                )
                drift = wave_number * 0.03
                responses: list[dict[str, object]] = []
                invitations: list[dict[str, object]] = []
                for team_id, size in zip(ids, team_sizes, strict=True):
                    offset = rng.uniform(-0.1, 0.1)
                    for _ in range(size):
                        answered = rng.random() < 0.85
                        invitations.append(
                            {
                                "wave_id": wave.id,
                                "team_id": team_id,
                                "spent": answered,
                                "token_hash": hash_token(f"{rng.getrandbits(128):032x}"),
                            }
                        )
                        if answered:
                            responses.append(
                                {
                                    "wave_id": wave.id,
                                    "team_id": team_id,
                                    "submitted_on": opens,
                                    "channel": "personal_link",
                                    "_p": min(0.95, max(0.05, level + offset + drift)),
                                }
                            )
                session.execute(insert(Invitation), invitations)
                first_response = (
                    int(session.scalar(select(func.coalesce(func.max(Response.id), 0))) or 0) + 1
                )
                session.execute(
                    insert(Response),
                    [
                        {**{k: v for k, v in r.items() if k != "_p"}, "id": first_response + i}
                        for i, r in enumerate(responses)
                    ],
                )
                answers: list[dict[str, int]] = []
                for i, response in enumerate(responses):
                    p_top = float(response["_p"])  # type: ignore[arg-type]
                    for item_id in item_ids:
                        if rng.random() < 0.03:
                            continue  # skipped
                        draw = rng.random()
                        value = (
                            rng.randint(7, 10)
                            if draw < p_top
                            else rng.randint(4, 6)
                            if draw < p_top + (1 - p_top) * 0.6
                            else rng.randint(1, 3)
                        )
                        answers.append(
                            {"response_id": first_response + i, "item_id": item_id, "value": value}
                        )
                session.execute(insert(Answer), answers)
                totals["responses"] += len(responses)
                totals["answers"] += len(answers)
                rebuild_tallies(session, wave.id)
                seal_wave(session, wave.id)
            for period_number in range(diary_periods):
                totals["diary_entries"] += _diary_period(
                    session, rng, org.id, number, period_number, ids, team_sizes, today
                )
        if progress is not None:
            progress((number - first + 1) / orgs)
    return GenerationReport(
        orgs,
        totals["teams"],
        totals["waves"],
        totals["responses"],
        totals["answers"],
        time.perf_counter() - started,
        totals["diary_entries"],
    )


def _diary_period(
    session: Session,
    rng: random.Random,
    organisation_id: int,
    org_number: int,
    period_number: int,
    team_ids: list[int],
    team_sizes: list[int],
    today: dt.date,
) -> int:
    """One closed diary week (Monday to Sunday) for every team; returns the entry rows."""
    monday = today - dt.timedelta(days=today.weekday() + 7 * (26 * (period_number + 1)))
    period = DiaryPeriod(
        organisation_id=organisation_id,
        title=f"Synthetic diary week {period_number + 1}",
        starts_on=monday,
        ends_on=monday + dt.timedelta(days=6),
        status=DiaryStatus.CLOSED,
    )
    session.add(period)
    session.flush()
    session.execute(
        insert(DiaryPeriodTeam), [{"period_id": period.id, "team_id": t} for t in team_ids]
    )
    first = int(session.scalar(select(func.coalesce(func.max(DiaryParticipant.id), 0))) or 0) + 1
    participants: list[dict[str, object]] = []
    for team_id, size in zip(team_ids, team_sizes, strict=True):
        for _ in range(size):
            fte = rng.choice((1.0, 1.0, 1.0, 0.8, 0.6))
            participants.append(
                {
                    "id": first + len(participants),
                    "period_id": period.id,
                    "team_id": team_id,
                    "worker_ref": f"S{org_number:03d}-{len(participants) + 1:05d}",
                    "role": rng.choice(DIARY_ROLES),
                    "fte": fte,
                    "contracted_hours": round(fte * 37, 2),
                    "token_hash": hash_token(f"{rng.getrandbits(128):032x}"),
                }
            )
    session.execute(insert(DiaryParticipant), participants)
    codes, weights = list(DIARY_WEIGHTS), list(DIARY_WEIGHTS.values())
    entries: list[dict[str, object]] = []
    for person in participants:
        if rng.random() >= 0.85:
            continue  # kept no diary
        days = round(5 * float(person["fte"]))  # type: ignore[arg-type]
        for offset in [*range(days), *([5] if rng.random() < 0.3 else [])]:
            day = monday + dt.timedelta(days=offset)
            count = rng.randint(9, 13) if offset < 5 else 1
            minutes_left = int(min(720, max(300, rng.gauss(555, 60)))) if offset < 5 else 90
            for activity in rng.choices(codes, weights=weights, k=count):
                minutes = max(5, round(minutes_left / count / 5) * 5)
                entries.append(
                    {
                        "participant_id": person["id"],
                        "entry_date": day,
                        "activity": activity if offset < 5 else "recording",
                        "minutes": minutes,
                    }
                )
    if entries:
        session.execute(insert(DiaryEntry), entries)
    seal_period(session, period.id, diary_codes())
    return len(entries)


def rebuild_tallies(session: Session, wave_id: int) -> None:
    """Recompute one wave's tallies from its raw rows (used after bulk loads)."""
    for statement in (
        "DELETE FROM answer_tally WHERE wave_id = :w",
        "DELETE FROM respondent_tally WHERE wave_id = :w",
        """INSERT INTO answer_tally (wave_id, team_id, item_id, value, staff_role,
               employment_type, tenure_band, n)
           SELECT r.wave_id, r.team_id, a.item_id, a.value, COALESCE(r.staff_role, ''),
                  COALESCE(r.employment_type, ''), COALESCE(r.tenure_band, ''), COUNT(*)
           FROM answer a JOIN response r ON r.id = a.response_id WHERE r.wave_id = :w
           GROUP BY r.wave_id, r.team_id, a.item_id, a.value, COALESCE(r.staff_role, ''),
                    COALESCE(r.employment_type, ''), COALESCE(r.tenure_band, '')""",
        """INSERT INTO respondent_tally (wave_id, team_id, staff_role, employment_type,
               tenure_band, n)
           SELECT wave_id, team_id, COALESCE(staff_role, ''), COALESCE(employment_type, ''),
                  COALESCE(tenure_band, ''), COUNT(*)
           FROM response WHERE wave_id = :w
           GROUP BY wave_id, team_id, COALESCE(staff_role, ''), COALESCE(employment_type, ''),
                    COALESCE(tenure_band, '')""",
    ):
        session.execute(text(statement), {"w": wave_id})
