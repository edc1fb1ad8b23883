"""The attacker suite: a curious lead and executive hold every output after every submission
and try to work out one person's answer or a group smaller than the minimum.

It plays a wave of the confidence survey with its "About you" questions (so dashboards
offer filters) in an authority with a team, its sub-team and a second team. After each
submission it takes every figure the lead's and executive's services show: response
counts per team and overall, every band table for the whole wave, each team and each
filter (and each pair of filters), and each item's n. It knows the truth (who answered
what), so it can tell whether a combination of shown figures pins down a group under k.

Inference rules (each a function below):

- ``differencing``: any two snapshots; a shown group that gained 1..k-1 respondents (or an
  item whose n moved by 1..k-1) gives those people's answers away.
- ``subtraction``: within a snapshot, a shown figure minus one or two shown figures over
  subsets of its people (a team minus its sub-team, the wave minus a team, a group minus
  its filtered part, …); the people left over must be 0 or at least k.
- ``intersections``: a filtered group beside every other shown group; the people in both
  must be 0 or at least k (zero cells and non-negative counts make them derivable).
- ``comparators``: cross-authority medians come only from fixed groups of at least five;
  no lead or executive can choose the set.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from sos_workforce import surveys
from sos_workforce.access import create_team
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import PendingResponse
from sos_workforce.privacy import MIN_COMPARATORS
from sos_workforce.surveys.results import WHOLE_WAVE, load_wave_counts
from tests.support.environment import make_settings
from tests.support.factories import World, build_world, token_of, with_links

K = 5
ITEMS = ("understanding", "integration")
EMPLOYMENT = {1: "Permanent", 2: "Agency"}
ROLES = {1: "Social worker", 3: "Team manager"}
TEAMS = ("Alpha", "Alpha North", "Beta")


@dataclass(frozen=True)
class Person:
    team: str
    employment: int | None
    role: int | None
    values: tuple[int | None, ...]  # one per ITEMS entry; None = skipped

    def answers(self) -> dict[str, surveys.AnswerValue]:
        answers: dict[str, surveys.AnswerValue] = {}
        if self.employment is not None:
            answers["employment_type"] = self.employment
        if self.role is not None:
            answers["staff_role"] = self.role
        for code, value in zip(ITEMS, self.values, strict=True):
            if value is not None:
                answers[code] = value
        return answers


people = st.builds(
    Person,
    team=st.sampled_from(TEAMS),
    employment=st.sampled_from([None, 1, 2]),
    role=st.sampled_from([None, 1, 3]),
    values=st.tuples(*[st.one_of(st.none(), st.integers(1, 10)) for _ in ITEMS]),
)


# A figure's key: (quantity, group, filters, item, band); its people are a set of indices.
Key = tuple[str, str, tuple[tuple[str, str], ...], str, int]


@dataclass
class Snapshot:
    shown: dict[Key, int] = field(default_factory=dict)  # what the services showed
    people: dict[Key, frozenset[int]] = field(default_factory=dict)  # the truth behind it


@dataclass
class Scenario:
    db: Database
    world: World
    wave_id: int
    tokens: dict[str, list[str]]
    team_ids: dict[str, int]
    submitted: list[Person] = field(default_factory=list)


def _subtree(scenario: Scenario, group: str) -> set[str]:
    if group == "wave":
        return set(TEAMS)
    return {"Alpha", "Alpha North"} if group == "Alpha" else {group}


def _matches(person: Person, filters: tuple[tuple[str, str], ...]) -> bool:
    for name, label in filters:
        answer = person.employment if name == "employment_type" else person.role
        table = EMPLOYMENT if name == "employment_type" else ROLES
        if table.get(answer or 0, "") != label:
            return False
    return True


def _released(scenario: Scenario) -> set[int]:
    """The truth of who is in the results: a release takes a team's whole pool, so the
    people still waiting (or held back at close) are each team's latest."""
    with scenario.db.read() as session:
        waiting = dict(
            session.execute(
                select(PendingResponse.team_id, func.count())
                .where(PendingResponse.wave_id == scenario.wave_id)
                .group_by(PendingResponse.team_id)
            ).all()
        )
    released = set()
    for name, team_id in scenario.team_ids.items():
        indices = [i for i, person in enumerate(scenario.submitted) if person.team == name]
        released.update(indices[: len(indices) - waiting.get(team_id, 0)])
    return released


def _members(scenario: Scenario, group: str, filters: tuple[tuple[str, str], ...]) -> set[int]:
    teams = _subtree(scenario, group)
    released = _released(scenario)
    return {
        index
        for index, person in enumerate(scenario.submitted)
        if index in released and person.team in teams and _matches(person, filters)
    }


