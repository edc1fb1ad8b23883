"""Time diaries for the demo authority: a closed diary week about six weeks ago for every
team (imported through the real import, as a lead would import paper diaries), and an
open one for two teams with some links left unused for trying the diary page.

Minutes are drawn so that the authority looks like the published figures (GUIDE.md
section 2): about 15% of time in direct work with children and families, about 35% on
recording and administration, and full-time staff working about 46 hours a week against
37 contracted. Teams differ a little in how much direct work they do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from sos_workforce.access import Actor, list_teams
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.private_files import write_private_file
from sos_workforce.diaries import (
    DiaryLink,
    ParticipantInput,
    close_period,
    diary_codes,
    diary_columns,
    enable_links_file,
    import_diaries,
    launch_period,
    period_days,
    reissue_links,
    roster_participants,
)

DIARY_LINKS_FILE = "demo-diary-links.csv"
OPEN_DIARY_TEAMS = ("Assessment Team North", "Children in Need")
# Relative weight of each activity in a working day. The minor activities (meetings,
# supervision, court, training) happen on about three days in four, so the expected shares
# are: direct work 15%, recording and administration 35%, travel 10%, liaison 10%, minor
# activities 30% (40 × 0.75).
MAJOR_WEIGHTS = {
    "direct_child": 6.5,
    "direct_family": 8.5,
    "travel": 10.0,
    "recording": 23.0,
    "liaison": 10.0,
    "admin_other": 12.0,
}
MINOR_WEIGHTS = {
    "meeting_strategy": 4.5,
    "meeting_conference": 5.5,
    "meeting_core_group": 5.5,
    "meeting_lac_review": 3.5,
    "supervision_individual": 5.5,
    "supervision_group": 3.5,
    "court": 5.5,
    "training": 6.5,
}
DIRECT = ("direct_child", "direct_family")
TOOLS = ("mapping", "scaling", "safety_goals", "safety_networks", "safety_plans")
CHILD_TOOLS = ("three_houses", "fairy_wizard", "words_pictures")
# Teams doing more (or less) direct work than the authority as a whole.
TEAM_DIRECT_FACTOR = {
    "Front Door and MASH": 0.5,
    "Family Support East": 1.6,
    "Family Support West": 1.5,
    "Children in Need": 1.2,
    "Quality Assurance and Conferencing": 0.3,
}


def _day_rows(
    rng: random.Random,
    ref: str,
    day: dt.date,
    team: str,
    minutes: int,
    direct_factors: Mapping[str, float],
) -> list[list[object]]:
    factor = direct_factors.get(team, 1.0)
    weights = {
        code: weight * (factor if code in DIRECT else 1.0) * rng.uniform(0.4, 1.6)
        for code, weight in MAJOR_WEIGHTS.items()
    }
    weights |= {
        code: weight * rng.uniform(0.4, 1.6)
        for code, weight in MINOR_WEIGHTS.items()
        if rng.random() < 0.75
    }
    total_weight = sum(weights.values())
    rows: list[list[object]] = []
    for code, weight in weights.items():
        share = round(minutes * weight / total_weight / 5) * 5
        if share < 10:
            continue
        tool = ""
        if code in DIRECT and rng.random() < 0.6:
            tool = rng.choice(CHILD_TOOLS if code == "direct_child" else TOOLS)
        rows.append([ref, f"{day:%d/%m/%Y}", code, share, "", "", tool])
    return rows


def _diary_rows(
    rng: random.Random,
    people: list[ParticipantInput],
    team_names: dict[int, str],
    days: list[dt.date],
    completion: float,
    direct_factors: Mapping[str, float] = TEAM_DIRECT_FACTOR,
) -> list[list[object]]:
    rows: list[list[object]] = []
    for person in people:
        if rng.random() > completion:
            continue  # did not keep a diary
        fte = person.fte or 1.0
        working = [d for d in days if d.weekday() < 5][: max(1, round(5 * fte))]
        for day in working:
            minutes = int(min(720, max(360, rng.gauss(555, 55))))
            team = team_names[person.team_id]
            rows += _day_rows(rng, person.worker_ref, day, team, minutes, direct_factors)
        weekend = [d for d in days if d.weekday() >= 5]
        if weekend and rng.random() < 0.35:  # catching up on recording at the weekend
            rows.append(
                [
                    person.worker_ref,
                    f"{weekend[0]:%d/%m/%Y}",
                    "recording",
                    rng.choice([60, 90, 120]),
                    "",
                    "",
                    "",
                ]
            )
    return rows


def seed_diaries(
    db: Database,
    settings: Settings,
    *,
    organisation_id: int,
    lead: Actor,
    admin: Actor,
    today: dt.date,
    rng: random.Random,
) -> list[str]:
    """Create the closed and the open diary period; return the unused open-period links
    (made through the links file an administrator allows, audited as for real)."""
    teams = {team.name: team.id for team in list_teams(db, lead, organisation_id)}
    team_names = {team_id: name for name, team_id in teams.items()}
    columns = [c.label for c in diary_columns(diary_codes())]

    # A closed diary week (Monday to Sunday) about six weeks ago, for every team.
    monday = today - dt.timedelta(days=today.weekday() + 42)
    week = period_days(monday, monday + dt.timedelta(days=6))
    staffed = [
        name
        for name, team_id in teams.items()
        if name not in ("Children's Social Care", "Early Help")
    ]
    found = roster_participants(
        db, lead, organisation_id, [teams[name] for name in staffed], monday
    )
    closed = launch_period(
        db,
        lead,
        organisation_id,
        title="Diary week (autumn)",
        starts_on=week[0],
        ends_on=week[-1],
        team_ids=sorted({p.team_id for p in found.participants}),
        base_url=settings.base_url,
        today=week[0],
    )
    rows = _diary_rows(rng, found.participants, team_names, week, completion=0.85)
    import_diaries(
        db,
        lead,
        closed.period_id,
        data=csv_bytes(columns, rows),
        filename="paper-diaries.csv",
        today=week[-1] + dt.timedelta(days=3),
    )
    close_period(db, lead, closed.period_id)

    # An open period for two teams, most of whom have filled in their days so far.
    starts_on = today - dt.timedelta(days=6)
    chosen = [teams[name] for name in OPEN_DIARY_TEAMS]
    current = launch_period(
        db,
        lead,
        organisation_id,
        title="Diary week (now)",
        starts_on=starts_on,
        ends_on=today + dt.timedelta(days=1),
        team_ids=chosen,
        base_url=settings.base_url,
        today=starts_on,
    )
    people = roster_participants(db, lead, organisation_id, chosen, starts_on)
    by_ref = {p.worker_ref: p for p in people.participants}
    unused: list[DiaryLink] = []  # three a team, for trying the diary page
    recorded: list[ParticipantInput] = []
    per_team: Counter[str] = Counter()
    enable_links_file(db, admin, current.period_id)
    for link in reissue_links(db, lead, current.period_id, base_url=settings.base_url):
        per_team[link.team] += 1
        if per_team[link.team] <= 3:
            unused.append(link)
        else:
            recorded.append(by_ref[link.worker_ref])
    days_so_far = period_days(starts_on, today - dt.timedelta(days=1))
    rows = _diary_rows(rng, recorded, team_names, days_so_far, completion=1.0)
    import_diaries(
        db,
        lead,
        current.period_id,
        data=csv_bytes(columns, rows),
        filename="diaries-so-far.csv",
        today=today,
    )
    path = settings.data_dir / DIARY_LINKS_FILE
    _write(path, unused)
    return [link.url for link in unused]


def _write(path: Path, links: list[DiaryLink]) -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["staff_id", "team", "link"])
    writer.writerows([link.worker_ref, link.team, link.url] for link in links)
    write_private_file(path, text.getvalue().encode("utf-8"))  # whoever holds it can answer


def seed_comparator_diary(
    db: Database,
    *,
    organisation_id: int,
    lead: Actor,
    code: str,
    team_ids: list[int],
    people_per_team: int,
    direct_factor: float,
    base_url: str,
    today: dt.date,
    rng: random.Random,
) -> None:
    """A closed diary week in another fictional authority (for the time-use comparison),
    with more or less direct work than Northbridge by ``direct_factor``."""
    monday = today - dt.timedelta(days=today.weekday() + 35)
    week = period_days(monday, monday + dt.timedelta(days=6))
    people = [
        ParticipantInput(f"{code.upper()}-{team_id}-{n:02d}", team_id, "Social worker", 1.0)
        for team_id in team_ids
        for n in range(people_per_team)
    ]
    launched = launch_period(
        db,
        lead,
        organisation_id,
        title="Diary week",
        starts_on=week[0],
        ends_on=week[-1],
        team_ids=team_ids,
        base_url=base_url,
        participants=people,
        today=week[0],
    )
    # Everyone's days are drawn like a Northbridge team's, with direct work scaled.
    team_names = dict.fromkeys(team_ids, code)
    rows = _diary_rows(rng, people, team_names, week, 0.9, {code: direct_factor})
    columns = [c.label for c in diary_columns(diary_codes())]
    import_diaries(
        db,
        lead,
        launched.period_id,
        data=csv_bytes(columns, rows),
        filename="diaries.csv",
        today=week[-1] + dt.timedelta(days=2),
    )
    close_period(db, lead, launched.period_id)
