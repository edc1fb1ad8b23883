"""Time diaries: periods, personal links, a day's entries, imports.

A lead launches a *diary period* (e.g. one week) for some teams. Each worker taking part
(from the latest roster snapshot, or entered once) gets a personal pseudonymous link,
valid for the whole period and not single-use: they record each day's activities (codes
from ``surveys/diary_codes.yaml``) with minutes, or start and end times, and can change
any day until the lead closes the period. Only the SHA-256 of a link's token is stored.

Saving a day replaces that day's entries, after checking all of them: nothing is saved
unless every row is valid (no more than 24 hours in a day, no zero or negative durations,
no end before start, no overlapping times, a date inside the period and not in the future,
known activity codes, a Signs of Safety tool only for direct work). Imports of diaries
recorded elsewhere apply the same rules to every day in the file, all or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import case, delete, distinct, func, insert, select
from sqlalchemy.orm import Session

from sos_workforce import audit, diary_tallies
from sos_workforce.auth import Actor, require
from sos_workforce.db import Database
from sos_workforce.diary_codes import DiaryCodes, diary_codes
from sos_workforce.enums import DiaryStatus, Role
from sos_workforce.errors import InvalidInput, LinkRefused, NotFound
from sos_workforce.exports import csv_bytes
from sos_workforce.models import (
    DiaryEntry,
    DiaryImport,
    DiaryParticipant,
    DiaryPeriod,
    DiaryPeriodTeam,
    DiaryWorkerTotal,
    Organisation,
    RosterMember,
    RosterSnapshot,
    Team,
)
from sos_workforce.security import hash_token, is_well_formed_token, new_token
from sos_workforce.tabular import (
    MAX_PROBLEMS_LISTED,
    Column,
    Progress,
    Table,
    normalise_staff_id,
    parse_rows,
    propose_mapping,
    read_table,
    refuse_import,
)

STANDARD_WEEKLY_HOURS = 37.0  # full-time contracted hours: contracted = FTE × 37
MINUTES_PER_DAY = 24 * 60
MAX_PERIOD_DAYS = 42
MAX_ENTRIES_PER_DAY = 60
# Staff may still fill in their diary this many days after the period's end date (e.g.
# Friday's entries on Monday), unless the lead has closed the period first.
LATE_ENTRY_DAYS = 14
NOT_RECORDED = "Not recorded"


# --- entries and their validation ---------------------------------------------------------


@dataclass(frozen=True)
class EntryInput:
    """One row of a day as typed (or read from a file): an activity with minutes, or with
    start and end times (or both, if they agree), and optionally the SoS tool used."""

    activity: str | None
    minutes: float | None = None
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    sos_tool: str | None = None


@dataclass(frozen=True)
class Entry:
    """A valid entry, as stored."""

    activity: str
    minutes: int
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    sos_tool: str | None = None

    def as_input(self) -> EntryInput:
        return EntryInput(self.activity, self.minutes, self.starts_at, self.ends_at, self.sos_tool)


def hours_and_minutes(minutes: int) -> str:
    """ "7 h 30 min", "45 min", "0 min"."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _clock(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _minutes_between(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _lookup(value: str | None, table: Mapping[str, str]) -> str | None:
    if value is None:
        return None
    return table.get(" ".join(str(value).split()).casefold())


