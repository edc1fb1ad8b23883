"""The open organisation link's abuse limits (issue 18, point 5): a cap of starts per team
at a multiple of its headcount, a rate limit per team, abandoned starts expiring (on new
starts and in the purge), and answers counted by link under the disclosure gate; both
databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from sos_workforce import maintenance, surveys
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Channel
from sos_workforce.core.errors import LinkRefused
from sos_workforce.core.models import (
    Invitation,
    OpenLinkPending,
    OpenLinkStart,
    PendingResponse,
    Response,
    ResponseDraft,
    WaveTeam,
)
from sos_workforce.surveys import OpenLinkLimits
from tests.support.factories import World, launch, release_all, token_of

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
# The rate limit out of the way, for the tests of the other rules.
NO_RATE = OpenLinkLimits(starts_per_minute=1000)


def _count(db: Database, model: type, *where: ColumnElement[bool]) -> int:
    with db.read() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int(session.scalar(query) or 0)


def _open_token(db: Database, world: World, wave_id: int) -> str:
    url = surveys.issue_open_link(db, world.lead, wave_id, base_url="http://t")
    return url.rsplit("o=", 1)[1]


def _personal_ids(session: Session) -> set[int]:
    return set(
        session.scalars(select(Invitation.id).where(Invitation.channel == Channel.PERSONAL_LINK))
    )


def _open_starts(db: Database, team_id: int) -> int:
    return _count(
        db, Invitation, Invitation.channel == Channel.OPEN_LINK, Invitation.team_id == team_id
    )


def test_the_cap_is_the_headcount_times_the_multiple_rounded_up() -> None:
    limits = OpenLinkLimits(headcount_multiple=1.5, cap_without_headcount=7)
    assert [limits.cap(n) for n in (1, 2, 3, 4, 10)] == [2, 3, 5, 6, 15]
    assert limits.cap(0) == 7
    assert OpenLinkLimits(headcount_multiple=1.0).cap(4) == 4


def test_a_team_at_its_cap_is_refused_counting_spent_and_unexpired_starts(
    db: Database, world: World
) -> None:
    launched = launch(db, world, {"Alpha": 6, "Beta": 3})
    open_token = _open_token(db, world, launched.wave_id)
    beta, alpha = world.teams["Beta"], world.teams["Alpha"]
    cap = NO_RATE.cap(3)  # 5
    started = [
        surveys.start_open_response(db, open_token, beta, limits=NO_RATE, now=NOW)
        for _ in range(cap)
    ]
    surveys.submit_response(db, started[0], {"understanding": 5})  # spent still counts
    with pytest.raises(LinkRefused, match="as many answers through this link"):
        surveys.start_open_response(db, open_token, beta, limits=NO_RATE, now=NOW)
    assert _open_starts(db, beta) == cap  # the refusal added nothing
    # Another team has its own cap.
    surveys.start_open_response(db, open_token, alpha, limits=NO_RATE, now=NOW)
    # Once the unspent starts expire, they no longer count; the spent one still does.
    later = NOW + dt.timedelta(hours=NO_RATE.expiry_hours, minutes=1)
    fresh = [
        surveys.start_open_response(db, open_token, beta, limits=NO_RATE, now=later)
        for _ in range(cap - 1)
    ]
    assert len(fresh) == cap - 1 and _open_starts(db, beta) == cap
    with pytest.raises(LinkRefused, match="as many answers through this link"):
        surveys.start_open_response(db, open_token, beta, limits=NO_RATE, now=later)


def test_a_team_without_a_headcount_has_the_fixed_cap(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 6, "Beta": 3})
    open_token = _open_token(db, world, launched.wave_id)
    beta = world.teams["Beta"]
    with db.write() as session:
        session.execute(
            update(WaveTeam)
            .where(WaveTeam.wave_id == launched.wave_id, WaveTeam.team_id == beta)
            .values(expected_headcount=0)
        )
    limits = OpenLinkLimits(starts_per_minute=1000, cap_without_headcount=2)
    for _ in range(2):
        surveys.start_open_response(db, open_token, beta, limits=limits, now=NOW)
    with pytest.raises(LinkRefused, match="as many answers"):
        surveys.start_open_response(db, open_token, beta, limits=limits, now=NOW)


def test_starts_per_minute_per_team_are_limited(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 20, "Beta": 20})
    open_token = _open_token(db, world, launched.wave_id)
    alpha, beta = world.teams["Alpha"], world.teams["Beta"]
    limits = OpenLinkLimits(starts_per_minute=2)
    surveys.start_open_response(db, open_token, alpha, limits=limits, now=NOW)
    surveys.start_open_response(
        db, open_token, alpha, limits=limits, now=NOW + dt.timedelta(seconds=30)
    )
    with pytest.raises(LinkRefused, match="wait a minute"):
        surveys.start_open_response(
            db, open_token, alpha, limits=limits, now=NOW + dt.timedelta(seconds=45)
        )
    assert _open_starts(db, alpha) == 2
    # Another team is not held up, and a minute after the first start one more may start.
    surveys.start_open_response(db, open_token, beta, limits=limits, now=NOW)
    surveys.start_open_response(
        db, open_token, alpha, limits=limits, now=NOW + dt.timedelta(seconds=61)
    )
    assert _open_starts(db, alpha) == 3
    # The rate rows keep the team and the time only, and go once past the minute.
    # (both starts at NOW went with the last start: those of +30 s and +61 s remain)
    assert _count(db, OpenLinkStart) == 2
    surveys.start_open_response(
        db, open_token, beta, limits=limits, now=NOW + dt.timedelta(minutes=5)
    )
    assert _count(db, OpenLinkStart) == 1


def test_abandoned_starts_expire_on_new_starts_and_in_the_purge(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 20, "Beta": 20})
    open_token = _open_token(db, world, launched.wave_id)
    alpha = world.teams["Alpha"]
    abandoned = surveys.start_open_response(db, open_token, alpha, limits=NO_RATE, now=NOW)
    surveys.save_draft(db, abandoned, {"understanding": 4})
    sent = surveys.start_open_response(db, open_token, alpha, limits=NO_RATE, now=NOW)
    surveys.submit_response(db, sent, {"understanding": 7})
    personal = token_of(launched.links[0])  # personal links never expire this way
    # A spent link keeps no time, so it cannot be matched to its answer by time: only the
    # unspent start has one.
    with db.read() as session:
        unspent = session.scalars(select(Invitation.id).where(Invitation.spent.is_(False)))
        assert set(session.scalars(select(OpenLinkPending.invitation_id))) == (
            set(unspent) - _personal_ids(session)
        )
    assert _count(db, ResponseDraft) == 1
    # Within the expiry, a new start leaves the abandoned one alone.
    almost = NOW + dt.timedelta(hours=NO_RATE.expiry_hours - 1)
    surveys.start_open_response(db, open_token, alpha, limits=NO_RATE, now=almost)
    assert surveys.open_survey(db, abandoned).draft == {"understanding": 4}
    # Past it, the next start deletes the abandoned link and its draft.
    past = NOW + dt.timedelta(hours=NO_RATE.expiry_hours, seconds=1)
    surveys.start_open_response(db, open_token, alpha, limits=NO_RATE, now=past)
    with pytest.raises(LinkRefused):
        surveys.open_survey(db, abandoned)
    assert _count(db, ResponseDraft) == 0
    assert _count(db, Invitation, Invitation.spent.is_(True)) == 1
    assert surveys.open_survey(db, personal).team  # untouched
    assert _open_starts(db, alpha) == 3  # the spent one and the two recent starts
    # The purge expires the rest without any new start.
    much_later = past + dt.timedelta(hours=NO_RATE.expiry_hours + 1)
    result = maintenance.purge_expired(db, None, system=True, now=much_later)
    assert result.open_link_starts == 2
    assert _open_starts(db, alpha) == 1
    assert _count(db, OpenLinkStart) == 0 and _count(db, OpenLinkPending) == 0


def _answer_open(db: Database, open_token: str, team_id: int, n: int) -> None:
    for _ in range(n):
        token = surveys.start_open_response(db, open_token, team_id, limits=NO_RATE)
        surveys.submit_response(db, token, {"understanding": 6})


def _answer_personal(db: Database, links: list[str]) -> None:
    for token in links:
        surveys.submit_response(db, token, {"understanding": 6})


def _personal_links(launched: surveys.LaunchedWave, team: str) -> list[str]:
    return [token_of(link) for link in launched.links if link.team == team]


def test_answers_by_link_count_released_answers_and_flag_a_team_over_its_headcount(
    db: Database, world: World
) -> None:
    launched = launch(db, world, {"Alpha": 6, "Beta": 3})
    open_token = _open_token(db, world, launched.wave_id)
    k = 5
    _answer_personal(db, _personal_links(launched, "Alpha")[:k])
    _answer_open(db, open_token, world.teams["Alpha"], k)
    release_all(db, launched.wave_id)
    # The pool is never counted: an answer waiting there is not in the counts.
    _answer_open(db, open_token, world.teams["Beta"], 1)
    assert _count(db, PendingResponse, PendingResponse.team_id == world.teams["Beta"]) == 1
    counts = surveys.answers_by_channel(db, world.lead, launched.wave_id, min_group_size=k)
    by_team = {c.team: c for c in counts.teams}
    assert (by_team["Alpha"].open_link, by_team["Alpha"].personal_link) == (k, k)
    assert by_team["Alpha"].total == 2 * k and by_team["Alpha"].expected == 6
    assert by_team["Alpha"].over_headcount
    assert (by_team["Beta"].open_link, by_team["Beta"].personal_link) == (0, 0)
    assert not by_team["Beta"].over_headcount
    assert (counts.overall.open_link, counts.overall.personal_link) == (k, k)
    assert counts.overall.expected == 9 and counts.overall.over_headcount
    # An executive reads the same view; another organisation's lead does not.
    assert (
        surveys.answers_by_channel(
            db, world.executive, launched.wave_id, min_group_size=k
        ).overall.total
        == 2 * k
    )


def test_counts_by_link_under_k_are_held_back_with_their_complements(
    db: Database, world: World
) -> None:
    launched = launch(db, world, {"Alpha": 6, "Beta": 3})
    open_token = _open_token(db, world, launched.wave_id)
    k = 5
    _answer_personal(db, _personal_links(launched, "Alpha")[:k])
    _answer_open(db, open_token, world.teams["Alpha"], 2)
    release_all(db, launched.wave_id)
    counts = surveys.answers_by_channel(db, world.lead, launched.wave_id, min_group_size=k)
    alpha = next(c for c in counts.teams if c.team == "Alpha")
    # Alpha's 7 pass the gate as a total, but its open-link cell holds 2: neither of its
    # counts by link is shown, nor the whole wave's (which would give them away). The
    # total is the one the response rates show, and the flag is raised on it.
    rates = surveys.response_rates(db, world.lead, launched.wave_id, min_group_size=k)
    assert next(r for r in rates.teams if r.team == "Alpha").responses == k + 2
    assert (alpha.open_link, alpha.personal_link, alpha.total) == (None, None, k + 2)
    assert alpha.over_headcount  # 7 answers, 6 people
    assert (counts.overall.open_link, counts.overall.personal_link) == (None, None)
    assert counts.overall.total == k + 2 and not counts.overall.over_headcount  # 9 people
    beta = next(c for c in counts.teams if c.team == "Beta")
    # An empty team is shown (it reveals nobody); Alpha's cells cannot be worked out from
    # it because the whole wave's are held back too.
    assert (beta.open_link, beta.personal_link, beta.total) == (0, 0, 0)
    for c in [*counts.teams, counts.overall]:
        for n in (c.open_link, c.personal_link):
            assert n is None or n == 0 or n >= k


def test_after_the_purge_the_split_by_link_is_not_offered(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 6, "Beta": 3})
    open_token = _open_token(db, world, launched.wave_id)
    k = 5
    _answer_personal(db, _personal_links(launched, "Alpha")[:k])
    _answer_open(db, open_token, world.teams["Alpha"], k)
    release_all(db, launched.wave_id)
    with db.write() as session:  # what the retention purge does to the raw responses
        session.execute(delete(Response).where(Response.wave_id == launched.wave_id))
    counts = surveys.answers_by_channel(db, world.lead, launched.wave_id, min_group_size=k)
    assert not counts.by_link_available
    alpha = next(c for c in counts.teams if c.team == "Alpha")
    assert (alpha.open_link, alpha.personal_link, alpha.total) == (None, None, 2 * k)
    assert alpha.over_headcount
