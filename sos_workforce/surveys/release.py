"""Results released in steps: a submission waits in a pool until its team's figures can
change by at least k people at once.

The rule (issue 17, points 3 and 6). A submission spends its link and stores its answers
in ``pending_response`` in one transaction; nothing in that row points back to the link.
Later, in a transaction of its own, a *release* moves pooled answers into the results
tables (``response``, ``answer``, ``text_answer`` and the tallies), in shuffled order,
and deletes the pool rows. A team's pool is released as a whole, and only when

- it holds at least k responses (k is the wave's ``release_step``), and
- each question was answered by 0 or at least k of them (a skipped question counts: its
  n must not move by fewer than k either),

counting as known (not among the k) anyone of the team who shared answers by name with a
request for support or training since the team's last release (``named_waiting``): the
difference between two moments must never isolate fewer than k people who shared nothing.

Every figure a page shows is a sum over teams (a team with its sub-teams, the whole wave),
so between two releases every shown group gains 0 or at least k respondents, and each
question's n in it moves by 0 or at least k: comparing two moments never isolates fewer
than k people. Filters (role, employment type, time with the authority) cut across teams,
so they are offered only on a closed wave that was never reopened (``results``).

At close, what is left in the pool (a team's last few, fewer than k) is released only
where every shown group still gains 0 or at least k on every count; the rest is held back,
kept but never counted, and the closed wave says so without a number per team. A
reopened wave goes on releasing the held-back answers with the new ones. When nothing was
released before the close (a wave with ``live_results`` off, or one where no team reached
k), there is no earlier figure to compare with, so everything is released at close.

Why a pool and not a flag on the response: spending a link and storing its answers in one
transaction gives both rows the same PostgreSQL ``xmin``, and SQLite's rowid keeps the
insertion order, so a response stored at submission could be paired with the invitation
it spent by anyone holding the database file. Results rows are written only at releases,
in batches of at least k shuffled together, so their ids, order and transaction ids tie
each to a batch of at least k, never to one link. What remains is in docs/architecture.md
("What the database file can tell").
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute

from sos_workforce.core.db import Database
from sos_workforce.core.models import (
    Answer,
    PendingResponse,
    Response,
    Team,
    TextAnswer,
    TrainingOptIn,
    Wave,
)
from sos_workforce.surveys import tallies

log = logging.getLogger(__name__)
_WHOLE_WAVE = 0  # the root of the team tree (team ids start at 1)
_shuffle = secrets.SystemRandom().shuffle


def new_pending_id() -> str:
    """A random id: neither its value nor its sort order says when it was made."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class _Pooled:
    id: str
    team_id: int
    row: Any  # the pool row as read (all columns)
    items: frozenset[int]  # questions answered (scale and choice)


@dataclass(frozen=True)
class Released:
    """What one release did: responses added, and responses held back at a close."""

    responses: int
    held_back: int


def pooled_count(connection: Connection, wave_id: int, team_id: int) -> int:
    """How many responses of one team wait in the pool (for the submission path's check)."""
    return int(
        connection.scalar(
            select(func.count())
            .select_from(PendingResponse)
            .where(PendingResponse.wave_id == wave_id, PendingResponse.team_id == team_id)
        )
        or 0
    )


def pooled_by_team(connection: Connection, wave_id: int) -> dict[int, list[_Pooled]]:
    rows = connection.execute(
        select(PendingResponse).where(PendingResponse.wave_id == wave_id)
    ).all()
    by_team: dict[int, list[_Pooled]] = defaultdict(list)
    for row in rows:
        items = frozenset(int(item) for item, _ in row.item_values)
        by_team[row.team_id].append(_Pooled(row.id, row.team_id, row, items))
    return by_team


def _step_is_safe(people: Sequence[_Pooled], k: int, named: int = 0) -> bool:
    """One group's gain: no one, or at least k people and each question's n by 0 or ≥ k.
    ``named``: of the people, how many may have shared answers by name with a request for
    support or training (they count as known, so k others must come with them)."""
    if not people:
        return True
    if len(people) - named < k:
        return False
    answering: dict[int, int] = defaultdict(int)
    for person in people:
        for item in person.items:
            answering[item] += 1
    return all(n - named >= k for n in answering.values())


