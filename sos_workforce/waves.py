"""The wave lifecycle beyond launch, and distribution.

Lifecycle: draft → open → closed, and closed → open again only with a reason (audited).
``surveys.launch_wave`` creates a wave (draft or open) and ``surveys.close_wave`` closes it.

Distribution: personal single-use links (issued at launch, from headcounts or an audience
roster), an open organisation link with a team picker (each use mints a fresh single-use
link for the chosen team, so drafts, resume and exactly-once work the same way), and the
"not yet responded" list for reminders, which names only people on an audience roster who
have not sent a response and never says what anyone answered.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sos_workforce import audit, tallies
from sos_workforce.auth import Actor, require
from sos_workforce.db import Database
from sos_workforce.enums import Channel, Role, WaveStatus
from sos_workforce.errors import InvalidInput, LinkRefused, NotFound
from sos_workforce.exports import csv_bytes
from sos_workforce.instruments import TextItem, definition_of
from sos_workforce.models import (
    InstrumentItem,
    Invitation,
    Organisation,
    RespondentTally,
    Team,
    TextAnswer,
    Wave,
    WaveTeam,
)
from sos_workforce.organisations import list_teams
from sos_workforce.security import hash_token, is_well_formed_token, new_token
from sos_workforce.surveys import AudienceMember
from sos_workforce.tabular import (
    Column,
    Progress,
    normalise_staff_id,
    parse_rows,
    propose_mapping,
    read_table,
)

MIN_REASON_LENGTH = 10


def _wave(session: Session, actor: Actor, wave_id: int, *roles: Role) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound("No such survey wave.")
    require(actor, *roles, organisation_id=wave.organisation_id)
    return wave


# --- lifecycle ------------------------------------------------------------------------


def open_wave(db: Database, actor: Actor, wave_id: int, *, today: dt.date | None = None) -> None:
    """Open a draft wave now (its links start working today)."""
    today = today or dt.date.today()
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        if wave.status is not WaveStatus.DRAFT:
            raise InvalidInput(f"Only a draft wave can be opened; this one is {wave.status}.")
        if wave.closes_on < today:
            raise InvalidInput("The close date of this draft has passed; discard it instead.")
        wave.status = WaveStatus.OPEN
        wave.opens_on = min(wave.opens_on, today)
        audit.record(
            session,
            actor,
            "wave_opened",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
        )


def reopen_wave(
    db: Database,
    actor: Actor,
    wave_id: int,
    *,
    reason: str,
    closes_on: dt.date,
    today: dt.date | None = None,
) -> None:
    """Open a closed wave again until ``closes_on``; the reason is kept in the audit log."""
    today = today or dt.date.today()
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput("Say why the wave is being reopened (at least a short sentence).")
    if closes_on < today:
        raise InvalidInput("The new close date must be today or later.")
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        if wave.status is not WaveStatus.CLOSED:
            raise InvalidInput(f"Only a closed wave can be reopened; this one is {wave.status}.")
        wave.status = WaveStatus.OPEN
        wave.closes_on = closes_on
        # The sealed whole-wave tallies describe a closed wave; they are rewritten on close.
        tallies.unseal_wave(session, wave.id)
        audit.record(
            session,
            actor,
            "wave_reopened",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
            detail=f"until {closes_on.isoformat()}: {reason}"[:500],
        )


def discard_draft_wave(db: Database, actor: Actor, wave_id: int) -> None:
    """Delete a wave that was never opened, with its links."""
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        if wave.status is not WaveStatus.DRAFT:
            raise InvalidInput("Only a draft wave can be discarded; close an open wave instead.")
        links = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.wave_id == wave.id)
        )
        organisation_id, title = wave.organisation_id, wave.title
        session.delete(wave)
        audit.record(
            session,
            actor,
            "wave_discarded",
            organisation_id=organisation_id,
            target=f"wave:{wave_id}",
            count=int(links or 0),
            detail=title[:200],
        )


# --- audience roster ---------------------------------------------------------------------

AUDIENCE_COLUMNS = [
    Column("staff_ref", "Staff id", synonyms=("staff id", "employee id", "id", "payroll number")),
    Column("team", "Team", synonyms=("team name", "unit", "service")),
    Column("role", "Role", required=False, synonyms=("job title", "post")),
    Column(
        "employment_type",
        "Employment type",
        required=False,
        synonyms=("contract", "contract type", "permanent or agency"),
    ),
    Column(
        "email", "Email", required=False, max_length=320, synonyms=("email address", "work email")
    ),
]


def audience_template() -> bytes:
    """A CSV template with one example row."""
    return csv_bytes(
        [c.label for c in AUDIENCE_COLUMNS],
        [
            [
                "SW0001",
                "Assessment Team North",
                "Social worker",
                "permanent",
                "a.worker@example.gov.uk",
            ]
        ],
    )


@dataclass(frozen=True)
class AudiencePreview:
    members: list[AudienceMember]
    per_team: dict[str, int]


def read_audience(
    db: Database,
    actor: Actor,
    organisation_id: int,
    *,
    data: bytes,
    filename: str,
    mapping: dict[str, str | None] | None = None,
    progress: Progress | None = None,
) -> AudiencePreview:
    """Read an audience roster (CSV/XLSX: staff id, team, role, employment type, email).
    Every problem is listed by row; nothing is stored until the wave is launched.

    Role and employment type are accepted so an HR export can be used as it is, but they
    are not kept: grouping in anonymous waves comes from the respondent's own answers, so a
    response is never tied to roster attributes."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    table = read_table(data, filename)
    records = parse_rows(
        table,
        mapping or propose_mapping(table.headers, AUDIENCE_COLUMNS),
        AUDIENCE_COLUMNS,
        progress,
    )
    teams = {
        " ".join(team.name.split()).casefold(): team
        for team in list_teams(db, actor, organisation_id)
    }
    problems: list[str] = []
    seen: dict[str, int] = {}
    members: list[AudienceMember] = []
    for line, record in enumerate(records, 2):
        ref = normalise_staff_id(record["staff_ref"])
        if ref in seen:
            problems.append(f"Row {line}: staff id {ref} also appears in row {seen[ref]}.")
        seen[ref] = line
        team = teams.get(" ".join(str(record["team"]).split()).casefold())
        if team is None:
            problems.append(f"Row {line}: there is no team called '{record['team']}'.")
            continue
        email = record.get("email")
        if email is not None and "@" not in str(email):
            problems.append(f"Row {line}: '{email}' is not an email address.")
        members.append(AudienceMember(ref, team.id, str(email).strip() if email else None))
    if problems:
        raise InvalidInput(
            f"Nothing was read: {len(problems)} problem(s) found.\n" + "\n".join(problems[:50]),
            problems[:50],
        )
    names = {team.id: team.name for team in teams.values()}
    return AudiencePreview(
        members, dict(sorted(Counter(names[m.team_id] for m in members).items()))
    )