FILTER_CHOICES: list[tuple[tuple[str, str], ...]] = [
    (),
    *[(("employment_type", label),) for label in EMPLOYMENT.values()],
    *[(("staff_role", label),) for label in ROLES.values()],
    *[
        (("employment_type", e), ("staff_role", r))
        for e, r in itertools.product(EMPLOYMENT.values(), ROLES.values())
    ],
]


def snapshot(scenario: Scenario) -> Snapshot:
    """Every figure the lead and the executive can see, with the people behind each."""
    taken = Snapshot()
    db, world = scenario.db, scenario.world

    def record(key: Key, value: int | None, members: set[int]) -> None:
        if value is not None:
            taken.shown[key] = value
            taken.people[key] = frozenset(members)

    rates = surveys.response_rates(db, world.lead, scenario.wave_id, min_group_size=K)
    record(
        ("respondents", "wave", (), "", -1), rates.overall.responses, _members(scenario, "wave", ())
    )
    for rate in rates.teams:  # a team with its sub-teams, as the band tables count it
        members = _members(scenario, rate.team, ())
        record(("rate respondents", rate.team, (), "", -1), rate.responses, members)

    counts = load_wave_counts(db, world.executive, scenario.wave_id)
    groups = {"wave": WHOLE_WAVE, "Alpha": scenario.team_ids["Alpha"]}
    groups["Alpha North"] = scenario.team_ids["Alpha North"]
    groups["Beta"] = scenario.team_ids["Beta"]
    for (name, group_id), filters in itertools.product(groups.items(), FILTER_CHOICES):
        try:
            tables = counts.tables_for(group_id, K, dict(filters) if filters else None)
        except InvalidInput:
            tables = []  # a refused filter (e.g. while a wave is open) shows nothing
        members = _members(scenario, name, filters)
        for table in tables:
            record(("respondents", name, filters, "", -1), table.respondents, members)
            for row in table.rows:
                if row.n is None or row.counts is None:
                    continue
                item = ITEMS.index(row.item_code) if row.item_code in ITEMS else None
                if item is None:
                    continue
                answered = {i for i in members if scenario.submitted[i].values[item] is not None}
                record(("n", name, filters, row.item_code, -1), row.n, answered)
                for band, count in enumerate(row.counts):
                    record(("band", name, filters, row.item_code, band), count, answered)
    return taken


# --- the inference rules ----------------------------------------------------------------


def differencing(before: Snapshot, after: Snapshot) -> list[str]:
    """A group shown at two moments must have gained 0 or at least k people (respondents,
    or answers to an item), or the newcomers' answers are the difference."""
    leaks = []
    for key, value in after.shown.items():
        if key[0] not in ("respondents", "rate respondents", "n") or key not in before.shown:
            continue
        moved = abs(value - before.shown[key])
        if 0 < moved < K:
            leaks.append(f"differencing: {key} moved by {moved}")
    return leaks


def subtraction(taken: Snapshot) -> list[str]:
    """A shown count minus one or two shown counts of the same kind over subsets of its
    people leaves a group that must be empty or at least k."""
    leaks = []
    by_kind: dict[tuple[str, str], list[Key]] = {}
    for key in taken.shown:
        if key[0] in ("respondents", "rate respondents", "n"):
            kind = ("people" if key[0] != "n" else "n", key[3])
            by_kind.setdefault(kind, []).append(key)
    for keys in by_kind.values():
        for whole in keys:
            outer = taken.people[whole]
            parts = [k for k in keys if k != whole and taken.people[k] < outer]
            for size in (1, 2):
                for chosen in itertools.combinations(parts, size):
                    sets = [taken.people[k] for k in chosen]
                    if size == 2 and sets[0] & sets[1]:
                        continue
                    left = len(outer - frozenset().union(*sets))
                    if 0 < left < K:
                        leaks.append(f"subtraction: {whole} minus {chosen} leaves {left}")
    return leaks


def intersections(taken: Snapshot) -> list[str]:
    """A shown filtered group beside any other shown group: the people in both are 0 or at
    least k (counts cannot be negative, so zero cells pin them down)."""
    leaks = []
    respondents = [k for k in taken.shown if k[0] == "respondents"]
    for filtered in (k for k in respondents if k[2]):
        for other in respondents:
            if other == filtered:
                continue
            both = len(taken.people[filtered] & taken.people[other])
            if 0 < both < K and both not in (
                len(taken.people[filtered]),
                len(taken.people[other]),
            ):
                leaks.append(f"intersection: {filtered} and {other} share {both}")
    return leaks


def all_leaks(history: list[Snapshot]) -> list[str]:
    leaks = [*subtraction(history[-1]), *intersections(history[-1])]
    for before in history[:-1]:
        leaks += differencing(before, history[-1])
    return leaks


# --- playing it -------------------------------------------------------------------------


