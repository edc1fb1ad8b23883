"""Organisations (local authorities) and their team trees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sos_workforce.access import audit
from sos_workforce.access.auth import Actor, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.models import Organisation, Team

# DfE's codes for a local authority: the 3-digit old LA code (the key of the
# statistical-neighbour model) and the ONS code (new LA code, E06/E08/E09/E10 + 6 digits).
OLD_LA_CODE = re.compile(r"\d{3}")
NEW_LA_CODE = re.compile(r"E\d{8}")


@dataclass(frozen=True)
class OrganisationSummary:
    id: int
    name: str
    code: str
    old_la_code: str | None = None
    new_la_code: str | None = None


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
        return [
            OrganisationSummary(o.id, o.name, o.code, o.old_la_code, o.new_la_code)
            for o in session.scalars(query)
        ]


def clean_la_codes(
    old_la_code: str | None, new_la_code: str | None
) -> tuple[str | None, str | None]:
    """DfE LA codes as stored (blank: none); ``InvalidInput`` says what a code looks like."""
    old = (old_la_code or "").strip() or None
    new = (new_la_code or "").strip().upper() or None
    if old is not None and not OLD_LA_CODE.fullmatch(old):
        raise InvalidInput(
            f"The old LA code '{old}' should be DfE's 3-digit code for the authority (e.g. "
            "304 for Brent)."
        )
    if new is not None and not NEW_LA_CODE.fullmatch(new):
        raise InvalidInput(
            f"The new LA code '{new}' should be the 9-character ONS code, 'E' and 8 digits "
            "(e.g. E09000005 for Brent)."
        )
    return old, new


def _refuse_la_code_clash(
    session: Session, old: str | None, new: str | None, organisation_id: int | None
) -> None:
    for column, code in ((Organisation.old_la_code, old), (Organisation.new_la_code, new)):
        if code is None:
            continue
        holder = session.scalar(
            select(Organisation.name).where(column == code, Organisation.id != organisation_id)
        )
        if holder is not None:
            raise InvalidInput(f"The LA code {code} already belongs to {holder}.")


def create_organisation(
    db: Database,
    actor: Actor | None,
    name: str,
    code: str,
    *,
    old_la_code: str | None = None,
    new_la_code: str | None = None,
    bootstrap: bool = False,
) -> int:
    if not bootstrap:
        require(actor, Role.ADMIN)
    name, code = name.strip(), code.strip().lower()
    if not name:
        raise InvalidInput("Enter the organisation's name.")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", code):
        raise InvalidInput("The code must be 2–40 lower-case letters, digits or hyphens.")
    old, new = clean_la_codes(old_la_code, new_la_code)
    with db.write() as session:
        clash = session.scalar(
            select(Organisation.id).where((Organisation.name == name) | (Organisation.code == code))
        )
        if clash is not None:
            raise InvalidInput("An organisation with that name or code already exists.")
        _refuse_la_code_clash(session, old, new, None)
        organisation = Organisation(name=name, code=code, old_la_code=old, new_la_code=new)
        session.add(organisation)
        session.flush()
        audit.record_event(session, actor, "organisation_created", organisation_id=organisation.id)
        return organisation.id


def set_la_codes(
    db: Database,
    actor: Actor | None,
    organisation_id: int,
    *,
    old_la_code: str | None,
    new_la_code: str | None,
    bootstrap: bool = False,
) -> None:
    """Set (or clear, with blanks) the organisation's DfE LA codes, which link it to DfE's
    published figures and statistical neighbours (administrators; audited)."""
    if not bootstrap:
        require(actor, Role.ADMIN)
    old, new = clean_la_codes(old_la_code, new_la_code)
    with db.write() as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound("No such organisation.")
        _refuse_la_code_clash(session, old, new, organisation_id)
        organisation.old_la_code, organisation.new_la_code = old, new
        audit.record_event(
            session,
            actor,
            "la_codes_set",
            organisation_id=organisation_id,
            detail=f"old={old or '-'} new={new or '-'}",
        )


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
