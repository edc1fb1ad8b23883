"""Diary periods for leads: launch for chosen teams with the people taking part (from the
latest roster, or entered once) and one personal link each, emailed by the app
(``delivery``) and never returned to the lead; a links file only where an administrator
allows it for the period (``reissue_links``); close (which seals the totals and forgets
the kept addresses), reopen with a reason (audited), list periods and who has started.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, distinct, func, insert, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus, Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.links import diary_url, mint_token
from sos_workforce.core.models import (
    DiaryEntry,
    DiaryParticipant,
    DiaryPeriod,
    DiaryPeriodTeam,
    DiaryWorkerTotal,
    RosterMember,
    RosterSnapshot,
    Team,
)
from sos_workforce.core.security import hash_token
from sos_workforce.core.tabular import (
    MAX_PROBLEMS_LISTED,
    normalise_staff_id,
)
from sos_workforce.diaries import tallies as diary_tallies
from sos_workforce.diaries.codes import diary_codes
from sos_workforce.diaries.days import NOT_RECORDED, STANDARD_WEEKLY_HOURS, weekdays_between
from sos_workforce.diaries.delivery import queue_invitations
from sos_workforce.mail import MailScope, MailTemplate, check_emailed, forget_recipients
from sos_workforce.privacy import GroupCount, gated_counts

MAX_PERIOD_DAYS = 42


# --- the lead's side: periods and links ----------------------------------------------------


@dataclass(frozen=True)
class ParticipantInput:
    """A worker to include: pseudonymous staff id, team, role and either FTE or weekly
    contracted hours (the other is derived with the standard 37-hour week)."""

    worker_ref: str
    team_id: int
    role: str = NOT_RECORDED
    fte: float | None = None
    contracted_hours: float | None = None
    email: str | None = None  # for an emailed launch; kept only until the period closes


@dataclass(frozen=True)
class DiaryLink:
    worker_ref: str
    team: str
    role: str
    url: str


@dataclass(frozen=True)
class LaunchedPeriod:
    period_id: int
    # Never filled by a launch: diary links go by email, or as a file an administrator
    # allows per period (``reissue_links``). Kept for callers that build one from the file.
    links: list[DiaryLink] = field(default_factory=list)
    queued: int = 0  # invitation emails queued


@dataclass(frozen=True)
class RosterParticipants:
    as_of: dt.date
    participants: list[ParticipantInput]
    teams_without_staff: list[str]


def _period(session: Session, actor: Actor, period_id: int, *roles: Role) -> DiaryPeriod:
    period = session.get(DiaryPeriod, period_id)
    if period is None:
        raise NotFound("No such diary period.")
    require(actor, *roles, organisation_id=period.organisation_id)
    return period


def roster_participants(
    db: Database, actor: Actor, organisation_id: int, team_ids: Sequence[int], on: dt.date
) -> RosterParticipants:
    """Staff of the chosen teams in post on ``on``, from the latest roster snapshot taken on
    or before that date (or the earliest after it, if none), with contracted hours of
    FTE × 37 a week. Roster team names are matched to teams ignoring case and spaces."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    with db.read() as session:
        teams = dict(
            session.execute(
                select(Team.id, Team.name).where(
                    Team.organisation_id == organisation_id, Team.id.in_(list(team_ids))
                )
            ).all()
        )
        if len(teams) != len(set(team_ids)):
            raise InvalidInput("Every team must belong to the chosen organisation.")
        snapshot = session.execute(
            select(RosterSnapshot.id, RosterSnapshot.as_of)
            .where(RosterSnapshot.organisation_id == organisation_id)
            .order_by((RosterSnapshot.as_of > on).asc(), RosterSnapshot.as_of.desc())
            .limit(1)
        ).first()
        if snapshot is None:
            raise InvalidInput(
                "There is no staff roster yet. Import one on the workforce page, or enter "
                "the people taking part."
            )
        snapshot_id, as_of = snapshot
        members = session.execute(
            select(
                RosterMember.staff_ref,
                RosterMember.team_name,
                RosterMember.role,
                RosterMember.fte,
                RosterMember.start_date,
                RosterMember.leave_date,
            ).where(RosterMember.snapshot_id == snapshot_id)
        ).all()
    by_name = {" ".join(name.split()).casefold(): team_id for team_id, name in teams.items()}
    people: list[ParticipantInput] = []
    for ref, team_name, role, fte, start, leave in members:
        team_id = by_name.get(" ".join(team_name.split()).casefold())
        in_post = (start is None or start <= on) and (leave is None or leave > on)
        if team_id is None or not in_post:
            continue
        people.append(
            ParticipantInput(ref, team_id, role or NOT_RECORDED, fte, fte * STANDARD_WEEKLY_HOURS)
        )
    staffed = {p.team_id for p in people}
    return RosterParticipants(
        as_of,
        sorted(people, key=lambda p: (teams[p.team_id], p.worker_ref)),
        sorted(name for team_id, name in teams.items() if team_id not in staffed),
    )


