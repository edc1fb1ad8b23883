"""Organisations (local authorities) and their team trees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from sos_workforce.access import audit
from sos_workforce.access.auth import Actor, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.models import Organisation, Team


@dataclass(frozen=True)
class OrganisationSummary:
    id: int
    name: str
    code: str


@dataclass(frozen=True)
class TeamSummary:
    id: int
    name: str
    parent_id: int | None
    depth: int

    @property
    def indented_name(self) -> str:
        """The name marked with its depth, e.g. "↳ Assessment Team North"."""
        return ("\u2003" * (self.depth - 1) + "↳ " if self.depth else "") + self.name


def list_organisations(db: Database, actor: Actor) -> list[OrganisationSummary]:
    require(actor)
    with db.read() as session:
        query = select(Organisation).order_by(Organisation.name)
        if not actor.is_admin:
            query = query.where(Organisation.id.in_(actor.organisation_ids))
        return [OrganisationSummary(o.id, o.name, o.code) for o in session.scalars(query)]


def create_organisation(
    db: Database, actor: Actor | None, name: str, code: str, *, bootstrap: bool = False
) -> int:
    if not bootstrap:
        require(actor, Role.ADMIN)
    name, code = name.strip(), code.strip().lower()
    if not name:
        raise InvalidInput("Enter the organisation's name.")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", code):
        raise InvalidInput("The code must be 2–40 lower-case letters, digits or hyphens.")
    with db.write() as session:
        clash = session.scalar(
            select(Organisation.id).where((Organisation.name == name) | (Organisation.code == code))
        )
        if clash is not None:
            raise InvalidInput("An organisation with that name or code already exists.")
        organisation = Organisation(name=name, code=code)
        session.add(organisation)
        session.flush()
        audit.record_event(session, actor, "organisation_created", organisation_id=organisation.id)
        return organisation.id


def create_team(
    db: Database,
    actor: Actor | None,
    organisation_id: int,
    name: str,
    parent_id: int | None = None,
    *,
    bootstrap: bool = False,
) -> int:
    if not bootstrap:
        require(actor, Role.ADMIN, Role.LEAD, organisation_id=organisation_id)
    name = name.strip()
    if not name:
        raise InvalidInput("Enter the team's name.")
    with db.write() as session:
        if parent_id is not None:
            parent = session.get(Team, parent_id)
            if parent is None or parent.organisation_id != organisation_id:
                raise InvalidInput("The parent team is not in this organisation.")
        exists = session.scalar(
            select(Team.id).where(Team.organisation_id == organisation_id, Team.name == name)
        )
        if exists is not None:
            raise InvalidInput(f"A team called '{name}' already exists.")
        team = Team(organisation_id=organisation_id, name=name, parent_id=parent_id)
        session.add(team)
        session.flush()
        audit.record_event(
            session,
            actor,
            "team_created",
            organisation_id=organisation_id,
            target=f"team:{team.id}",
        )
        return team.id


def team_tree(teams: list[tuple[int, str, int | None]]) -> list[TeamSummary]:
    """Order (id, name, parent_id) rows depth-first, parents before children."""
    children: dict[int | None, list[tuple[int, str, int | None]]] = {}
    ids = {team_id for team_id, _, _ in teams}
    for row in teams:
        parent = row[2] if row[2] in ids else None
        children.setdefault(parent, []).append(row)
    ordered: list[TeamSummary] = []

    def visit(parent: int | None, depth: int) -> None:
        for team_id, name, parent_id in sorted(children.get(parent, []), key=lambda r: r[1]):
            ordered.append(TeamSummary(team_id, name, parent_id, depth))
            visit(team_id, depth + 1)

    visit(None, 0)
    return ordered


def list_teams(db: Database, actor: Actor, organisation_id: int) -> list[TeamSummary]:
    require(actor, organisation_id=organisation_id)
    with db.read() as session:
        if session.get(Organisation, organisation_id) is None:
            raise NotFound("No such organisation.")
        rows = session.execute(
            select(Team.id, Team.name, Team.parent_id).where(
                Team.organisation_id == organisation_id
            )
        )
        return team_tree(list(rows))