@dataclass(frozen=True)
class NotYetResponded:
    staff_ref: str
    team: str


def not_yet_responded(db: Database, actor: Actor, wave_id: int) -> list[NotYetResponded]:
    """People on the wave's audience roster whose link has not been used to send a
    response, for reminders. Says nothing about what anyone answered; each view is audited."""
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        rows = session.execute(
            select(Invitation.roster_ref, Team.name)
            .join(Team, Team.id == Invitation.team_id)
            .where(
                Invitation.wave_id == wave.id,
                Invitation.roster_ref.is_not(None),
                Invitation.spent.is_(False),
            )
            .order_by(Team.name, Invitation.roster_ref)
        ).all()
        audit.record(
            session,
            actor,
            "non_responders_listed",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
            count=len(rows),
        )
        return [NotYetResponded(str(ref), team) for ref, team in rows]


# --- open organisation link ------------------------------------------------------------


def open_link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/survey?o={token}"


def issue_open_link(db: Database, actor: Actor, wave_id: int, *, base_url: str) -> str:
    """A link anyone in the audience can use, choosing their team (paper-to-screen, kiosk).
    Issuing again replaces the previous link, which stops working. Shown once; only its
    hash is stored."""
    token = new_token()
    with db.write() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD)
        if wave.status is WaveStatus.CLOSED:
            raise InvalidInput("This wave is closed; reopen it before issuing an open link.")
        wave.open_link_hash = hash_token(token)
        audit.record(
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
    personal = new_token()
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


# --- free text ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Comments:
    item_code: str
    question: str
    respondents: int | None  # None when withheld
    comments: list[str]  # empty when withheld


def free_text(
    db: Database, actor: Actor, wave_id: int, *, min_group_size: int, team_id: int | None = None
) -> list[Comments]:
    """Comments per text question, for the whole wave or one team, shown only when that
    group has at least twice the minimum group size of respondents. Comments are sorted
    alphabetically, so their order cannot be matched to who answered when."""
    threshold = 2 * min_group_size
    with db.read() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD, Role.EXECUTIVE)
        definition = definition_of(wave.instrument_version)
        respondents_query = select(func.coalesce(func.sum(RespondentTally.n), 0)).where(
            RespondentTally.wave_id == wave.id
        )
        texts_query = (
            select(InstrumentItem.code, TextAnswer.body)
            .join(InstrumentItem, InstrumentItem.id == TextAnswer.item_id)
            .where(TextAnswer.wave_id == wave.id)
        )
        if team_id is not None:
            respondents_query = respondents_query.where(RespondentTally.team_id == team_id)
            texts_query = texts_query.where(TextAnswer.team_id == team_id)
        respondents = int(session.scalar(respondents_query) or 0)
        shown = respondents >= threshold
        bodies: dict[str, list[str]] = {}
        if shown:
            for code, body in session.execute(texts_query):
                bodies.setdefault(code, []).append(body)
    result = []
    for item in definition.items:
        if not isinstance(item, TextItem):
            continue
        comments = sorted(bodies.get(item.code, []), key=str.casefold)
        result.append(
            Comments(
                item.code, item.text, respondents if shown else None, comments if shown else []
            )
        )
    return result