def _scenario(db: Database, world: World) -> Scenario:
    north = create_team(db, world.admin, world.organisation_id, "Alpha North", world.teams["Alpha"])
    teams = {**world.teams, "Alpha North": north}
    launched = with_links(
        db,
        world,
        surveys.launch_wave(
            db,
            world.lead,
            organisation_id=world.organisation_id,
            instrument_version_id=world.instrument_version_id,
            title="Attacked wave",
            opens_on=dt.date.today(),
            closes_on=dt.date.today() + dt.timedelta(days=14),
            headcounts={teams[name]: 40 for name in TEAMS},
            base_url="http://testserver",
        ),
    )
    tokens: dict[str, list[str]] = {name: [] for name in TEAMS}
    for link in launched.links:
        tokens[link.team].append(token_of(link))
    return Scenario(db, world, launched.wave_id, tokens, teams)


def play(scenario: Scenario, submissions: list[Person]) -> list[str]:
    """Submit one by one, snapshot after each and at close; every leak found."""
    history: list[Snapshot] = []
    leaks: list[str] = []
    for person in submissions:
        surveys.submit_response(scenario.db, scenario.tokens[person.team].pop(), person.answers())
        scenario.submitted.append(person)
        history.append(snapshot(scenario))
        leaks += all_leaks(history)
    surveys.close_wave(scenario.db, scenario.world.lead, scenario.wave_id)
    history.append(snapshot(scenario))
    leaks += all_leaks(history)
    return leaks


@settings(
    max_examples=15,
    deadline=None,
    # Bounded for CI: no shrinking (a failure reports the sequence as found, which the
    # leak messages make readable); run with more examples locally when changing the gate.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(submissions=st.lists(people, min_size=1, max_size=22))
def test_no_output_reveals_one_person_or_a_group_under_k(
    sqlite_template: Path, submissions: list[Person]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "attacked.db"
        shutil.copyfile(sqlite_template, path)
        configured = make_settings(f"sqlite:///{path}", Path(folder))
        db = Database.from_settings(configured)
        try:
            leaks = play(_scenario(db, build_world(db, configured)), submissions)
        finally:
            db.dispose()
    assert not leaks, leaks[:5]


# The issue's own examples, on SQLite and PostgreSQL: a lone newcomer, a small team beside
# a larger one, an agency worker beside a team with an empty band.
ISSUE_SCENARIOS = {
    "one more respondent": [Person("Beta", 1, 1, (8, 7))] * 5 + [Person("Beta", 1, 1, (2, 2))],
    "a small team beside a larger one": [Person("Alpha", 1, 1, (8, 8))] * 5
    + [Person("Beta", 1, 1, (3, 3))] * 2,
    "a sub-team of a shown team": [Person("Alpha", 1, 1, (9, 9))] * 6
    + [Person("Alpha North", 1, 1, (1, 1))] * 2,
    "agency staff beside an empty band": [Person("Alpha", 1, 1, (9, 9))] * 6
    + [Person("Beta", 2, 1, (9, 9))] * 5
    + [Person("Alpha", 2, 1, (2, 2))],
}


@pytest.mark.parametrize("scenario", sorted(ISSUE_SCENARIOS))
def test_the_issues_attacks_find_nothing(db: Database, world: World, scenario: str) -> None:
    assert play(_scenario(db, world), ISSUE_SCENARIOS[scenario]) == []


def test_the_rules_find_a_leak_when_there_is_one() -> None:
    """The checks themselves can fail: a team shown at 5 and then 6 gives one person away;
    a wave of 7 beside a team of 5 leaves 2; an agency group of 5 sharing 2 with a team."""
    before, after = Snapshot(), Snapshot()
    key: Key = ("respondents", "Beta", (), "", -1)
    before.shown[key], before.people[key] = 5, frozenset(range(5))
    after.shown[key], after.people[key] = 6, frozenset(range(6))
    assert differencing(before, after) == [f"differencing: {key} moved by 1"]
    whole: Key = ("respondents", "wave", (), "", -1)
    alpha: Key = ("respondents", "Alpha", (), "", -1)
    taken = Snapshot({whole: 7, alpha: 5}, {whole: frozenset(range(7)), alpha: frozenset(range(5))})
    assert subtraction(taken) == [f"subtraction: {whole} minus {(alpha,)} leaves 2"]
    agency: Key = ("respondents", "wave", (("employment_type", "Agency"),), "", -1)
    taken = Snapshot(
        {agency: 5, alpha: 5},
        {agency: frozenset(range(3, 8)), alpha: frozenset(range(5))},
    )
    assert intersections(taken) == [f"intersection: {agency} and {alpha} share 2"]


def test_comparator_groups_are_fixed_and_at_least_five(db: Database, world: World) -> None:
    """Nobody who reads results can choose the authorities a median is taken over."""
    assert MIN_COMPARATORS >= 5
    for actor in (world.lead, world.executive):
        with pytest.raises(PermissionDenied):
            surveys.set_neighbours(db, actor, world.organisation_id, [])