def check_day(
    codes: DiaryCodes,
    entries: Sequence[EntryInput],
    labels: Sequence[str] | None = None,
    where: str = "",
) -> tuple[list[Entry], list[str]]:
    """Check one day's entries. Returns the clean entries and the problems, each naming its
    row (``labels``, default "Row 1", "Row 2", …); ``where`` prefixes day-level problems
    (e.g. "SW1 on 02/03/2026: ")."""
    names = list(labels) if labels is not None else [f"Row {n}" for n in range(1, len(entries) + 1)]
    activities, tools = codes.activity_lookup(), codes.tool_lookup()
    problems: list[str] = []
    clean: list[Entry] = []
    timed: list[tuple[dt.time, dt.time, str]] = []
    if len(entries) > MAX_ENTRIES_PER_DAY:
        problems.append(f"{where}more than {MAX_ENTRIES_PER_DAY} entries in one day.")
    for name, entry in zip(names, entries, strict=True):
        row_problems: list[str] = []
        activity = _lookup(entry.activity, activities)
        if entry.activity is None or not str(entry.activity).strip():
            row_problems.append(f"{name}: choose an activity.")
        elif activity is None:
            row_problems.append(f"{name}: '{entry.activity}' is not one of the activities.")
        tool = None
        if entry.sos_tool is not None and str(entry.sos_tool).strip():
            tool = _lookup(entry.sos_tool, tools)
            if tool is None:
                row_problems.append(
                    f"{name}: '{entry.sos_tool}' is not one of the Signs of Safety tools."
                )
            elif activity is not None:
                code = codes.activity(activity)
                if code is not None and not code.allows_tool:
                    row_problems.append(
                        f"{name}: a Signs of Safety tool can be recorded only for direct work "
                        f"with a child or family, not for '{code.label}'."
                    )
        minutes: int | None = None
        start, end = entry.starts_at, entry.ends_at
        if (start is None) != (end is None):
            row_problems.append(
                f"{name}: give both a start and an end time, or leave both empty and give "
                "the minutes."
            )
        elif start is not None and end is not None:
            between = _minutes_between(start, end)
            if between < 0:
                row_problems.append(
                    f"{name}: it ends at {_clock(end)}, before it starts at {_clock(start)}. "
                    "Record work after midnight on the next day."
                )
            elif between == 0:
                row_problems.append(
                    f"{name}: it starts and ends at {_clock(start)}, so it lasts no time."
                )
            else:
                minutes = between
        if entry.minutes is not None:
            given = float(entry.minutes)
            if given != int(given):
                row_problems.append(f"{name}: give the minutes as a whole number.")
            elif given <= 0:
                row_problems.append(
                    f"{name}: the time spent must be more than zero (it says {given:g} minutes)."
                )
            elif given > MINUTES_PER_DAY:
                row_problems.append(
                    f"{name}: {given:g} minutes is more than the 24 hours in a day."
                )
            elif start is not None and end is not None and minutes not in (None, int(given)):
                row_problems.append(
                    f"{name}: {given:g} minutes does not match {_clock(start)}–"
                    f"{_clock(end)} ({minutes} minutes); give one or the other."
                )
            else:
                minutes = int(given)
        elif start is None and end is None:
            row_problems.append(f"{name}: give the minutes, or a start and an end time.")
        problems.extend(row_problems)
        if row_problems or activity is None or minutes is None:
            continue
        clean.append(Entry(activity, minutes, start, end, tool))
        if start is not None and end is not None:
            timed.append((start, end, name))
    timed.sort()
    for (start_a, end_a, name_a), (start_b, end_b, name_b) in zip(timed, timed[1:], strict=False):
        if start_b < end_a:
            problems.append(
                f"{name_a} and {name_b} overlap ({_clock(start_a)}–{_clock(end_a)} and "
                f"{_clock(start_b)}–{_clock(end_b)})."
            )
    total = sum(entry.minutes for entry in clean)
    if total > MINUTES_PER_DAY:
        problems.append(
            f"{where}the entries add up to {hours_and_minutes(total)}, more than the 24 hours "
            "in a day."
        )
    return clean, problems


def validate_day(
    codes: DiaryCodes, entries: Sequence[EntryInput], labels: Sequence[str] | None = None
) -> list[Entry]:
    """``check_day``, raising ``InvalidInput`` listing every problem."""
    clean, problems = check_day(codes, entries, labels)
    if problems:
        raise InvalidInput(
            "Nothing was saved. Please correct:\n" + "\n".join(problems[:MAX_PROBLEMS_LISTED]),
            problems[:MAX_PROBLEMS_LISTED],
        )
    return clean


def provisional_total(entries: Sequence[EntryInput]) -> int:
    """Minutes a day adds up to as typed so far (rows not yet complete count as 0), for a
    running total while someone fills in the grid."""
    total = 0
    for entry in entries:
        if entry.minutes is not None and float(entry.minutes) > 0:
            total += int(float(entry.minutes))
        elif entry.starts_at is not None and entry.ends_at is not None:
            total += max(0, _minutes_between(entry.starts_at, entry.ends_at))
    return total


def weekdays_between(start: dt.date, end: dt.date) -> int:
    """Monday–Friday dates from ``start`` to ``end`` inclusive."""
    return sum(
        1
        for offset in range((end - start).days + 1)
        if (start + dt.timedelta(offset)).weekday() < 5
    )


