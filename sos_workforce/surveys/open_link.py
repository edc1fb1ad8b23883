"""The organisation's open link (kiosk, paper-to-screen): one link per wave that anyone
with it can use; each use picks a team and mints a single-use invitation for it, so drafts
and exactly-once submission work as for personal links.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event
from sos_workforce.core.config import Settings
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Channel, Role, WaveStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.core.links import mint_token, open_link_url
from sos_workforce.core.models import (
    Invitation,
    OpenLinkPending,
    OpenLinkStart,
    Organisation,
    RespondentTally,
    Response,
    ResponseDraft,
    Team,
    Wave,
    WaveTeam,
)
from sos_workforce.core.security import hash_token, is_well_formed_token
from sos_workforce.privacy import GroupCount, gated_counts, suppress_filtered
from sos_workforce.surveys.instruments import definition_of
from sos_workforce.surveys.waves import _wave, _wave_for

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
        raise LinkRefused(
            f"This survey opens on {as_date(wave.opens_on, long=True)}. Please come back then."
        )
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


@dataclass(frozen=True)
class OpenLinkLimits:
    """What one team may take through the open link (settings ``SOS_OPEN_LINK_*``)."""

    headcount_multiple: float = 1.5
    cap_without_headcount: int = 30
    starts_per_minute: int = 6
    expiry_hours: int = 24

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenLinkLimits:
        return cls(
            headcount_multiple=settings.open_link_headcount_multiple,
            cap_without_headcount=settings.open_link_cap_without_headcount,
            starts_per_minute=settings.open_link_starts_per_minute,
            expiry_hours=settings.open_link_start_expiry_hours,
        )

    def cap(self, expected_headcount: int) -> int:
        """Starts a team may have: its headcount times the multiple, rounded up (a count
        of people, so a part of one is one more), or the fixed cap without a headcount."""
        if expected_headcount <= 0:
            return self.cap_without_headcount
        return math.ceil(expected_headcount * self.headcount_multiple - 1e-9)


_RATE_WINDOW = dt.timedelta(minutes=1)
_TEAM_FULL = (
    "This team has already had as many answers through this link as it has people. "
    "If you have not answered yet, please ask the person running the survey for a "
    "personal link."
)
_TOO_FAST = (
    "Several people have just started the survey for this team. Please wait a minute and try again."
)


def expire_open_starts(session: Session, now: dt.datetime, expiry_hours: int) -> int:
    """Delete unspent open-link invitations (and any draft kept for them) started more
    than ``expiry_hours`` ago, and rate-limit rows older than the rate window. Returns how
    many invitations went."""
    cutoff = now - dt.timedelta(hours=expiry_hours)
    stale = (
        select(Invitation.id)
        .join(OpenLinkPending, OpenLinkPending.invitation_id == Invitation.id)
        .where(
            Invitation.channel == Channel.OPEN_LINK,
            Invitation.spent.is_(False),
            OpenLinkPending.started_at < cutoff,
        )
    )
    ids = list(session.scalars(stale))
    gone = 0
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        session.execute(
            delete(ResponseDraft).where(
                ResponseDraft.token_hash.in_(
                    select(Invitation.token_hash).where(Invitation.id.in_(chunk))
                )
            )
        )
        session.execute(delete(OpenLinkPending).where(OpenLinkPending.invitation_id.in_(chunk)))
        gone += len(chunk)
        session.execute(delete(Invitation).where(Invitation.id.in_(chunk)))
    session.execute(delete(OpenLinkStart).where(OpenLinkStart.started_at < now - _RATE_WINDOW))
    return gone


def start_open_response(
    db: Database,
    token: str,
    team_id: int,
    *,
    limits: OpenLinkLimits | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Mint a single-use personal token for one response through the open link, for the
    chosen team. The caller continues with it exactly as with a personal link.

    Refused (``LinkRefused``, plain words) when the team already has its cap of starts
    (spent, plus unspent ones not yet expired) or when ``starts_per_minute`` were made for
    it in the last minute. Abandoned starts older than ``expiry_hours`` are deleted first."""
    limits = limits or OpenLinkLimits()
    now = now or dt.datetime.now(dt.UTC)
    today = today or now.date()
    personal = mint_token()
    with db.write() as session:
        wave = _open_link_wave(session, token, today)
        # The team's audience row, locked: concurrent starts for one team take turns, so
        # the cap and the rate cannot be overrun by starting at the same moment.
        expected = session.scalar(
            select(WaveTeam.expected_headcount)
            .where(WaveTeam.wave_id == wave.id, WaveTeam.team_id == team_id)
            .with_for_update()
        )
        if expected is None:
            raise InvalidInput("Choose one of the teams listed.")
        expire_open_starts(session, now, limits.expiry_hours)
        taken = session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.wave_id == wave.id,
                Invitation.team_id == team_id,
                Invitation.channel == Channel.OPEN_LINK,
            )
        )
        if int(taken or 0) >= limits.cap(expected):
            raise LinkRefused(_TEAM_FULL)
        recent = session.scalar(
            select(func.count())
            .select_from(OpenLinkStart)
            .where(
                OpenLinkStart.wave_id == wave.id,
                OpenLinkStart.team_id == team_id,
                OpenLinkStart.started_at >= now - _RATE_WINDOW,
            )
        )
        if int(recent or 0) >= limits.starts_per_minute:
            raise LinkRefused(_TOO_FAST)
        session.add(OpenLinkStart(wave_id=wave.id, team_id=team_id, started_at=now))
        invitation = Invitation(
            wave_id=wave.id,
            team_id=team_id,
            token_hash=hash_token(personal),
            spent=False,
            channel=Channel.OPEN_LINK,
        )
        session.add(invitation)
        session.flush()
        session.add(OpenLinkPending(invitation_id=invitation.id, started_at=now))
    return personal