def _clean_participants(
    participants: Sequence[ParticipantInput], team_ids: set[int]
) -> list[dict[str, object]]:
    problems: list[str] = []
    rows: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for index, person in enumerate(participants, 1):
        ref = normalise_staff_id(person.worker_ref)
        where = f"Person {index} ({ref or 'no staff id'})"
        if not ref:
            problems.append(f"Person {index}: give a staff id (pseudonymous, no names).")
        elif len(ref) > 100:
            problems.append(f"{where}: the staff id is longer than 100 characters.")
        elif ref in seen:
            problems.append(f"{where}: the staff id also appears as person {seen[ref]}.")
        seen.setdefault(ref, index)
        if person.team_id not in team_ids:
            problems.append(f"{where}: is not in one of the chosen teams.")
        fte, hours = person.fte, person.contracted_hours
        if fte is None and hours is None:
            problems.append(f"{where}: give the FTE or the contracted hours a week.")
            continue
        if fte is None and hours is not None:
            fte = round(hours / STANDARD_WEEKLY_HOURS, 3)
        if hours is None and fte is not None:
            hours = round(fte * STANDARD_WEEKLY_HOURS, 2)
        assert fte is not None and hours is not None
        if not 0 < fte <= 1.5:
            problems.append(f"{where}: the FTE must be more than 0 and at most 1.5.")
        if not 0 < hours <= 80:
            problems.append(f"{where}: contracted hours must be more than 0 and at most 80 a week.")
        role = " ".join((person.role or "").split())[:80] or NOT_RECORDED
        rows.append(
            {
                "worker_ref": ref,
                "team_id": person.team_id,
                "role": role,
                "fte": float(fte),
                "contracted_hours": float(hours),
            }
        )
    if problems:
        raise InvalidInput(
            f"The period was not launched: {len(problems)} problem(s) found.\n"
            + "\n".join(problems[:MAX_PROBLEMS_LISTED]),
            problems[:MAX_PROBLEMS_LISTED],
        )
    return rows