def period_days(starts_on: dt.date, ends_on: dt.date) -> list[dt.date]:
    return [starts_on + dt.timedelta(days=n) for n in range((ends_on - starts_on).days + 1)]


# --- the staff side: a personal link --------------------------------------------------------

_INVALID_LINK = (
    "This diary link is not valid. Please check that you copied the whole link, or ask "
    "your implementation lead for a new one."
)
_CLOSED = (
    "This diary period has closed, so entries can no longer be added or changed. Thank "
    "you for taking part."
)


def diary_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/diary?d={token}"


def _by_token(session: Session, token: str, today: dt.date) -> tuple[DiaryParticipant, DiaryPeriod]:
    if not is_well_formed_token(token):
        raise LinkRefused(_INVALID_LINK)
    found = session.execute(
        select(DiaryParticipant, DiaryPeriod)
        .join(DiaryPeriod, DiaryPeriod.id == DiaryParticipant.period_id)
        .where(DiaryParticipant.token_hash == hash_token(token))
    ).first()
    if found is None:
        raise LinkRefused(_INVALID_LINK)
    participant, period = found
    if period.status is DiaryStatus.CLOSED:
        raise LinkRefused(_CLOSED)
    if today < period.starts_on:
        raise LinkRefused(
            f"This diary starts on {period.starts_on:%A %d %B %Y}. Please come back then."
        )
    if today > period.ends_on + dt.timedelta(days=LATE_ENTRY_DAYS):
        raise LinkRefused(
            f"This diary period ended on {period.ends_on:%d %B %Y} and can no longer be "
            "changed. Thank you for taking part."
        )
    return participant, period


@dataclass(frozen=True)
class DaySummary:
    day: dt.date
    minutes: int
    entries: int


@dataclass(frozen=True)
class DiaryView:
    """What a diary link opens: the period and the days that can be filled in so far."""

    organisation: str
    team: str
    worker_ref: str
    title: str
    starts_on: dt.date
    ends_on: dt.date
    open_until: dt.date
    days: list[DaySummary]  # every day of the period up to today

    @property
    def total_minutes(self) -> int:
        return sum(day.minutes for day in self.days)


def _day_totals(session: Session, participant_id: int) -> dict[dt.date, tuple[int, int]]:
    return {
        day: (int(minutes), int(count))
        for day, minutes, count in session.execute(
            select(DiaryEntry.entry_date, func.sum(DiaryEntry.minutes), func.count())
            .where(DiaryEntry.participant_id == participant_id)
            .group_by(DiaryEntry.entry_date)
        )
    }


def open_diary(db: Database, token: str, *, today: dt.date | None = None) -> DiaryView:
    """Check a diary link and return the period with each day's total so far."""
    today = today or dt.date.today()
    with db.read() as session:
        participant, period = _by_token(session, token, today)
        totals = _day_totals(session, participant.id)
        return DiaryView(
            organisation=session.get_one(Organisation, period.organisation_id).name,
            team=session.get_one(Team, participant.team_id).name,
            worker_ref=participant.worker_ref,
            title=period.title,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
            open_until=period.ends_on + dt.timedelta(days=LATE_ENTRY_DAYS),
            days=[
                DaySummary(day, *totals.get(day, (0, 0)))
                for day in period_days(period.starts_on, min(period.ends_on, today))
            ],
        )


def _check_day_in_period(period: DiaryPeriod, day: dt.date, today: dt.date) -> None:
    if not period.starts_on <= day <= period.ends_on:
        raise InvalidInput(
            f"{day:%d/%m/%Y} is outside this diary period ({period.starts_on:%d/%m/%Y} to "
            f"{period.ends_on:%d/%m/%Y})."
        )
    if day > today:
        raise InvalidInput(f"{day:%A %d %B} has not happened yet, so it cannot be filled in.")


def _entries(session: Session, participant_id: int, day: dt.date) -> list[Entry]:
    rows = session.scalars(
        select(DiaryEntry)
        .where(DiaryEntry.participant_id == participant_id, DiaryEntry.entry_date == day)
        .order_by(DiaryEntry.id)
    )
    return [Entry(r.activity, r.minutes, r.starts_at, r.ends_at, r.sos_tool) for r in rows]


def day_entries(
    db: Database, token: str, day: dt.date, *, today: dt.date | None = None
) -> list[Entry]:
    """The saved entries of one day."""
    today = today or dt.date.today()
    with db.read() as session:
        participant, period = _by_token(session, token, today)
        _check_day_in_period(period, day, today)
        return _entries(session, participant.id, day)