def _ready_teams(
    by_team: Mapping[int, list[_Pooled]], k: int, named: Mapping[int, int]
) -> set[int]:
    return {
        team for team, people in by_team.items() if _step_is_safe(people, k, named.get(team, 0))
    }


def shared_opt_ins(
    connection: Connection, group: InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> dict[int, int]:
    """Requests for support or training that shared answers by name, counted per ``group``
    (a wave or a team) among the rows ``where`` selects."""
    named: dict[int, int] = defaultdict(int)
    for key, shared in connection.execute(select(group, TrainingOptIn.shared).where(*where)):
        if shared and key is not None:
            named[key] += 1
    return dict(named)


def named_in_waves(connection: Connection, wave_ids: Iterable[int]) -> dict[int, int]:
    """Per wave, the requests for support or training that shared answers by name: whole-
    wave figures (trends, benchmarks) count those people as known, so they show a figure
    only when at least k others answered."""
    return shared_opt_ins(
        connection, TrainingOptIn.wave_id, TrainingOptIn.wave_id.in_(list(wave_ids))
    )


def named_waiting(connection: Connection, wave_id: int) -> dict[int, int]:
    """Per team, requests for support or training that shared answers by name and whose
    team has not been released since (their response may be waiting in the pool: the
    request is stored after its response and before any release)."""
    return shared_opt_ins(
        connection,
        TrainingOptIn.team_id,
        TrainingOptIn.wave_id == wave_id,
        TrainingOptIn.released.is_(False),
    )


def _safe_remainder(
    by_team: Mapping[int, list[_Pooled]],
    parents: Mapping[int, int],
    k: int,
    named: Mapping[int, int] | None = None,
) -> set[int]:
    """At close: the teams whose last few can be added together so that every shown group
    (each team with its sub-teams, and the whole wave) gains 0 or at least k on every
    count. Greedy: while some group would gain 1..k-1, leave out the teams of the smallest
    such group. Always ends (the set only shrinks), possibly with nobody."""
    chosen = {team for team, people in by_team.items() if people}
    ancestors: dict[int, list[int]] = {}
    for team in chosen:
        chain, seen, node = [_WHOLE_WAVE], set(), team
        while node != _WHOLE_WAVE and node not in seen:
            seen.add(node)
            chain.append(node)
            node = parents.get(node, _WHOLE_WAVE)
        ancestors[team] = chain
    named = named or {}
    while chosen:
        gains: dict[int, list[_Pooled]] = defaultdict(list)
        known: dict[int, int] = defaultdict(int)
        for team in chosen:
            for group in ancestors[team]:
                gains[group].extend(by_team[team])
                known[group] += named.get(team, 0)
        unsafe = [
            (len(people), group)
            for group, people in gains.items()
            if not _step_is_safe(people, k, known[group])
        ]
        if not unsafe:
            return chosen
        _, smallest = min(unsafe)
        chosen = {team for team in chosen if smallest not in ancestors[team]}
    return chosen


def release(connection: Connection, wave_id: int, *, closing: bool = False) -> Released:
    """Release what the rule allows, in the caller's write transaction (which must not be
    the one that pooled any of the responses). ``closing``: the wave is closing, so the
    last few of each team are added where that is safe and the rest is held back."""
    # The wave's row lock orders releases of one wave (and a close) one after another;
    # PostgreSQL submissions hold FOR SHARE on it, so a release also waits for those.
    wave = connection.execute(
        select(Wave.release_step, Wave.live_results).where(Wave.id == wave_id).with_for_update()
    ).one_or_none()
    if wave is None or not (closing or wave.live_results):
        return Released(0, 0)
    step = wave.release_step
    by_team = pooled_by_team(connection, wave_id)
    named = named_waiting(connection, wave_id)
    ready = _ready_teams(by_team, step, named)
    held_back = 0
    if closing and not _anything_shown(connection, wave_id):
        # The first release is at the close (results at close only, or too few answers
        # in any team to release while open): there is no earlier figure to compare with,
        # so everything goes in, and the gate decides what is shown as on any one page.
        ready = set(by_team)
    elif closing:
        rest = {team: people for team, people in by_team.items() if team not in ready}
        if rest:
            parents = _team_parents(connection, wave_id)
            ready |= _safe_remainder(rest, parents, step, named)
        held = [
            person for team, people in by_team.items() if team not in ready for person in people
        ]
        held_back = len(held)
        _rewrite_ids(connection, held)
    released = [person for team in ready for person in by_team[team]]
    if released:
        move_to_results(connection, wave_id, released)
        # The whole pool of each of these teams went in, with any named request's response.
        connection.execute(
            update(TrainingOptIn)
            .where(TrainingOptIn.wave_id == wave_id, TrainingOptIn.team_id.in_(ready))
            .values(released=True)
        )
    return Released(len(released), held_back)


def release_due(db: Database, wave_id: int) -> Released:
    """Release a wave's ready teams in a new transaction (after a submission commits)."""
    with db.write_connection() as connection:
        return release(connection, wave_id)


def release_quietly(db: Database, wave_id: int) -> None:
    """``release_due`` for the submission path: the submission is already safe in the
    pool, so a failed release is logged and left for the next submission or the close."""
    try:
        release_due(db, wave_id)
    except Exception:  # noqa: BLE001 - the respondent's answers are stored either way
        log.exception("Release of wave %s failed; it will be tried again", wave_id)


def held_back(connection: Connection, wave_id: int) -> bool:
    """Whether a closed wave holds answers back (never how many, or in which team)."""
    return bool(
        connection.scalar(
            select(func.count())
            .select_from(PendingResponse)
            .where(PendingResponse.wave_id == wave_id)
        )
    )


def _anything_shown(connection: Connection, wave_id: int) -> bool:
    return (
        connection.scalar(select(Response.id).where(Response.wave_id == wave_id).limit(1))
        is not None
    )


def _team_parents(connection: Connection, wave_id: int) -> dict[int, int]:
    organisation = select(Wave.organisation_id).where(Wave.id == wave_id).scalar_subquery()
    return {
        team_id: parent_id or _WHOLE_WAVE
        for team_id, parent_id in connection.execute(
            select(Team.id, Team.parent_id).where(Team.organisation_id == organisation)
        )
    }


def _rewrite_ids(connection: Connection, people: Iterable[_Pooled]) -> None:
    """Held-back rows get new random ids in this (the close's) transaction: on PostgreSQL
    that writes new row versions with this transaction's ``xmin``, so the rows no longer
    share one with the links they spent."""
    for person in people:
        connection.execute(
            update(PendingResponse)
            .where(PendingResponse.id == person.id)
            .values(id=new_pending_id())
        )


def move_to_results(connection: Connection, wave_id: int, people: list[_Pooled]) -> None:
    _shuffle(people)
    comments: list[dict[str, object]] = []
    for person in people:
        row = person.row
        response_id = connection.execute(
            insert(Response).values(
                wave_id=wave_id,
                team_id=row.team_id,
                submitted_on=row.submitted_on,
                channel=row.channel,
                staff_role=row.staff_role,
                employment_type=row.employment_type,
                tenure_band=row.tenure_band,
                respondent_name=row.respondent_name,
                respondent_email=row.respondent_email,
            )
        ).inserted_primary_key
        if response_id is None:  # pragma: no cover - a single-row INSERT always has a key
            raise RuntimeError("The response was not stored.")
        values = [(int(item), int(value)) for item, value in row.item_values]
        if values:
            connection.execute(
                insert(Answer),
                [
                    {"response_id": response_id[0], "item_id": item, "value": value}
                    for item, value in values
                ],
            )
        tallies.add_response(
            connection,
            wave_id,
            row.team_id,
            tallies.grouping_of(row.staff_role, row.employment_type, row.tenure_band),
            values,
        )
        comments.extend(
            {"wave_id": wave_id, "team_id": row.team_id, "item_id": int(item), "body": str(body)}
            for item, body in row.texts
        )
    if comments:
        _shuffle(comments)  # apart from the responses: a comment's place says nothing
        connection.execute(insert(TextAnswer), comments)
    connection.execute(
        delete(PendingResponse).where(PendingResponse.id.in_([person.id for person in people]))
    )
