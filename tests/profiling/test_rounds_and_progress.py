"""Self-profiling: rounds, raters, agreed scores, progress, readiness and the comparison
between authorities, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from sos_workforce import surveys
from sos_workforce.access import organisations
from sos_workforce.access.auth import Actor
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import ExperienceBand, ImplementationPhase, RaterRole, RoundStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused, NotFound, PermissionDenied
from sos_workforce.core.models import AgreedScore, AuditEvent, ProfileRound, RaterLink, RaterScore
from sos_workforce.core.security import hash_token
from sos_workforce.profiling import rounds as profiling
from sos_workforce.profiling import timeline
from sos_workforce.profiling.progress import (
    HIGH_LEVEL,
    MIN_ORGANISATIONS,
    SUSTAINMENT_DROP,
    experience_comparison,
    progress_report,
    readiness,
)
from tests.support.factories import World, build_world, launch, release_all, token_of

DOMAINS = [
    "practice",
    "supervision",
    "learning_strategy",
    "team_organisation",
    "policy_alignment",
    "leadership",
    "learning_culture",
    "meaningful_measures",
    "partner_alignment",
    "direct_time",
    "administrative_support",
    "recruitment_retention",
]
# Hand-chosen domain scores for three rounds. A domain's score is the mean of its two
# items, so x.5 is entered as items (x, x + 1).
THREE_ROUNDS: dict[str, tuple[float, float, float]] = {
    "practice": (3, 6, 7),
    "supervision": (2, 5, 6.5),
    "learning_strategy": (4, 7.5, 6),  # reached 7.5, fell 1.5: flagged
    "team_organisation": (5, 7, 6.5),  # reached 7, fell 0.5: not flagged
    "policy_alignment": (1, 2, 3),
    "leadership": (6, 8, 7),  # reached 8, fell exactly 1.0: flagged
    "learning_culture": (2, 2, 2.5),
    "meaningful_measures": (3, 4, 4),
    "partner_alignment": (4, 5, 6),
    "direct_time": (3, 3, 2),
    "administrative_support": (2, 1.5, 1),
    "recruitment_retention": (5, 6.5, 5.5),  # fell 1.0 but never reached 7: not flagged
}
ROUND_DATES = [dt.date(2023, 3, 1), dt.date(2024, 3, 1), dt.date(2025, 3, 1)]


def _version(db: Database, actor: Actor) -> int:
    return profiling.list_profile_versions(db, actor)[0].id


def _item_codes(db: Database, actor: Actor, round_id: int) -> dict[str, list[str]]:
    consolidation = profiling.round_consolidation(db, actor, round_id, min_group_size=5)
    codes: dict[str, list[str]] = {}
    titles = dict(zip(DOMAINS, dict.fromkeys(i.domain for i in consolidation.items), strict=True))
    for domain_code, title in titles.items():
        codes[domain_code] = [i.item_code for i in consolidation.items if i.domain == title]
    return codes


def _item_scores(
    codes: Mapping[str, list[str]], domain_scores: Mapping[str, float]
) -> dict[str, int]:
    scores: dict[str, int] = {}
    for domain, score in domain_scores.items():
        first, second = codes[domain]
        low = int(score)
        scores[first] = low
        scores[second] = low if score == low else low + 1
    return scores


def closed_round(
    db: Database,
    actor: Actor,
    organisation_id: int,
    title: str,
    held_on: dt.date,
    domain_scores: Mapping[str, float],
) -> int:
    """A round with agreed scores giving ``domain_scores``, closed."""
    opened = profiling.open_round(
        db,
        actor,
        organisation_id=organisation_id,
        instrument_version_id=_version(db, actor),
        title=title,
        held_on=held_on,
        raters={},
        today=held_on,
    )
    codes = _item_codes(db, actor, opened.round_id)
    profiling.record_agreed_scores(
        db,
        actor,
        opened.round_id,
        {
            code: profiling.AgreedInput(score, "Agreed at the workshop")
            for code, score in _item_scores(codes, domain_scores).items()
        },
    )
    profiling.close_round(db, actor, opened.round_id)
    return opened.round_id


def _three_rounds(db: Database, world: World) -> None:
    for index, held_on in enumerate(ROUND_DATES):
        closed_round(
            db,
            world.lead,
            world.organisation_id,
            f"Round {index + 1}",
            held_on,
            {domain: scores[index] for domain, scores in THREE_ROUNDS.items()},
        )


def test_three_rounds_give_the_hand_computed_rankings_and_sustainment_flags(
    db: Database, world: World
) -> None:
    _three_rounds(db, world)
    report = progress_report(db, world.executive, world.organisation_id)
    assert report is not None
    assert [r.title for r in report.rounds] == ["Round 1", "Round 2", "Round 3"]

    progress = report.greatest_progress()
    assert list(progress["Domain"]) == [
        "Supervision",  # +4.5
        "Practice",  # +4
        "Learning strategy",  # +2, ties in instrument order
        "Policy, forms and recording alignment",  # +2
        "Partner alignment",  # +2
        "Team organisation",  # +1.5
        "Leadership",  # +1
        "Meaningful measures",  # +1
        "Learning culture",  # +0.5
        "Recruitment and retention",  # +0.5
    ]  # Direct time with families and Administrative support fell by 1: not progress
    assert list(progress["Change"]) == [4.5, 4, 2, 2, 2, 1.5, 1, 1, 0.5, 0.5]
    assert list(progress["Rank"]) == list(range(1, 11))
    # Every domain's change, falls included, in the instrument's order (readiness uses it).
    changes = report.changes_since_first().set_index("Domain")["Change"]
    assert len(changes) == 12
    assert changes["Direct time with families"] == -1
    assert changes["Administrative support"] == -1
    assert changes["Supervision"] == 4.5

    weakest = report.weakest_areas()
    assert list(weakest["Domain"]) == [
        "Administrative support",  # 1
        "Direct time with families",  # 2
        "Learning culture",  # 2.5
        "Policy, forms and recording alignment",  # 3
        "Meaningful measures",  # 4
        "Recruitment and retention",  # 5.5
        "Learning strategy",  # 6
        "Partner alignment",  # 6
        "Supervision",  # 6.5
        "Team organisation",  # 6.5
        "Practice",  # 7
        "Leadership",  # 7
    ]
    assert list(weakest["Latest"]) == [1, 2, 2.5, 3, 4, 5.5, 6, 6, 6.5, 6.5, 7, 7]

    assert (HIGH_LEVEL, SUSTAINMENT_DROP) == (7.0, 1.0)
    flags = report.sustainment_flags()
    assert [(f.domain, f.peak, f.peak_round, f.latest) for f in flags] == [
        ("Learning strategy", 7.5, "Round 2", 6.0),
        ("Leadership", 8.0, "Round 2", 7.0),
    ]

    dots = report.latest_vs_previous().set_index("Domain")
    assert dots.loc["Supervision", "Previous"] == 5 and dots.loc["Supervision", "Latest"] == 6.5
    assert dots.loc["Administrative support", "Change"] == -0.5
    wide = report.wide()
    learning_strategy = wide.loc["Learning strategy"]
    assert isinstance(learning_strategy, pd.Series)
    assert learning_strategy.tolist() == [4, 7.5, 6]


def test_greatest_progress_is_empty_when_no_domain_rose(db: Database, world: World) -> None:
    # Every domain falls or stays level between two rounds: nothing is progress.
    first = dict.fromkeys(DOMAINS, 5.0)
    second = {domain: (5.0 if index % 2 else 3.5) for index, domain in enumerate(DOMAINS)}
    for title, held_on, scores in (
        ("Round 1", ROUND_DATES[0], first),
        ("Round 2", ROUND_DATES[1], second),
    ):
        closed_round(db, world.lead, world.organisation_id, title, held_on, scores)
    report = progress_report(db, world.executive, world.organisation_id)
    assert report is not None
    assert report.greatest_progress().empty
    assert list(report.greatest_progress().columns) == [
        "Rank",
        "Domain",
        "First",
        "Latest",
        "Change",
    ]
    assert sorted(set(report.changes_since_first()["Change"])) == [-1.5, 0]
    # A domain that falls further is still not progress ...
    third = second | {"leadership": 4.0}  # 5.0 in rounds 1 and 2
    closed_round(db, world.lead, world.organisation_id, "Round 3", ROUND_DATES[2], third)
    report = progress_report(db, world.executive, world.organisation_id)
    assert report is not None
    gains = report.greatest_progress()
    assert gains.empty  # 4.0 is below round 1's 5.0
    # ... and one that rises above its first score is then the whole list.
    fourth = third | {"leadership": 6.0}
    closed_round(db, world.lead, world.organisation_id, "Round 4", dt.date(2026, 3, 1), fourth)
    report = progress_report(db, world.executive, world.organisation_id)
    assert report is not None
    gains = report.greatest_progress()
    assert list(gains["Domain"]) == ["Leadership"] and list(gains["Change"]) == [1]


def test_progress_places_rounds_on_the_phase_timeline(db: Database, world: World) -> None:
    start = dt.date(2023, 1, 9)
    timeline.set_timeline(
        db,
        world.lead,
        world.organisation_id,
        sos_start_date=start,
        phase_starts=timeline.suggested_phase_starts(start),
    )
    _three_rounds(db, world)
    report = progress_report(db, world.lead, world.organisation_id)
    assert report is not None
    assert [(r.phase, r.band) for r in report.rounds] == [
        ("Intensive implementation, year 1", ExperienceBand.NEW),
        ("Intensive implementation, year 2", ExperienceBand.ABOUT_TWO_YEARS),
        ("Sustainment", ExperienceBand.MORE_THAN_TWO_YEARS),
    ]


def test_no_closed_round_means_no_report(db: Database, world: World) -> None:
    assert progress_report(db, world.lead, world.organisation_id) is None
    assert experience_comparison(db, world.lead, world.organisation_id) is None


# --- raters and consolidation ---------------------------------------------------------


def _open_with_raters(
    db: Database, world: World, raters: Mapping[RaterRole, int]
) -> tuple[int, dict[RaterRole, list[str]]]:
    opened = profiling.open_round(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=_version(db, world.lead),
        title="Spring profile",
        held_on=dt.date.today(),
        raters=raters,
    )
    profiling.enable_rater_links_file(db, world.admin, opened.round_id)
    invites = profiling.issue_rater_links(
        db, world.lead, opened.round_id, base_url="http://testserver"
    )
    tokens: dict[RaterRole, list[str]] = {}
    for invite in invites:
        tokens.setdefault(invite.role, []).append(invite.url.rsplit("t=", 1)[1])
    return opened.round_id, tokens


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_links_are_hashed_and_scores_are_stored_by_role_only(db: Database, world: World) -> None:
    round_id, tokens = _open_with_raters(db, world, {RaterRole.LEADER: 2, RaterRole.FRONT_LINE: 1})
    assert {role: len(t) for role, t in tokens.items()} == {
        RaterRole.LEADER: 2,
        RaterRole.FRONT_LINE: 1,
    }
    with db.read() as session:
        stored = set(session.scalars(select(RaterLink.token_hash)))
    plain = [t for role_tokens in tokens.values() for t in role_tokens]
    assert stored == {hash_token(t) for t in plain}
    form = profiling.open_rating_form(db, tokens[RaterRole.FRONT_LINE][0])
    assert form.role is RaterRole.FRONT_LINE and len(form.definition.items) == 24
    profiling.submit_scores(db, tokens[RaterRole.FRONT_LINE][0], {"principles_used": 4})
    assert {c.name for c in RaterScore.__table__.columns} == {
        "id",
        "round_id",
        "rater_role",
        "item_code",
        "score",
    }
    with pytest.raises(LinkRefused, match="already been used"):
        profiling.submit_scores(db, tokens[RaterRole.FRONT_LINE][0], {"principles_used": 9})
    with pytest.raises(LinkRefused, match="already been used"):
        profiling.open_rating_form(db, tokens[RaterRole.FRONT_LINE][0])
    assert _count(db, RaterScore) == 1


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"principles_used": 11}, "outside the scale"),
        ({"principles_used": -1}, "outside the scale"),
        ({"principles_used": 3.5}, "whole number"),
        ({"principles_used": "three"}, "whole number"),
        ({"principles_used": True}, "whole number"),
        ({"principles_used": 5, "made_up": 3}, "Unknown item"),
        ({"principles_used": None, "tools_used": ""}, "at least one"),
        ({}, "at least one"),
    ],
)
def test_bad_scores_are_refused_and_nothing_changes(
    db: Database, world: World, scores: dict[str, Any], message: str
) -> None:
    _, tokens = _open_with_raters(db, world, {RaterRole.LEADER: 1})
    token = tokens[RaterRole.LEADER][0]
    with pytest.raises(InvalidInput, match=message):
        profiling.submit_scores(db, token, scores)
    assert _count(db, RaterScore) == 0
    with db.read() as session:
        assert session.scalar(select(RaterLink.spent)) is False
    profiling.submit_scores(db, token, {"principles_used": 0})  # the link still works
    assert _count(db, RaterScore) == 1


@pytest.mark.parametrize("token", ["", "short", "A" * 22, "A" * 65, "<script>alert(1)</script>"])
def test_unknown_or_tampered_rater_links_are_refused(
    db: Database, world: World, token: str
) -> None:
    with pytest.raises(LinkRefused, match="not valid"):
        profiling.open_rating_form(db, token)
    with pytest.raises(LinkRefused, match="not valid"):
        profiling.submit_scores(db, token, {"principles_used": 5})


ROLE_SCORES = {
    RaterRole.LEADER: [4, 5, 6, 7, 8],
    RaterRole.FRONT_LINE: [2, 2, 3, 3, 9],
    RaterRole.PRACTICE_LEAD: [5, 5, 5, 5, 5],
}


def test_consolidation_shows_median_spread_and_role_gap(db: Database, world: World) -> None:
    round_id, tokens = _open_with_raters(
        db, world, {role: len(values) for role, values in ROLE_SCORES.items()}
    )
    for role, values in ROLE_SCORES.items():
        for token, value in zip(tokens[role], values, strict=True):
            profiling.submit_scores(db, token, {"principles_used": value, "tools_used": 6})
    consolidation = profiling.round_consolidation(db, world.lead, round_id, min_group_size=5)
    assert consolidation.raters_submitted == 15
    assert consolidation.raters_by_role == {
        RaterRole.LEADER: 5,
        RaterRole.PRACTICE_LEAD: 5,
        RaterRole.TEAM_MANAGER: 0,
        RaterRole.FRONT_LINE: 5,
    }
    item = next(i for i in consolidation.items if i.item_code == "principles_used")
    # all 15: 2 2 3 3 4 5 5 5 5 5 5 6 7 8 9 → median 5 (8th); inclusive quartiles at
    # positions 3.5 and 10.5 (from 0): 3 + (4 - 3) / 2 = 3.5 and 5 + (6 - 5) / 2 = 5.5
    overall = item.overall
    assert (
        overall.contributors,
        overall.median,
        overall.lower_quartile,
        overall.upper_quartile,
    ) == (15, 5, 3.5, 5.5)
    assert (item.overall.low, item.overall.high) == (2, 9)
    assert item.by_role[RaterRole.LEADER].median == 6
    assert item.by_role[RaterRole.FRONT_LINE].median == 3
    assert item.by_role[RaterRole.PRACTICE_LEAD].median == 5
    assert item.by_role[RaterRole.TEAM_MANAGER].median is None
    assert item.role_gap == 3


def test_raters_by_role_cannot_be_worked_out_from_the_total(db: Database, world: World) -> None:
    # The issue's case: 5 leaders, 2 practice leads, no team managers, 5 front line = 12.
    # Showing 5, hidden, 0, 5 beside 12 would give the practice leads as 12 - 5 - 0 - 5 = 2,
    # so one more role is withheld (the first of the two smallest with members).
    scores = {
        RaterRole.LEADER: [4, 5, 6, 7, 8],
        RaterRole.FRONT_LINE: [2, 2, 3, 3, 9],
        RaterRole.PRACTICE_LEAD: [5, 5],
    }
    round_id, tokens = _open_with_raters(
        db, world, {role: len(values) for role, values in scores.items()}
    )
    for role, values in scores.items():
        for token, value in zip(tokens[role], values, strict=True):
            profiling.submit_scores(db, token, {"principles_used": value})
    consolidation = profiling.round_consolidation(db, world.lead, round_id, min_group_size=5)
    assert consolidation.raters_submitted == 12
    shown = consolidation.raters_by_role
    assert shown[RaterRole.PRACTICE_LEAD] is None
    hidden = [role for role, count in shown.items() if count is None]
    assert len(hidden) == 2  # the practice leads and one role of five
    known = sum(count for count in shown.values() if count is not None)
    assert 12 - known >= 5  # what is left over is never a group under the minimum
    item = next(i for i in consolidation.items if i.item_code == "principles_used")
    for role in hidden:
        assert item.by_role[role].median is None and item.by_role[role].contributors is None
    unscored = next(i for i in consolidation.items if i.item_code == "supervision_aligned")
    assert unscored.overall.contributors is None


@pytest.mark.parametrize(("submitted", "shown"), [(4, False), (5, True), (6, True)])
def test_a_round_with_fewer_raters_than_the_minimum_shows_no_figures(
    db: Database, world: World, submitted: int, shown: bool
) -> None:
    round_id, tokens = _open_with_raters(db, world, {RaterRole.TEAM_MANAGER: submitted})
    for token in tokens[RaterRole.TEAM_MANAGER]:
        profiling.submit_scores(db, token, {"principles_used": 7})
    consolidation = profiling.round_consolidation(db, world.lead, round_id, min_group_size=5)
    item = next(i for i in consolidation.items if i.item_code == "principles_used")
    assert (consolidation.raters_submitted is not None) is shown
    assert (item.overall.median is not None) is shown
    assert (item.by_role[RaterRole.TEAM_MANAGER].median is not None) is shown


def test_agreed_scores_need_evidence_and_are_all_or_nothing(db: Database, world: World) -> None:
    round_id, _ = _open_with_raters(db, world, {})
    good = profiling.AgreedInput(6, "Audit of 40 cases: mapping on 31")
    for bad, message in [
        (profiling.AgreedInput(6, "   "), "evidence"),
        (profiling.AgreedInput(11, "x"), "outside the scale"),
        (profiling.AgreedInput("7", "x"), "whole number"),
        (profiling.AgreedInput(7, "x" * 4001), "under 4000"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            profiling.record_agreed_scores(
                db, world.lead, round_id, {"principles_used": good, "tools_used": bad}
            )
        assert _count(db, AgreedScore) == 0
    with pytest.raises(InvalidInput, match="Unknown item"):
        profiling.record_agreed_scores(db, world.lead, round_id, {"nope": good})
    assert profiling.record_agreed_scores(db, world.lead, round_id, {"principles_used": good}) == 1
    revised = profiling.AgreedInput(7, "=HYPERLINK(evil) and a revision")
    profiling.record_agreed_scores(db, world.lead, round_id, {"principles_used": revised})
    with db.read() as session:
        row = session.scalars(select(AgreedScore)).one()
        assert (row.score, row.evidence) == (7, "=HYPERLINK(evil) and a revision")
        audited = list(
            session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "profile_scores_agreed")
            )
        )
    # The audit log names the items, never the scores or the evidence.
    assert audited == ["items=principles_used", "items=principles_used"]


def test_a_round_closes_only_when_every_item_is_agreed(db: Database, world: World) -> None:
    round_id, tokens = _open_with_raters(db, world, {RaterRole.LEADER: 1})
    profiling.record_agreed_scores(
        db, world.lead, round_id, {"principles_used": profiling.AgreedInput(5, "Audit")}
    )
    with pytest.raises(InvalidInput, match="23 item"):
        profiling.close_round(db, world.lead, round_id)
    codes = [
        i.item_code
        for i in profiling.round_consolidation(db, world.lead, round_id, min_group_size=5).items
    ]
    profiling.record_agreed_scores(
        db, world.lead, round_id, {c: profiling.AgreedInput(5, "Audit") for c in codes}
    )
    profiling.close_round(db, world.lead, round_id)
    with db.read() as session:
        assert session.get_one(ProfileRound, round_id).status is RoundStatus.CLOSED
    with pytest.raises(LinkRefused, match="closed"):
        profiling.submit_scores(db, tokens[RaterRole.LEADER][0], {"principles_used": 5})
    with pytest.raises(InvalidInput, match="closed"):
        profiling.record_agreed_scores(
            db, world.lead, round_id, {"principles_used": profiling.AgreedInput(9, "Later")}
        )
    with pytest.raises(InvalidInput, match="already closed"):
        profiling.close_round(db, world.lead, round_id)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "title"),
        ({"held_on": dt.date(1989, 12, 31)}, "before 1990"),
        ({"held_on": dt.date.today() + dt.timedelta(days=400)}, "more than a year"),
        ({"raters": {RaterRole.LEADER: -1}}, "between 0 and"),
        ({"raters": {RaterRole.LEADER: 101}}, "between 0 and"),
        ({"instrument_version_id": 999_999}, "does not exist"),
    ],
)
def test_opening_a_round_refuses_bad_input(
    db: Database, world: World, changes: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "organisation_id": world.organisation_id,
        "instrument_version_id": _version(db, world.lead),
        "title": "A round",
        "held_on": dt.date.today(),
        "raters": {RaterRole.LEADER: 2},
    }
    with pytest.raises(InvalidInput, match=message):
        profiling.open_round(db, world.lead, **{**arguments, **changes})
    assert _count(db, ProfileRound) == 0 and _count(db, RaterLink) == 0
    profiling.open_round(db, world.lead, **arguments)
    with pytest.raises(InvalidInput, match="already exists"):
        profiling.open_round(db, world.lead, **arguments)


# --- timeline ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "on", "band"),
    [
        (dt.date(2022, 5, 1), dt.date(2022, 4, 30), None),
        (dt.date(2022, 5, 1), dt.date(2022, 5, 1), ExperienceBand.NEW),
        (dt.date(2022, 5, 1), dt.date(2023, 5, 1), ExperienceBand.NEW),
        (dt.date(2022, 5, 1), dt.date(2023, 5, 2), ExperienceBand.ABOUT_TWO_YEARS),
        (dt.date(2022, 5, 1), dt.date(2024, 5, 1), ExperienceBand.ABOUT_TWO_YEARS),
        (dt.date(2022, 5, 1), dt.date(2024, 5, 2), ExperienceBand.MORE_THAN_TWO_YEARS),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), ExperienceBand.NEW),
        (dt.date(2024, 2, 29), dt.date(2025, 3, 1), ExperienceBand.ABOUT_TWO_YEARS),
        (None, dt.date(2025, 3, 1), None),
    ],
)
def test_experience_band_at_any_date(
    start: dt.date | None, on: dt.date, band: ExperienceBand | None
) -> None:
    assert timeline.experience_band(start, on) is band


def test_timeline_phases_and_milestones(db: Database, world: World) -> None:
    start = dt.date(2024, 2, 29)
    phases = timeline.suggested_phase_starts(start)
    assert phases[ImplementationPhase.SUSTAINMENT] == dt.date(2026, 2, 28)
    timeline.set_timeline(
        db, world.lead, world.organisation_id, sos_start_date=start, phase_starts=phases
    )
    timeline.add_milestone(
        db, world.lead, world.organisation_id, "  Practice   leads in place ", dt.date(2024, 6, 3)
    )
    found = timeline.get_timeline(db, world.executive, world.organisation_id)
    assert found.sos_start_date == start
    assert [(p.phase, p.ends_on) for p in found.phases] == [
        (ImplementationPhase.PREPARATION, dt.date(2024, 2, 28)),
        (ImplementationPhase.INTENSIVE_YEAR_1, dt.date(2025, 2, 27)),
        (ImplementationPhase.INTENSIVE_YEAR_2, dt.date(2026, 2, 27)),
        (ImplementationPhase.SUSTAINMENT, None),
    ]
    assert found.phase_on(dt.date(2025, 6, 1)) is ImplementationPhase.INTENSIVE_YEAR_2
    assert [m.title for m in found.milestones] == ["Practice leads in place"]
    with pytest.raises(InvalidInput, match="already exists"):
        timeline.add_milestone(
            db, world.lead, world.organisation_id, "Practice leads in place", dt.date(2024, 7, 1)
        )
    timeline.remove_milestone(db, world.lead, found.milestones[0].id)
    assert timeline.get_timeline(db, world.lead, world.organisation_id).milestones == []


@pytest.mark.parametrize(
    ("start", "phases", "message"),
    [
        (dt.date(1899, 1, 1), {}, "before 1990"),
        (
            dt.date(2024, 1, 1),
            {
                ImplementationPhase.INTENSIVE_YEAR_1: dt.date(2024, 1, 1),
                ImplementationPhase.INTENSIVE_YEAR_2: dt.date(2023, 12, 1),
            },
            "must start after",
        ),
        (
            dt.date(2024, 1, 1),
            {
                ImplementationPhase.PREPARATION: dt.date(2024, 1, 1),
                ImplementationPhase.SUSTAINMENT: dt.date(2024, 1, 1),
            },
            "must start after",
        ),
    ],
)
def test_bad_timelines_are_refused_and_nothing_changes(
    db: Database,
    world: World,
    start: dt.date,
    phases: dict[ImplementationPhase, dt.date],
    message: str,
) -> None:
    with pytest.raises(InvalidInput, match=message):
        timeline.set_timeline(
            db, world.lead, world.organisation_id, sos_start_date=start, phase_starts=phases
        )
    found = timeline.get_timeline(db, world.lead, world.organisation_id)
    assert found.sos_start_date is None and found.phases == []


@pytest.mark.parametrize(
    ("title", "day", "message"),
    [
        ("", dt.date(2024, 1, 1), "Describe"),
        ("x" * 201, dt.date(2024, 1, 1), "under 200"),
        ("Forms aligned", dt.date.today() + dt.timedelta(days=1), "future"),
        ("Forms aligned", dt.date(1985, 1, 1), "before 1990"),
    ],
)
def test_bad_milestones_are_refused(
    db: Database, world: World, title: str, day: dt.date, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        timeline.add_milestone(db, world.lead, world.organisation_id, title, day)
    assert timeline.get_timeline(db, world.lead, world.organisation_id).milestones == []


# --- readiness --------------------------------------------------------------------------


def test_readiness_puts_team_confidence_beside_the_profile(db: Database, world: World) -> None:
    answers = {"understanding": 8, "integration": 2, "advise_colleagues": 5}
    small = launch(db, world, {"Alpha": 6, "Beta": 3})
    for link in small.links:
        surveys.submit_response(db, token_of(link), answers)
    release_all(db, small.wave_id)
    _three_rounds(db, world)
    # Beta has 3 answers; Alpha's 6 would reveal Beta as the whole wave (9) minus Alpha, so
    # complementary suppression withholds both.
    result = readiness(db, world.executive, world.organisation_id, small.wave_id, min_group_size=5)
    teams = result.teams.set_index("Team")
    for team in ("Alpha", "Beta"):
        assert teams.loc[team, "Respondents"] == "fewer than 5"
        assert set(teams.loc[team].drop("Respondents")) == {"too few responses"}

    large = launch(db, world, {"Alpha": 6, "Beta": 5})
    for link in large.links:
        surveys.submit_response(db, token_of(link), answers)
    release_all(db, large.wave_id)
    result = readiness(db, world.executive, world.organisation_id, large.wave_id, min_group_size=5)
    teams = result.teams.set_index("Team")
    assert teams.loc["Alpha", "Respondents"] == "6"
    assert teams.loc["Alpha", "Understanding of principles (1–3 / 4–6 / 7–10 %)"] == "0 / 0 / 100"
    assert teams.loc["Alpha", "Integrated into my work (1–3 / 4–6 / 7–10 %)"] == "100 / 0 / 0"
    assert teams.loc["Alpha", "Can train colleagues (1–3 / 4–6 / 7–10 %)"] == "too few responses"
    assert result.profile is not None and result.profile_round == "Round 3"
    profile = result.profile.set_index("Domain")
    assert profile.loc["Supervision", "Latest score"] == 6.5
    assert profile.loc["Supervision", "Change since first round"] == 4.5
    assert "score" not in " ".join(teams.columns).lower()  # no composite readiness score


def test_readiness_rows_include_sub_teams(db: Database, world: World) -> None:
    """A wave for a team and its sub-team: the parent's row counts both (it used to raise
    "Choose one team" because the parent alone is not a whole subtree; found by the load
    benchmark)."""
    north = organisations.create_team(
        db, world.lead, world.organisation_id, "Alpha North", parent_id=world.teams["Alpha"]
    )
    world.teams["Alpha North"] = north
    wave = launch(db, world, {"Alpha": 6, "Alpha North": 6, "Beta": 6})
    for link in wave.links:
        surveys.submit_response(db, token_of(link), {"understanding": 8})
    release_all(db, wave.wave_id)
    result = readiness(db, world.executive, world.organisation_id, wave.wave_id, min_group_size=5)
    teams = result.teams.set_index("Team")
    assert teams.loc["Alpha", "Respondents"] == "12"
    assert teams.loc["Alpha North", "Respondents"] == "6"
    assert teams.loc["Beta", "Respondents"] == "6"


# --- many organisations -----------------------------------------------------------------


def _authority(db: Database, admin: Actor, code: str, start: dt.date) -> int:
    organisation_id = organisations.create_organisation(
        db, None, f"{code.title()} Council", code, bootstrap=True
    )
    timeline.set_timeline(db, admin, organisation_id, sos_start_date=start, phase_starts={})
    return organisation_id


def _flat(level: float) -> dict[str, float]:
    return dict.fromkeys(DOMAINS, level)


def test_experience_comparison_needs_five_authorities_in_a_band(db: Database, world: World) -> None:
    held_on = dt.date(2025, 3, 1)
    timeline.set_timeline(
        db, world.lead, world.organisation_id, sos_start_date=dt.date(2024, 9, 1), phase_starts={}
    )
    closed_round(db, world.lead, world.organisation_id, "Ours", held_on, _flat(2))
    # Three more new authorities: only four in the "new" band, so no median is shown.
    for code, level in [("newtown", 4), ("newby", 3), ("newham", 5)]:
        newcomer = _authority(db, world.admin, code, dt.date(2024, 6, 1))
        closed_round(db, world.admin, newcomer, "Theirs", held_on, _flat(level))
    # Two experienced authorities: fewer than five.
    for code, level in [("oldham", 7), ("elderton", 8)]:
        organisation_id = _authority(db, world.admin, code, dt.date(2020, 1, 1))
        closed_round(db, world.admin, organisation_id, "Theirs", held_on, _flat(level))
    # An authority without a start date cannot be banded.
    nodate = organisations.create_organisation(db, None, "Nodate Council", "nodate", bootstrap=True)
    closed_round(db, world.admin, nodate, "Theirs", held_on, _flat(9))

    comparison = experience_comparison(db, world.lead, world.organisation_id)
    assert comparison is not None
    assert MIN_ORGANISATIONS == 5
    assert comparison.own_band is ExperienceBand.NEW
    assert comparison.organisations_by_band == {
        ExperienceBand.NEW: 4,
        ExperienceBand.ABOUT_TWO_YEARS: 0,
        ExperienceBand.MORE_THAN_TWO_YEARS: 2,
    }
    assert comparison.without_start_date == 1
    assert comparison.shown_bands() == []
    assert comparison.table[ExperienceBand.NEW.label].isna().all()

    # A fifth new authority, with a later round that replaces an earlier one.
    third = _authority(db, world.admin, "freshby", dt.date(2024, 10, 1))
    closed_round(db, world.admin, third, "Early", dt.date(2024, 11, 1), _flat(9))
    closed_round(db, world.admin, third, "Latest", held_on, {**_flat(6), "practice": 1})
    comparison = experience_comparison(db, world.executive, world.organisation_id)
    assert comparison is not None
    assert comparison.shown_bands() == [ExperienceBand.NEW]
    table = comparison.table.set_index("Domain")
    assert table.loc["Supervision", ExperienceBand.NEW.label] == 4  # median of 2 4 3 5 6
    assert table.loc["Practice", ExperienceBand.NEW.label] == 3  # median of 2 4 3 5 1
    assert table.loc["Practice", "This organisation"] == 2
    assert table[ExperienceBand.MORE_THAN_TWO_YEARS.label].isna().all()


# --- organisation boundaries ------------------------------------------------------------


def test_every_service_refuses_an_actor_of_another_organisation(
    db: Database, settings: Settings, world: World
) -> None:
    other = build_world(db, settings, code="otherton")
    _three_rounds(db, world)
    round_id, _ = _open_with_raters(db, world, {RaterRole.LEADER: 1})
    wave_id = launch(db, world).wave_id
    milestone_id = timeline.add_milestone(
        db, world.lead, world.organisation_id, "Training delivered", dt.date(2024, 1, 1)
    )
    org = world.organisation_id
    outsider = other.lead
    attempts: list[Callable[[], object]] = [
        lambda: profiling.open_round(
            db,
            outsider,
            organisation_id=org,
            instrument_version_id=_version(db, outsider),
            title="Not mine",
            held_on=dt.date.today(),
            raters={},
        ),
        lambda: profiling.list_rounds(db, outsider, org),
        lambda: profiling.round_consolidation(db, outsider, round_id, min_group_size=5),
        lambda: profiling.record_agreed_scores(
            db, outsider, round_id, {"principles_used": profiling.AgreedInput(1, "x")}
        ),
        lambda: profiling.close_round(db, outsider, round_id),
        lambda: progress_report(db, other.executive, org),
        lambda: readiness(db, other.executive, org, wave_id, min_group_size=5),
        lambda: experience_comparison(db, other.executive, org),
        lambda: timeline.get_timeline(db, other.executive, org),
        lambda: timeline.set_timeline(db, outsider, org, sos_start_date=None, phase_starts={}),
        lambda: timeline.add_milestone(db, outsider, org, "Mine", dt.date(2024, 1, 1)),
        lambda: timeline.remove_milestone(db, outsider, milestone_id),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    # Executives read but never change.
    with pytest.raises(PermissionDenied):
        profiling.record_agreed_scores(
            db, world.executive, round_id, {"principles_used": profiling.AgreedInput(1, "x")}
        )
    with pytest.raises(PermissionDenied):
        timeline.add_milestone(db, world.executive, org, "Mine", dt.date(2024, 1, 1))
    with pytest.raises(NotFound):
        readiness(db, other.executive, other.organisation_id, wave_id, min_group_size=5)


def test_rater_links_are_made_only_where_an_administrator_allows_and_replace_earlier_ones(
    db: Database, world: World
) -> None:
    opened = profiling.open_round(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=_version(db, world.lead),
        title="Links round",
        held_on=dt.date.today(),
        raters={RaterRole.LEADER: 2, RaterRole.FRONT_LINE: 3},
    )
    assert opened.raters == 5
    with pytest.raises(InvalidInput, match="administrator can allow"):
        profiling.issue_rater_links(db, world.lead, opened.round_id, base_url="http://t")
    with pytest.raises(PermissionDenied):
        profiling.enable_rater_links_file(db, world.lead, opened.round_id)
    profiling.enable_rater_links_file(db, world.admin, opened.round_id)
    first = profiling.issue_rater_links(db, world.lead, opened.round_id, base_url="http://t")
    assert len(first) == 5
    again = profiling.issue_rater_links(db, world.lead, opened.round_id, base_url="http://t")
    old_token = first[0].url.rsplit("t=", 1)[1]
    with pytest.raises(LinkRefused, match="not valid"):  # an earlier file stops working
        profiling.open_rating_form(db, old_token)
    first_code = next(iter(_item_codes(db, world.lead, opened.round_id).values()))[0]
    profiling.submit_scores(db, again[0].url.rsplit("t=", 1)[1], {first_code: 6})
    assert len(profiling.issue_rater_links(db, world.lead, opened.round_id, base_url="x")) == 4
    with db.read() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.target.like("profile_round:%"))
            )
        )
    assert actions.count("links_file_enabled") == 1 and actions.count("rater_links_issued") == 3