def launch_period(
    db: Database,
    actor: Actor,
    organisation_id: int,
    *,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    team_ids: Sequence[int],
    base_url: str,
    participants: Sequence[ParticipantInput] | None = None,
    email: MailTemplate | None = None,
    today: dt.date | None = None,
) -> LaunchedPeriod:
    """Create a diary period for ``team_ids`` with one personal link per participant
    (``participants``, or everyone in those teams on the latest roster). Only the links'
    hashes are stored and the links are never returned: with ``email`` (everyone has an
    address, checked before anything is stored) each link is emailed by the app from the
    outbox; otherwise through a links file an administrator allows for this period."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    today = today or dt.date.today()
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("Give the period a title, e.g. 'Diary week, March 2027'.")
    if len(title) > 200:
        raise InvalidInput("The title is longer than 200 characters.")
    if ends_on < starts_on:
        raise InvalidInput("The end date must be on or after the start date.")
    if (ends_on - starts_on).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(f"A diary period can last at most {MAX_PERIOD_DAYS} days.")
    if weekdays_between(starts_on, ends_on) == 0:
        raise InvalidInput("A diary period needs at least one weekday (Monday to Friday).")
    if starts_on > today + dt.timedelta(days=366):
        raise InvalidInput("The start date is more than a year away.")
    chosen = set(team_ids)
    if not chosen:
        raise InvalidInput("Choose at least one team.")
    source = "entered"
    if participants is None:
        found = roster_participants(db, actor, organisation_id, sorted(chosen), starts_on)
        if found.teams_without_staff:
            raise InvalidInput(
                f"Nobody on the roster of {as_date(found.as_of, long=True)} is in "
                + ", ".join(found.teams_without_staff)
                + ". Enter the people taking part instead, or choose other teams."
            )
        participants = found.participants
        source = f"roster {found.as_of.isoformat()}"
    if not participants:
        raise InvalidInput("Add the people taking part.")
    rows = _clean_participants(participants, chosen)
    addresses: list[str] = []
    if email is not None:
        email, addresses = check_emailed(
            [str(row["worker_ref"]) for row in rows], [p.email for p in participants], email
        )
    missing = chosen - {int(str(row["team_id"])) for row in rows}
    with db.write() as session:
        teams = dict(
            session.execute(
                select(Team.id, Team.name).where(
                    Team.organisation_id == organisation_id, Team.id.in_(list(chosen))
                )
            ).all()
        )
        if len(teams) != len(chosen):
            raise InvalidInput("Every team must belong to the chosen organisation.")
        if missing:
            raise InvalidInput(
                "Nobody is taking part from "
                + ", ".join(sorted(teams[t] for t in missing))
                + "; add people or leave the team out."
            )
        clash = session.scalar(
            select(DiaryPeriod.id).where(
                DiaryPeriod.organisation_id == organisation_id, DiaryPeriod.title == title
            )
        )
        if clash is not None:
            raise InvalidInput(f"A diary period called '{title}' already exists.")
        period = DiaryPeriod(
            organisation_id=organisation_id,
            title=title,
            starts_on=starts_on,
            ends_on=ends_on,
            status=DiaryStatus.OPEN,
            created_by_id=actor.user_id,
        )
        session.add(period)
        session.flush()
        session.execute(
            insert(DiaryPeriodTeam), [{"period_id": period.id, "team_id": t} for t in chosen]
        )
        tokens = [mint_token() for _ in rows]
        for row, token in zip(rows, tokens, strict=True):
            row.update(period_id=period.id, token_hash=hash_token(token))
        participant_ids = list(
            session.scalars(
                insert(DiaryParticipant).returning(
                    DiaryParticipant.id, sort_by_parameter_order=True
                ),
                rows,
            )
        )
        queued = 0
        if email is not None:
            queued = queue_invitations(
                session,
                period,
                email,
                list(zip(participant_ids, tokens, addresses, strict=True)),
                base_url=base_url,
                today=today,
            )
        record_event(
            session,
            actor,
            "diary_period_launched",
            organisation_id=organisation_id,
            target=f"diary:{period.id}",
            count=len(rows),
            detail=f"teams={len(chosen)} participants={source}"
            f"{' emailed' if email is not None else ''}",
        )
        return LaunchedPeriod(period.id, queued=queued)


def reissue_links(
    db: Database,
    actor: Actor,
    period_id: int,
    *,
    base_url: str,
    worker_refs: Sequence[str] | None = None,
) -> list[DiaryLink]:
    """New links for everyone in the period (or the given staff ids), returned once for a
    mail merge, when an administrator has allowed a links file for this period
    (``enable_links_file``). Any earlier links stop working; entries are kept. Audited."""
    with db.write() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is DiaryStatus.CLOSED:
            raise InvalidInput("This diary period is closed; its links can no longer be used.")
        if not period.links_file_enabled:
            raise InvalidInput(
                "Personal diary links are not given out as a file. An administrator can allow "
                "it for this period; otherwise launch with emailed invitations."
            )
        query = (
            select(DiaryParticipant, Team.name)
            .join(Team, Team.id == DiaryParticipant.team_id)
            .where(DiaryParticipant.period_id == period.id)
        )
        if worker_refs is not None:
            wanted = {normalise_staff_id(ref) for ref in worker_refs}
            query = query.where(DiaryParticipant.worker_ref.in_(wanted))
        found = session.execute(query).all()
        if worker_refs is not None and len(found) != len(set(worker_refs)):
            known = {participant.worker_ref for participant, _ in found}
            unknown = sorted({normalise_staff_id(r) for r in worker_refs} - known)
            raise InvalidInput(f"Not taking part in this period: {', '.join(unknown)}.")
        links = []
        for participant, team in found:
            token = mint_token()
            participant.token_hash = hash_token(token)
            links.append(
                DiaryLink(
                    participant.worker_ref, team, participant.role, diary_url(base_url, token)
                )
            )
        record_event(
            session,
            actor,
            "diary_links_reissued",
            organisation_id=period.organisation_id,
            target=f"diary:{period.id}",
            count=len(links),
        )
        return sorted(links, key=lambda link: (link.team, link.worker_ref))


def links_csv(links: Sequence[DiaryLink]) -> bytes:
    """The links for a mail merge (formula-safe CSV)."""
    return csv_bytes(
        ["staff_id", "team", "role", "link"],
        [(link.worker_ref, link.team, link.role, link.url) for link in links],
    )


def close_period(db: Database, actor: Actor, period_id: int) -> None:
    """Close a period: links stop working, entries can no longer change, and the period's
    totals are sealed (its reports read them from now on; see ``diary_tallies``)."""
    with db.write() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is DiaryStatus.CLOSED:
            raise InvalidInput("This diary period is already closed.")
        period.status = DiaryStatus.CLOSED
        diary_tallies.seal_period(session, period.id, diary_codes())
        # The addresses kept for reminders and resends go (a diary link is used all period,
        # so they were kept until now), and unsent invitations with them.
        forget_recipients(session, MailScope(period_id=period.id))
        period.links_file_enabled = False
        entries = session.scalar(
            select(func.count())
            .select_from(DiaryEntry)
            .join(DiaryParticipant, DiaryParticipant.id == DiaryEntry.participant_id)
            .where(DiaryParticipant.period_id == period.id)
        )
        record_event(
            session,
            actor,
            "diary_period_closed",
            organisation_id=period.organisation_id,
            target=f"diary:{period.id}",
            count=int(entries or 0),
        )


MIN_REOPEN_REASON = 10


def reopen_period(db: Database, actor: Actor, period_id: int, *, reason: str) -> None:
    """Open a closed period again (closed too early, say): the links work again, entries
    can change, and the sealed totals are dropped until it closes again. The reason is kept
    in the audit log. A period whose entries the retention purge deleted cannot reopen."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REOPEN_REASON:
        raise InvalidInput("Say why the period is being reopened (at least a short sentence).")
    with db.write() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is not DiaryStatus.CLOSED:
            raise InvalidInput("Only a closed diary period can be reopened.")
        kept = session.scalar(
            select(func.count())
            .select_from(DiaryParticipant)
            .where(DiaryParticipant.period_id == period.id)
        )
        if not kept:
            raise InvalidInput(
                "This period's diaries were deleted at the end of the retention period; only "
                "its totals remain, so it cannot be reopened."
            )
        period.status = DiaryStatus.OPEN
        diary_tallies.unseal_period(session, period.id)
        record_event(
            session,
            actor,
            "diary_period_reopened",
            organisation_id=period.organisation_id,
            target=f"diary:{period.id}",
            detail=reason[:500],
        )