def save_day(
    db: Database,
    token: str,
    day: dt.date,
    entries: Sequence[EntryInput],
    *,
    labels: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> DaySummary:
    """Replace one day's entries with ``entries`` (an empty list clears the day). All rows
    are checked first; if any is wrong nothing is saved and every problem is listed, each
    naming its row (``labels``, default "Row 1", "Row 2", …)."""
    today = today or dt.date.today()
    with db.write() as session:
        participant, period = _by_token(session, token, today)
        _check_day_in_period(period, day, today)
        clean = validate_day(diary_codes(), entries, labels)
        session.execute(
            delete(DiaryEntry).where(
                DiaryEntry.participant_id == participant.id, DiaryEntry.entry_date == day
            )
        )
        if clean:
            session.execute(
                insert(DiaryEntry),
                [
                    {
                        "participant_id": participant.id,
                        "entry_date": day,
                        "activity": e.activity,
                        "minutes": e.minutes,
                        "starts_at": e.starts_at,
                        "ends_at": e.ends_at,
                        "sos_tool": e.sos_tool,
                    }
                    for e in clean
                ],
            )
    return DaySummary(day, sum(e.minutes for e in clean), len(clean))


def copy_previous_day(
    db: Database, token: str, day: dt.date, *, today: dt.date | None = None
) -> tuple[dt.date | None, list[Entry]]:
    """The entries of the nearest earlier day of the period that has any ("copy
    yesterday"), to start ``day`` from. Nothing is saved: the worker checks and saves."""
    today = today or dt.date.today()
    with db.read() as session:
        participant, period = _by_token(session, token, today)
        _check_day_in_period(period, day, today)
        previous = session.scalar(
            select(func.max(DiaryEntry.entry_date)).where(
                DiaryEntry.participant_id == participant.id,
                DiaryEntry.entry_date < day,
                DiaryEntry.entry_date >= period.starts_on,
            )
        )
        if previous is None:
            return None, []
        return previous, _entries(session, participant.id, previous)


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


@dataclass(frozen=True)
class DiaryLink:
    worker_ref: str
    team: str
    role: str
    url: str


@dataclass(frozen=True)
class LaunchedPeriod:
    period_id: int
    links: list[DiaryLink]


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
    today: dt.date | None = None,
) -> LaunchedPeriod:
    """Create a diary period for ``team_ids`` with one personal link per participant
    (``participants``, or everyone in those teams on the latest roster). The links are
    returned once; only their hashes are stored."""
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
                f"Nobody on the roster of {found.as_of:%d %B %Y} is in "
                + ", ".join(found.teams_without_staff)
                + ". Enter the people taking part instead, or choose other teams."
            )
        participants = found.participants
        source = f"roster {found.as_of.isoformat()}"
    if not participants:
        raise InvalidInput("Add the people taking part.")
    rows = _clean_participants(participants, chosen)
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
        links: list[DiaryLink] = []
        for row in rows:
            token = new_token()
            row.update(period_id=period.id, token_hash=hash_token(token))
            team_name = teams[int(str(row["team_id"]))]
            links.append(
                DiaryLink(
                    str(row["worker_ref"]), team_name, str(row["role"]), diary_url(base_url, token)
                )
            )
        session.execute(insert(DiaryParticipant), rows)
        audit.record(
            session,
            actor,
            "diary_period_launched",
            organisation_id=organisation_id,
            target=f"diary:{period.id}",
            count=len(rows),
            detail=f"teams={len(chosen)} participants={source}",
        )
        return LaunchedPeriod(
            period.id, sorted(links, key=lambda link: (link.team, link.worker_ref))
        )


