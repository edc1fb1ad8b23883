"""The organisation's open link (kiosk, paper-to-screen): one link per wave that anyone
with it can use; each use picks a team and mints a single-use invitation for it, so drafts
and exactly-once submission work as for personal links.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Channel, Role, WaveStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.core.links import mint_token, open_link_url
from sos_workforce.core.models import (
    Invitation,
    Organisation,
    Team,
    Wave,
    WaveTeam,
)
from sos_workforce.core.security import hash_token, is_well_formed_token
from sos_workforce.surveys.instruments import definition_of
from sos_workforce.surveys.waves import _wave

# --- open organisation link ------------------------------------------------------------


def issue_open_link(db: Database, actor: Actor, wave_id: int, *, base_url: str) -> str:
    """A link anyone in the audience can use, choosing their team (paper-to-screen, kiosk).
    Issuing again replaces the previous link, which stops working. Shown once; only its
    hash is stored."""
    token = mint_token()
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        if wave.status is WaveStatus.CLOSED:
            raise InvalidInput("This wave is closed; reopen it before issuing an open link.")
        wave.open_link_hash = hash_token(token)
        record_event(
            session,
            actor,
            "open_link_issued",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
        )
    return open_link_url(base_url, token)


@dataclass(frozen=True)
class OpenLinkForm:
    wave_title: str
    organisation: str
    survey_title: str
    teams: list[tuple[int, str]]


_INVALID_OPEN_LINK = (
    "This link is not valid. Please check that you copied the whole link, or ask the "
    "person who gave it to you for a new one."
)


def _open_link_wave(session: Session, token: str, today: dt.date) -> Wave:
    if not is_well_formed_token(token):
        raise LinkRefused(_INVALID_OPEN_LINK)
    wave = session.scalar(select(Wave).where(Wave.open_link_hash == hash_token(token)))
    if wave is None:
        raise LinkRefused(_INVALID_OPEN_LINK)
    if wave.status is WaveStatus.DRAFT or today < wave.opens_on:
        raise LinkRefused(f"This survey opens on {wave.opens_on:%d %B %Y}. Please come back then.")
    if wave.status is WaveStatus.CLOSED or today > wave.closes_on:
        raise LinkRefused("This survey has closed. Thank you for your interest.")
    return wave


def open_link_form(db: Database, token: str, *, today: dt.date | None = None) -> OpenLinkForm:
    """What the open link shows first: the survey and the teams to choose from."""
    today = today or dt.date.today()
    with db.read() as session:
        wave = _open_link_wave(session, token, today)
        teams = session.execute(
            select(Team.id, Team.name)
            .join(WaveTeam, WaveTeam.team_id == Team.id)
            .where(WaveTeam.wave_id == wave.id)
            .order_by(Team.name)
        ).all()
        return OpenLinkForm(
            wave_title=wave.title,
            organisation=session.get_one(Organisation, wave.organisation_id).name,
            survey_title=definition_of(wave.instrument_version).title,
            teams=[(team_id, name) for team_id, name in teams],
        )


def start_open_response(
    db: Database, token: str, team_id: int, *, today: dt.date | None = None
) -> str:
    """Mint a single-use personal token for one response through the open link, for the
    chosen team. The caller continues with it exactly as with a personal link."""
    today = today or dt.date.today()
    personal = mint_token()
    with db.write() as session:
        wave = _open_link_wave(session, token, today)
        in_audience = session.scalar(
            select(WaveTeam.team_id).where(WaveTeam.wave_id == wave.id, WaveTeam.team_id == team_id)
        )
        if in_audience is None:
            raise InvalidInput("Choose one of the teams listed.")
        session.add(
            Invitation(
                wave_id=wave.id,
                team_id=team_id,
                token_hash=hash_token(personal),
                spent=False,
                channel=Channel.OPEN_LINK,
            )
        )
    return personal