_WHOLE_PERIOD = 0  # the root of a period's count tree (its teams are numbered from 1)


@dataclass(frozen=True)
class PeriodSummary:
    id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    status: DiaryStatus
    participants: int
    recording: int | None  # participants with an entry; None under the minimum group size
    teams: tuple[str, ...]

    @property
    def label(self) -> str:
        return (
            f"{self.title} ({as_date(self.starts_on)} to {as_date(self.ends_on)}, "
            f"{self.status.value})"
        )


def list_periods(
    db: Database, actor: Actor, organisation_id: int, *, min_group_size: int
) -> list[PeriodSummary]:
    """Diary periods, newest first, with how many people take part and how many have
    recorded (through the disclosure gate: under the minimum group size, None)."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        periods = list(
            session.scalars(
                select(DiaryPeriod)
                .where(DiaryPeriod.organisation_id == organisation_id)
                .order_by(DiaryPeriod.starts_on.desc(), DiaryPeriod.id.desc())
            )
        )
        # Open periods are counted from their participants and entries; closed ones from
        # their sealed totals, which outlive the retention purge of the raw rows. Only this
        # organisation's periods are read (nationally there are millions of entries).
        open_ids = [p.id for p in periods if p.status is DiaryStatus.OPEN]
        closed_ids = [p.id for p in periods if p.status is DiaryStatus.CLOSED]
        counts: dict[int, tuple[int, int]] = {}
        person = DiaryParticipant
        for period_id, people, recorded in session.execute(
            select(
                person.period_id,
                func.count(distinct(person.id)),
                func.count(distinct(DiaryEntry.participant_id)),
            )
            .outerjoin(DiaryEntry, DiaryEntry.participant_id == person.id)
            .where(person.period_id.in_(open_ids))
            .group_by(person.period_id)
        ):
            counts[period_id] = (int(people), int(recorded))
        total = DiaryWorkerTotal
        for period_id, people, recorded in session.execute(
            select(total.period_id, func.count(), func.sum(case((total.minutes > 0, 1), else_=0)))
            .where(total.period_id.in_(closed_ids))
            .group_by(total.period_id)
        ):
            counts[period_id] = (int(people), int(recorded or 0))
        team_names: dict[int, list[str]] = defaultdict(list)
        for period_id, name in session.execute(
            select(DiaryPeriodTeam.period_id, Team.name)
            .join(Team, Team.id == DiaryPeriodTeam.team_id)
            .join(DiaryPeriod, DiaryPeriod.id == DiaryPeriodTeam.period_id)
            .where(DiaryPeriod.organisation_id == organisation_id)
            .order_by(Team.name)
        ):
            team_names[period_id].append(name)
        summaries = []
        for period in periods:
            people, recorded = counts.get(period.id, (0, 0))
            shown = gated_counts({_WHOLE_PERIOD: GroupCount(None, recorded)}, min_group_size)
            summaries.append(
                PeriodSummary(
                    period.id,
                    period.title,
                    period.starts_on,
                    period.ends_on,
                    period.status,
                    people,
                    shown[_WHOLE_PERIOD],
                    tuple(team_names[period.id]),
                )
            )
        return summaries


@dataclass(frozen=True)
class TeamParticipation:
    team: str
    participants: int
    recording: int | None  # None when withheld by the disclosure gate (0 is shown)

    @property
    def recording_label(self) -> str:
        return "fewer than the minimum" if self.recording is None else str(self.recording)


def participation(
    db: Database, actor: Actor, period_id: int, *, min_group_size: int
) -> list[TeamParticipation]:
    """Per team: people taking part and how many have recorded anything. The recording
    counts pass the disclosure gate like survey response counts: under the minimum group
    size, or derivable from the total and the other teams, they are shown as a band."""
    with db.read() as session:
        period = _period(session, actor, period_id, Role.LEAD, Role.EXECUTIVE)
        if period.status is DiaryStatus.CLOSED:  # sealed: the raw rows may be purged
            total = DiaryWorkerTotal
            rows = session.execute(
                select(Team.name, func.count(), func.sum(case((total.minutes > 0, 1), else_=0)))
                .join(Team, Team.id == total.team_id)
                .where(total.period_id == period.id)
                .group_by(Team.name)
                .order_by(Team.name)
            ).all()
        else:
            rows = session.execute(
                select(
                    Team.name,
                    func.count(distinct(DiaryParticipant.id)),
                    func.count(distinct(DiaryEntry.participant_id)),
                )
                .join(Team, Team.id == DiaryParticipant.team_id)
                .outerjoin(DiaryEntry, DiaryEntry.participant_id == DiaryParticipant.id)
                .where(DiaryParticipant.period_id == period.id)
                .group_by(Team.name)
                .order_by(Team.name)
            ).all()
    # Through the disclosure gate as siblings under the whole period, so a hidden team's
    # count cannot be worked out from the period's total minus the teams shown.
    groups = {_WHOLE_PERIOD: GroupCount(None, 0)}
    groups.update(
        {index: GroupCount(_WHOLE_PERIOD, int(row[2] or 0)) for index, row in enumerate(rows, 1)}
    )
    shown = gated_counts(groups, min_group_size)
    return [
        TeamParticipation(name, int(people), shown[index])
        for index, (name, people, _) in enumerate(rows, 1)
    ]