def reissue_links(
    db: Database,
    actor: Actor,
    period_id: int,
    *,
    base_url: str,
    worker_refs: Sequence[str] | None = None,
) -> list[DiaryLink]:
    """New links for everyone in the period (or the given staff ids), e.g. when the
    first links CSV was lost. The old links stop working; entries are kept."""
    with db.write() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is DiaryStatus.CLOSED:
            raise InvalidInput("This diary period is closed; its links can no longer be used.")
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
            token = new_token()
            participant.token_hash = hash_token(token)
            links.append(
                DiaryLink(
                    participant.worker_ref, team, participant.role, diary_url(base_url, token)
                )
            )
        audit.record(
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
        entries = session.scalar(
            select(func.count())
            .select_from(DiaryEntry)
            .join(DiaryParticipant, DiaryParticipant.id == DiaryEntry.participant_id)
            .where(DiaryParticipant.period_id == period.id)
        )
        audit.record(
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
        audit.record(
            session,
            actor,
            "diary_period_reopened",
            organisation_id=period.organisation_id,
            target=f"diary:{period.id}",
            detail=reason[:500],
        )


@dataclass(frozen=True)
class PeriodSummary:
    id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    status: DiaryStatus
    participants: int
    recording: int  # participants with at least one entry
    teams: tuple[str, ...]

    @property
    def label(self) -> str:
        return (
            f"{self.title} ({self.starts_on:%d %b %Y} to {self.ends_on:%d %b %Y}, "
            f"{self.status.value})"
        )


def list_periods(db: Database, actor: Actor, organisation_id: int) -> list[PeriodSummary]:
    """Diary periods, newest first, with how many people take part and have recorded."""
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
        return [
            PeriodSummary(
                period.id,
                period.title,
                period.starts_on,
                period.ends_on,
                period.status,
                *counts.get(period.id, (0, 0)),
                tuple(team_names[period.id]),
            )
            for period in periods
        ]


@dataclass(frozen=True)
class TeamParticipation:
    team: str
    participants: int
    recording: int | None  # None when fewer than the minimum group size (but not 0)

    @property
    def recording_label(self) -> str:
        return "fewer than the minimum" if self.recording is None else str(self.recording)


def participation(
    db: Database, actor: Actor, period_id: int, *, min_group_size: int
) -> list[TeamParticipation]:
    """Per team: people taking part and how many have recorded anything (a count under the
    minimum group size is shown as a band, like survey response counts)."""
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
    return [
        TeamParticipation(
            name,
            int(people),
            int(recorded) if recorded == 0 or recorded >= min_group_size else None,
        )
        for name, people, recorded in rows
    ]


# --- importing diaries recorded elsewhere -----------------------------------------------------


def diary_columns(codes: DiaryCodes) -> list[Column]:
    return [
        Column(
            "staff_ref",
            "Staff id",
            synonyms=("staff id", "employee id", "worker id", "worker", "id", "payroll number"),
            max_length=100,
            help="The pseudonymous staff id the person takes part under.",
        ),
        Column("entry_date", "Date", kind="date", synonyms=("day", "diary date", "entry date")),
        Column(
            "activity",
            "Activity",
            kind="choice",
            choices=codes.activity_lookup(),
            synonyms=("activity code", "code", "task"),
            help="An activity code or its label.",
        ),
        Column(
            "minutes",
            "Minutes",
            kind="number",
            required=False,
            synonyms=("duration", "duration minutes", "mins", "time spent", "minutes spent"),
        ),
        Column("starts_at", "Start", kind="time", required=False, synonyms=("start time", "from")),
        Column("ends_at", "End", kind="time", required=False, synonyms=("end time", "to", "until")),
        Column(
            "sos_tool",
            "SoS tool",
            kind="choice",
            required=False,
            choices=codes.tool_lookup(),
            synonyms=("tool", "signs of safety tool", "sos tool used"),
        ),
    ]


def diary_template() -> bytes:
    """A CSV template with example rows (dates are day/month/year, times hours:minutes)."""
    codes = diary_codes()
    columns = diary_columns(codes)
    return csv_bytes(
        [c.label for c in columns],
        [
            ["SW0001", "02/03/2026", "direct_family", "", "09:30", "11:00", "mapping"],
            ["SW0001", "02/03/2026", "Travel", "40", "", "", ""],
            ["SW0001", "02/03/2026", "recording", "150", "", "", ""],
        ],
    )


def preview_diaries(data: bytes, filename: str) -> tuple[Table, dict[str, str | None]]:
    """Read an upload and propose which file column feeds each field."""
    table = read_table(data, filename)
    return table, propose_mapping(table.headers, diary_columns(diary_codes()))


@dataclass(frozen=True)
class DiaryImportResult:
    rows: int
    days: int  # worker-days replaced
    created: bool  # False when the same file had been imported into this period already


def import_diaries(
    db: Database,
    actor: Actor,
    period_id: int,
    *,
    data: bytes,
    filename: str,
    mapping: Mapping[str, str | None] | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> DiaryImportResult:
    """Import diary rows (staff id, date, activity, minutes or start and end, SoS tool)
    into a period. Every worker-day in the file replaces that day's entries, as saving a
    day does. All rows or none; the same file twice changes nothing."""
    today = today or dt.date.today()
    codes = diary_codes()
    columns = diary_columns(codes)
    checksum = hashlib.sha256(data + f"\x00diary-period:{period_id}".encode()).hexdigest()
    with db.read() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is DiaryStatus.CLOSED:
            raise InvalidInput("This diary period is closed; diaries can no longer be imported.")
        done = session.scalar(
            select(DiaryImport.rows).where(
                DiaryImport.period_id == period_id, DiaryImport.checksum == checksum
            )
        )
        if done is not None:
            return DiaryImportResult(int(done), 0, created=False)
        starts_on, ends_on = period.starts_on, period.ends_on
        people = dict(
            session.execute(
                select(DiaryParticipant.worker_ref, DiaryParticipant.id).where(
                    DiaryParticipant.period_id == period_id
                )
            ).all()
        )
    table = read_table(data, filename)
    records = parse_rows(
        table, mapping or propose_mapping(table.headers, columns), columns, progress
    )
    problems: list[str] = []
    days: dict[tuple[int, dt.date], list[tuple[int, EntryInput]]] = defaultdict(list)
    refs: dict[int, str] = {}
    for line, record in enumerate(records, 2):
        ref = normalise_staff_id(record["staff_ref"])
        day = record["entry_date"]
        assert isinstance(day, dt.date)
        participant = people.get(ref)
        if participant is None:
            problems.append(f"Row {line}: staff id {ref} is not taking part in this diary period.")
            continue
        if not starts_on <= day <= ends_on:
            problems.append(
                f"Row {line}, column 'Date': {day:%d/%m/%Y} is outside the period "
                f"({starts_on:%d/%m/%Y} to {ends_on:%d/%m/%Y})."
            )
            continue
        if day > today:
            problems.append(f"Row {line}, column 'Date': {day:%d/%m/%Y} is in the future.")
            continue
        refs[participant] = ref
        minutes = record.get("minutes")
        days[(participant, day)].append(
            (
                line,
                EntryInput(
                    str(record["activity"]),
                    float(minutes) if isinstance(minutes, int | float) else None,
                    record.get("starts_at"),  # type: ignore[arg-type]
                    record.get("ends_at"),  # type: ignore[arg-type]
                    record.get("sos_tool"),  # type: ignore[arg-type]
                ),
            )
        )
    clean: dict[tuple[int, dt.date], list[Entry]] = {}
    for (participant, day), rows in days.items():
        lines = [line for line, _ in rows]
        entries, day_problems = check_day(
            codes,
            [entry for _, entry in rows],
            [f"Row {line}" for line in lines],
            where=f"Staff id {refs[participant]} on {day:%d/%m/%Y} (rows "
            f"{', '.join(str(n) for n in lines)}): ",
        )
        problems.extend(day_problems)
        clean[(participant, day)] = entries
    if problems:
        refuse_import(problems)
    with db.write() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is DiaryStatus.CLOSED:
            raise InvalidInput("This diary period is closed; diaries can no longer be imported.")
        touched: dict[int, list[dt.date]] = defaultdict(list)
        for participant, day in clean:
            touched[participant].append(day)
        for participant, dates in touched.items():
            session.execute(
                delete(DiaryEntry).where(
                    DiaryEntry.participant_id == participant, DiaryEntry.entry_date.in_(dates)
                )
            )
        session.execute(
            insert(DiaryEntry),
            [
                {
                    "participant_id": participant,
                    "entry_date": day,
                    "activity": e.activity,
                    "minutes": e.minutes,
                    "starts_at": e.starts_at,
                    "ends_at": e.ends_at,
                    "sos_tool": e.sos_tool,
                }
                for (participant, day), entries in clean.items()
                for e in entries
            ],
        )
        session.add(
            DiaryImport(
                period_id=period_id, checksum=checksum, source=filename[:200], rows=len(records)
            )
        )
        audit.record(
            session,
            actor,
            "diaries_imported",
            organisation_id=period.organisation_id,
            target=f"diary:{period_id}",
            count=len(records),
        )
    return DiaryImportResult(len(records), len(clean), created=True)