# --- answers by channel ----------------------------------------------------------------


@dataclass(frozen=True)
class ChannelCount:
    team: str
    expected: int
    open_link: int | None  # None: not shown (the gate holds it back)
    personal_link: int | None
    total: int | None  # as the response rates show it (the same gate, the same tallies)

    @property
    def over_headcount(self) -> bool:
        """More answers than the team has people: a sign the open link was over-used."""
        return self.total is not None and self.expected > 0 and self.total > self.expected


@dataclass(frozen=True)
class ChannelCounts:
    min_group_size: int
    teams: list[ChannelCount]
    overall: ChannelCount
    # False once the retention purge has deleted the raw responses: the totals remain
    # (from the kept tallies), the split by link does not.
    by_link_available: bool = True


_ALL_TEAMS = 0  # the root of the count tree (team ids start at 1)


def answers_by_channel(
    db: Database, actor: Actor, wave_id: int, *, min_group_size: int
) -> ChannelCounts:
    """Per team (with its sub-teams) and overall: how many released answers came through
    the open link and how many through personal links, and whether a team's answers exceed
    its expected headcount.

    Only released answers count (``response`` rows and the tallies, written by releases
    in steps of at least k; never the pool). Totals, and so the flag, are those of
    ``response_rates``: the same tallies through the same gate. The channel splits each
    team into two cells, so the counts by link pass the gate as a filter does
    (``suppress_filtered``): a team's counts by link are shown only when its total, its
    open-link count and its personal-link count are each 0 or at least k, after
    complementary suppression over the team tree, so no count can be worked out by
    subtracting shown ones. A flag is raised only on a shown total."""
    with db.read() as session:
        wave = _wave_for(session, actor, wave_id, Role.LEAD, Role.EXECUTIVE)
        counts = session.execute(
            select(Response.team_id, Response.channel, func.count())
            .where(Response.wave_id == wave_id)
            .group_by(Response.team_id, Response.channel)
        ).all()
        tallied = dict(
            session.execute(
                select(RespondentTally.team_id, func.sum(RespondentTally.n))
                .where(RespondentTally.wave_id == wave_id)
                .group_by(RespondentTally.team_id)
            ).all()
        )
        tree = session.execute(
            select(Team.id, Team.parent_id).where(Team.organisation_id == wave.organisation_id)
        ).all()
        audience = session.execute(
            select(Team.id, Team.name, WaveTeam.expected_headcount)
            .join(WaveTeam, WaveTeam.team_id == Team.id)
            .where(WaveTeam.wave_id == wave_id)
            .order_by(Team.name)
        ).all()
    parents: dict[int, int | None] = {_ALL_TEAMS: None}
    parents.update({team_id: parent_id or _ALL_TEAMS for team_id, parent_id in tree})
    people = [
        (int(team_id), (channel is Channel.OPEN_LINK,), int(n)) for team_id, channel, n in counts
    ]
    totals = gated_counts(
        {
            team: GroupCount(parent, int(tallied.get(team, 0)) if team != _ALL_TEAMS else 0)
            for team, parent in parents.items()
        },
        min_group_size,
    )
    responses: dict[int, int] = {}
    for team_id, _, n in people:
        responses[team_id] = responses.get(team_id, 0) + n
    # The split by link needs the raw responses, which the retention purge deletes.
    available = all(
        int(tallied.get(t, 0)) == responses.get(t, 0) for t in set(tallied) | set(responses)
    )
    shown = suppress_filtered(parents, people, min_group_size) if available else set()
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)

    def below(team: int) -> set[int]:
        found, todo = set(), [team]
        while todo:
            node = todo.pop()
            if node not in found:
                found.add(node)
                todo.extend(children.get(node, []))
        return found

    expected_own = {team_id: expected for team_id, _, expected in audience}

    def count(team: int, name: str) -> ChannelCount:
        members = below(team)
        expected = sum(expected_own.get(t, 0) for t in members)
        if team not in shown:
            return ChannelCount(name, expected, None, None, totals[team])
        open_n = sum(n for t, (is_open,), n in people if t in members and is_open)
        personal_n = sum(n for t, (is_open,), n in people if t in members and not is_open)
        return ChannelCount(name, expected, open_n, personal_n, totals[team])

    return ChannelCounts(
        min_group_size,
        [count(team_id, name) for team_id, name, _ in audience],
        count(_ALL_TEAMS, "All teams"),
        available,
    )
