"""Builders for time-diary tests."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from sos_workforce import diaries
from sos_workforce.core.db import Database
from sos_workforce.diaries.days import EntryInput
from sos_workforce.diaries.periods import ParticipantInput
from tests.support.factories import World

# Monday 2 March 2026 to Sunday 8 March 2026: five weekdays, so one week.
MONDAY = dt.date(2026, 3, 2)
SUNDAY = dt.date(2026, 3, 8)
AFTER = dt.date(2026, 3, 10)  # "today" in most tests: the period is over but open
_titles = itertools.count(1)


@dataclass
class Period:
    period_id: int
    tokens: dict[str, str]  # staff id → token


def token_of(link: diaries.DiaryLink) -> str:
    return link.url.rsplit("d=", 1)[1]


def launch(
    db: Database,
    world: World,
    people: Sequence[tuple[str, str, str, float]],
    *,
    starts_on: dt.date = MONDAY,
    ends_on: dt.date = SUNDAY,
    title: str | None = None,
    today: dt.date = AFTER,
) -> Period:
    """A period for the teams of ``people`` (staff id, team name, role, FTE) whose personal
    links come back through the links file an administrator allows (what most tests need:
    tokens to record with)."""
    participants = [
        ParticipantInput(ref, world.teams[team], role, fte) for ref, team, role, fte in people
    ]
    launched = diaries.launch_period(
        db,
        world.lead,
        world.organisation_id,
        title=title or f"Diary week {next(_titles)}",
        starts_on=starts_on,
        ends_on=ends_on,
        team_ids=sorted({p.team_id for p in participants}),
        base_url="http://testserver",
        participants=participants,
        today=today,
    )
    return with_links(db, world, launched.period_id)


def with_links(db: Database, world: World, period_id: int) -> Period:
    """The period with its personal links, through the links file an administrator
    enables (as a test stands in for both people)."""
    diaries.enable_links_file(db, world.admin, period_id)
    links = diaries.reissue_links(db, world.lead, period_id, base_url="http://testserver")
    return Period(period_id, {link.worker_ref: token_of(link) for link in links})


def fill(
    db: Database,
    token: str,
    days: Sequence[dt.date],
    entries: Sequence[tuple[str, int]],
    today: dt.date = AFTER,
) -> None:
    """Record the same (activity, minutes) entries on each of ``days``."""
    for day in days:
        diaries.save_day(
            db, token, day, [EntryInput(code, minutes) for code, minutes in entries], today=today
        )


def weekdays(start: dt.date = MONDAY, count: int = 5) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range(count)]
