"""Survey waves from launch to close: launch (headcounts or a roster audience, draft or
open, one single-use link per person), the lifecycle (draft → open → closed, and closed →
open again only with a reason, audited; a draft can be discarded), audience roster files,
and response rates under the disclosure gate. How links reach people (email, reminders,
the administrator's links file) is in ``delivery``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, list_teams, record_event, require
from sos_workforce.core.config import get_settings
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Channel, Role, WaveStatus
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.links import mint_token
from sos_workforce.core.models import (
    Instrument,
    InstrumentVersion,
    Invitation,
    InvitationIdentity,
    RespondentTally,
    Team,
    Wave,
    WaveTeam,
)
from sos_workforce.core.security import hash_token
from sos_workforce.core.tabular import (
    Column,
    Progress,
    normalise_staff_id,
    parse_rows,
    propose_mapping,
    read_table,
)
from sos_workforce.mail import (
    MailScope,
    MailTemplate,
    check_emailed,
    forget_recipients,
    is_valid_address,
    schedule,
)
from sos_workforce.privacy import GroupCount, gated_counts
from sos_workforce.surveys import release, tallies
from sos_workforce.surveys.delivery import IssuedLink, queue_invitations
from sos_workforce.surveys.instruments import check_offered, definition_of

MAX_HEADCOUNT = 2000
MIN_RELEASE_STEP = 3  # as Settings.min_group_size


# --- waves ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudienceMember:
    """One person of a roster audience: a personal link each, headcount per team."""

    staff_ref: str
    team_id: int
    email: str | None = None
    name: str | None = None  # kept only for a wave that allows opt-ins (training)


@dataclass(frozen=True)
class LaunchedWave:
    wave_id: int
    # Never filled by a launch: personal links go by email, or as a file an administrator
    # allows per wave (``issue_links_file``). Kept for callers that build one from the file.
    links: list[IssuedLink] = field(default_factory=list)
    queued: int = 0  # invitation emails queued


def launch_wave(
    db: Database,
    actor: Actor,
    *,
    organisation_id: int,
    instrument_version_id: int,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    headcounts: Mapping[int, int] | None = None,
    audience: Sequence[AudienceMember] | None = None,
    base_url: str,
    allow_identified: bool = False,
    allow_optin: bool = False,
    draft: bool = False,
    release_step: int | None = None,
    live_results: bool = True,
    email: MailTemplate | None = None,
    today: dt.date | None = None,
) -> LaunchedWave:
    """Create a wave for the chosen teams and one single-use link per expected member of
    staff: either ``headcounts`` per team, or an ``audience`` roster (one link per person,
    the headcount is the roster's count per team). Only the links' hashes are stored and
    the links are never returned: with ``email`` (a roster where everyone has an address)
    each link is emailed by the app from the outbox (a draft's once it opens); otherwise
    people answer through the open link, or through a links file an administrator allows
    for this wave. A ``draft`` wave refuses responses until it is opened.

    Results of the wave change in steps of ``release_step`` people (default: the minimum
    group size in settings), fixed for the wave's life (``surveys.release``). Without
    ``live_results`` nothing shows until the wave closes, and then every answer counts;
    with them, a few answers that arrive after the last step may be held back at close."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    if allow_optin and not (audience and any(member.email for member in audience)):
        raise InvalidInput(
            "Asking for support or to become a trainer needs a roster audience with email "
            "addresses: the request carries the name and address of the person's invitation."
        )
    step = release_step if release_step is not None else get_settings().min_group_size
    if step < MIN_RELEASE_STEP:
        raise InvalidInput(f"Results must be released in steps of at least {MIN_RELEASE_STEP}.")
    today = today or dt.date.today()
    addresses: list[str] = []
    if email is not None:
        if not audience:
            raise InvalidInput("Emailed invitations need a roster with everyone's email address.")
        email, addresses = check_emailed(
            [member.staff_ref for member in audience], [m.email for m in audience], email
        )
    if audience is not None:
        if headcounts:
            raise InvalidInput("Give either headcounts per team or a roster, not both.")
        if not audience:
            raise InvalidInput("The roster has nobody in it.")
        refs = [member.staff_ref for member in audience]
        if len(set(refs)) != len(refs):
            raise InvalidInput("A staff id appears twice in the roster.")
        headcounts = dict(Counter(member.team_id for member in audience))
    headcounts = headcounts or {}
    title = title.strip()
    if not title:
        raise InvalidInput("Give the wave a title, e.g. 'Autumn 2026 confidence survey'.")
    if closes_on < opens_on:
        raise InvalidInput("The close date must be on or after the open date.")
    if closes_on < today:
        raise InvalidInput("The close date is in the past.")
    if not headcounts:
        raise InvalidInput("Choose at least one team.")
    for headcount in headcounts.values():
        if not 1 <= headcount <= MAX_HEADCOUNT:
            raise InvalidInput(f"Each team's headcount must be between 1 and {MAX_HEADCOUNT}.")
    with db.write() as session:
        version = session.get(InstrumentVersion, instrument_version_id)
        if version is None:
            raise InvalidInput("That instrument version does not exist.")
        check_offered(version, organisation_id)
        if definition_of(version).collection == "continuous":
            raise InvalidInput(
                "This form is collected all year, not in waves: start it on the Conference "
                "feedback forms page."
            )
        # Also stops a double-clicked "Launch" from creating two waves.
        if (
            session.scalar(
                select(Wave.id).where(Wave.organisation_id == organisation_id, Wave.title == title)
            )
            is not None
        ):
            raise InvalidInput(f"A wave called '{title}' already exists; choose another title.")
        teams = dict(
            session.execute(
                select(Team.id, Team.name).where(
                    Team.organisation_id == organisation_id, Team.id.in_(list(headcounts))
                )
            ).all()
        )
        if len(teams) != len(headcounts):
            raise InvalidInput("Every team must belong to the chosen organisation.")
        wave = Wave(
            organisation_id=organisation_id,
            instrument_version_id=instrument_version_id,
            title=title,
            status=WaveStatus.DRAFT if draft else WaveStatus.OPEN,
            opens_on=opens_on,
            closes_on=closes_on,
            allow_identified=allow_identified,
            allow_optin=allow_optin,
            release_step=step,
            live_results=live_results,
            created_by_id=actor.user_id,
        )
        session.add(wave)
        session.flush()
        session.add_all(
            WaveTeam(wave_id=wave.id, team_id=team_id, expected_headcount=headcount)
            for team_id, headcount in headcounts.items()
        )
        people = (
            sorted(audience, key=lambda m: (teams[m.team_id], m.staff_ref))
            if audience is not None
            else [
                AudienceMember("", team_id)
                for team_id, headcount in sorted(headcounts.items(), key=lambda kv: teams[kv[0]])
                for _ in range(headcount)
            ]
        )
        tokens = [mint_token() for _ in people]
        invitation_ids = list(
            session.scalars(
                insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True),
                [
                    {
                        "wave_id": wave.id,
                        "team_id": person.team_id,
                        "token_hash": hash_token(token),
                        "spent": False,
                        "roster_ref": person.staff_ref or None,
                        "channel": Channel.PERSONAL_LINK,
                    }
                    for person, token in zip(people, tokens, strict=True)
                ],
            )
        )
        if allow_optin:
            # Who each link was sent to, for a respondent who asks for support or to train
            # others; deleted when the link is spent or the wave closes.
            session.execute(
                insert(InvitationIdentity),
                [
                    {
                        "invitation_id": invitation_id,
                        "name": " ".join((person.name or person.email or "").split())[:200],
                        "email": person.email.strip().lower()[:320],
                    }
                    for invitation_id, person in zip(invitation_ids, people, strict=True)
                    if person.email
                ],
            )
        queued = 0
        if email is not None:
            address_of = {
                member.staff_ref: address
                for member, address in zip(audience or [], addresses, strict=True)
            }
            queued = queue_invitations(
                session,
                wave,
                email,
                [
                    (invitation_id, token, address_of[person.staff_ref])
                    for invitation_id, token, person in zip(
                        invitation_ids, tokens, people, strict=True
                    )
                ],
                base_url=base_url,
                today=today,
            )
        record_event(
            session,
            actor,
            "wave_launched",
            organisation_id=organisation_id,
            target=f"wave:{wave.id}",
            count=len(people),
            detail=f"teams={len(headcounts)} audience={'roster' if audience else 'headcount'}"
            f"{' emailed' if email is not None else ''}{' draft' if draft else ''}",
        )
        return LaunchedWave(wave_id=wave.id, queued=queued)


@dataclass(frozen=True)
class WaveSummary:
    id: int
    title: str
    instrument: str
    instrument_version_id: int
    status: WaveStatus
    opens_on: dt.date
    closes_on: dt.date
    responses: int
    expected: int

    @property
    def label(self) -> str:
        return f"{self.title} ({self.status.value}, {as_date(self.opens_on)})"


def latest_with_results(waves: Sequence[WaveSummary], min_group_size: int) -> int:
    """Where a results page opens: the position in ``waves`` (newest first, as
    ``list_waves`` gives them) of the newest wave with results to show, that is with at
    least ``min_group_size`` respondents released into its results. A newer wave with no
    answers yet (or none released) is passed over; with no results anywhere, the newest."""
    for index, wave in enumerate(waves):
        if wave.responses >= min_group_size:
            return index
    return 0


def missing_for_launch(
    *, title: str, instrument_version_id: int | None, teams: int, by_roster: bool, roster: bool
) -> list[str]:
    """What a launch still lacks, in the words of the form: nothing is chosen for the
    person (accepting the defaults must never launch the wrong survey). ``teams``: how
    many teams are chosen; ``roster``: whether a roster has been read."""
    missing = []
    if not title.strip():
        missing.append("a title")
    if instrument_version_id is None:
        missing.append("the survey to send")
    if by_roster and not roster:
        missing.append("a roster file")
    if not by_roster and teams == 0:
        missing.append("at least one team")
    return missing


def list_waves(db: Database, actor: Actor, organisation_id: int) -> list[WaveSummary]:
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        responses = (
            select(RespondentTally.wave_id, func.sum(RespondentTally.n).label("n"))
            .group_by(RespondentTally.wave_id)
            .subquery()
        )
        expected = (
            select(WaveTeam.wave_id, func.sum(WaveTeam.expected_headcount).label("n"))
            .group_by(WaveTeam.wave_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Wave,
                Instrument.title,
                func.coalesce(responses.c.n, 0),
                func.coalesce(expected.c.n, 0),
            )
            .join(InstrumentVersion, InstrumentVersion.id == Wave.instrument_version_id)
            .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
            .outerjoin(responses, responses.c.wave_id == Wave.id)
            .outerjoin(expected, expected.c.wave_id == Wave.id)
            .where(Wave.organisation_id == organisation_id)
            .order_by(Wave.opens_on.desc(), Wave.id.desc())
        )
        return [
            WaveSummary(
                id=wave.id,
                title=wave.title,
                instrument=instrument_title,
                instrument_version_id=wave.instrument_version_id,
                status=wave.status,
                opens_on=wave.opens_on,
                closes_on=wave.closes_on,
                responses=int(n_responses),
                expected=int(n_expected),
            )
            for wave, instrument_title, n_responses, n_expected in rows
        ]


def _wave_for(session: Session, actor: Actor, wave_id: int, *roles: Role) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound("No such survey wave.")
    require(actor, *roles, organisation_id=wave.organisation_id)
    return wave


def close_wave(db: Database, actor: Actor, wave_id: int) -> None:
    """Close a wave now: from this commit on, no response is accepted."""
    with db.write() as session:
        wave = _wave_for(session, actor, wave_id, Role.LEAD)
        if wave.status is WaveStatus.CLOSED:
            raise InvalidInput("This wave is already closed.")
        if wave.status is WaveStatus.DRAFT:
            raise InvalidInput("This wave has not been opened; discard the draft instead.")
        # The last few of each team join the results only where no figure would move by
        # fewer than k; the rest is held back (surveys.release).
        release.release(session.connection(), wave.id, closing=True)
        wave.status = WaveStatus.CLOSED
        tallies.seal_wave(session, wave.id)
        # The addresses kept for reminders go, and unsent invitations with them; so do the
        # names kept for opt-ins.
        forget_recipients(session, MailScope(wave_id=wave.id))
        session.execute(
            delete(InvitationIdentity).where(
                InvitationIdentity.invitation_id.in_(
                    select(Invitation.id).where(Invitation.wave_id == wave.id)
                )
            )
        )
        wave.links_file_enabled = False
        record_event(
            session,
            actor,
            "wave_closed",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
        )


# --- response rates ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseRate:
    team: str
    expected: int
    responses: int | None  # None when fewer than the minimum group size
    rate: float | None

    @property
    def responses_label(self) -> str:
        return "fewer than the minimum" if self.responses is None else str(self.responses)


@dataclass(frozen=True)
class ResponseRates:
    min_group_size: int
    teams: list[ResponseRate]
    overall: ResponseRate


def _rate(team: str, expected: int, responses: int | None) -> ResponseRate:
    if responses is None:
        return ResponseRate(team, expected, None, None)
    return ResponseRate(team, expected, responses, responses / expected if expected else None)


_ALL_TEAMS = 0  # the root of the response-count tree (team ids start at 1)


def response_rates(
    db: Database, actor: Actor, wave_id: int, *, min_group_size: int
) -> ResponseRates:
    """Responses against expected headcount, per team (with its sub-teams, as the band
    tables count it) and overall. Counts pass the disclosure gate over the same team tree
    as the band tables, with complementary suppression: a count under the minimum group
    size is shown as a band ("fewer than 5"), and so is one that would follow from the
    total minus the teams shown."""
    with db.read() as session:
        wave = _wave_for(session, actor, wave_id, Role.LEAD, Role.EXECUTIVE)
        counts = dict(
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
    parents = {team_id: parent_id or _ALL_TEAMS for team_id, parent_id in tree}
    groups = {_ALL_TEAMS: GroupCount(None, 0)}
    groups.update(
        {team: GroupCount(parent, int(counts.get(team, 0))) for team, parent in parents.items()}
    )
    shown = gated_counts(groups, min_group_size)
    expected_own = {team_id: expected for team_id, _, expected in audience}

    def below(team: int) -> set[int]:
        found, changed = {team}, True
        while changed:
            changed = False
            for child, parent in parents.items():
                if parent in found and child not in found:
                    found.add(child)
                    changed = True
        return found

    teams = [
        _rate(name, sum(expected_own.get(t, 0) for t in below(team_id)), shown[team_id])
        for team_id, name, _ in audience
    ]
    overall = _rate("All teams", sum(expected_own.values()), shown[_ALL_TEAMS])
    return ResponseRates(min_group_size, teams, overall)


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
        schedule(
            session, MailScope(wave_id=wave.id), dt.datetime.now(dt.UTC)
        )  # its held invitations
        record_event(
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
        wave.reopened = True
        # The sealed whole-wave tallies describe a closed wave; they are rewritten on close.
        tallies.unseal_wave(session, wave.id)
        record_event(
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
        record_event(
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
    Column(
        "name",
        "Name",
        required=False,
        synonyms=("full name", "staff name", "employee name"),
        help="Used only in a wave that lets people ask for support or to train others, "
        "to name their request; never with their answers.",
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
                "A Worker",
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
        if email is not None and not is_valid_address(str(email)):
            problems.append(f"Row {line}: '{email}' is not an email address.")
        name = record.get("name")
        members.append(
            AudienceMember(
                ref, team.id, str(email).strip() if email else None, str(name) if name else None
            )
        )
    if problems:
        raise InvalidInput(
            f"Nothing was read: {len(problems)} problem(s) found.\n" + "\n".join(problems[:50]),
            problems[:50],
        )
    names = {team.id: team.name for team in teams.values()}
    return AudiencePreview(
        members, dict(sorted(Counter(names[m.team_id] for m in members).items()))
    )
