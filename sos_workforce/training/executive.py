"""For executives: each team's trained coverage beside its confidence bands (team level
only, every figure through the gate: coverage on the team's roster size, confidence on
its respondents), and the in-house trainers against the target (``optins``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from sos_workforce.access import Actor, require, team_tree
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role, WaveStatus
from sos_workforce.core.models import InstrumentItem, Team, Wave
from sos_workforce.surveys import load_wave_counts
from sos_workforce.training.coverage import coverage_report

CONFIDENCE_ITEM = "understanding"  # a wave asking it is a confidence survey
BESIDE_LEVELS = ("introduction", "advanced")


@dataclass(frozen=True)
class TeamBeside:
    team: str
    trained: dict[str, float | None]  # level → % of the team's current staff (None: hidden)
    respondents: int | None  # None: the team's confidence bands are withheld
    top_band: dict[str, float | None]  # statement → % in the top band
    on_roster: bool = True  # False: no roster team of this name, so no coverage to show


@dataclass(frozen=True)
class CoverageBeside:
    wave_title: str | None  # None: no confidence survey has closed
    top_band_label: str
    statements: list[str]
    teams: list[TeamBeside]


def coverage_beside_confidence(
    db: Database, actor: Actor, organisation_id: int, k: int, *, today: dt.date | None = None
) -> CoverageBeside:
    """Per top-level team (roster teams counted in the team of that name, or in the
    top-level team above it, as the survey's tables count sub-teams): trained shares of the
    team's current staff beside the share in the top confidence band of the latest closed
    confidence survey. Shares only, as executives see them, whoever asks."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        tree = team_tree(
            list(
                session.execute(
                    select(Team.id, Team.name, Team.parent_id).where(
                        Team.organisation_id == organisation_id
                    )
                ).tuples()
            )
        )
    # A roster's team counts in the top-level team it belongs to (a service with its
    # sub-teams), as the survey's team tables do; the tree lists each top-level team
    # before the teams below it.
    top_of: dict[str, str] = {}
    top_name = ""
    for node in tree:
        if node.depth == 0:
            top_name = node.name
        top_of[node.name.casefold()] = top_name
    coverage = coverage_report(
        db,
        actor,
        organisation_id,
        k,
        today=today,
        shares_only=True,
        team_of=lambda name: top_of.get(name.casefold(), name),
    )
    by_team = {team.name.casefold(): team for team in coverage.teams}
    with db.read() as session:
        wave = session.execute(
            select(Wave.id, Wave.title)
            .join(
                InstrumentItem, InstrumentItem.instrument_version_id == Wave.instrument_version_id
            )
            .where(
                Wave.organisation_id == organisation_id,
                Wave.status == WaveStatus.CLOSED,
                InstrumentItem.code == CONFIDENCE_ITEM,
            )
            .order_by(Wave.closes_on.desc(), Wave.id.desc())
            .limit(1)
        ).first()
    teams: list[TeamBeside] = []
    statements: list[str] = []
    label = ""
    if wave is None:
        for team in coverage.teams:
            trained = {level: team.shares.get(level) for level in BESIDE_LEVELS}
            teams.append(TeamBeside(team.name, trained, None, {}))
        return CoverageBeside(None, label, statements, teams)
    counts = load_wave_counts(db, actor, wave.id)
    top_level = sorted(
        (team_id for team_id, parent in counts.parents.items() if parent == 0),
        key=lambda team_id: counts.names[team_id],
    )
    for team_id in top_level:
        name = counts.names[team_id]
        tables = counts.tables_for(team_id, k)
        top: dict[str, float | None] = {}
        respondents = None
        for table in tables:
            label = table.band_labels[-1]
            respondents = table.respondents
            for row in table.rows:
                if row.text not in statements:
                    statements.append(row.text)
                top[row.text] = row.percents[-1] if row.percents else None
        found = by_team.get(name.casefold())
        trained = {
            level: None if found is None else found.shares.get(level) for level in BESIDE_LEVELS
        }
        teams.append(TeamBeside(name, trained, respondents, top, on_roster=found is not None))
    return CoverageBeside(wave.title, label, statements, teams)
