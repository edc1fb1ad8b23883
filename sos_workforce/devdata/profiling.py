"""Demo self-profiling for Northbridge and a handful of fictional peer authorities.

Northbridge started Signs of Safety about two years and four months ago. Its profile
moves the way seed 002 describes the pilots: most progress in practice, leadership
commitment, conferences and supervision; least in direct time with families,
administrative support, recruitment and a culture where mistakes can be admitted. Its
learning strategy peaked in the second round and then slipped (in-house trainers left),
which raises the sustainment flag. Fifteen peer authorities (all invented) profiled
themselves once, so the experience-band comparison (five authorities at least) has
something to show in every band: five new authorities, five at about two years and five
at more than two years.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping

from sos_workforce.access import Actor, create_organisation
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import RaterRole
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.private_files import write_private_file
from sos_workforce.profiling import (
    SCORE_MAX,
    SCORE_MIN,
    AgreedInput,
    OpenedRound,
    ProfileDefinition,
    RaterInvite,
    add_milestone,
    close_round,
    enable_rater_links_file,
    issue_rater_links,
    list_profile_versions,
    open_round,
    profile_definition,
    record_agreed_scores,
    set_timeline,
    submit_scores,
    suggested_phase_starts,
)

PROFILE_CODE = "sos_self_profile"
RATER_LINKS_FILE = "demo-rater-links.csv"
# Domain levels (0–10) in Northbridge's three closed rounds.
NORTHBRIDGE_LEVELS: dict[str, tuple[float, float, float]] = {
    "practice": (3, 5.5, 7),
    "supervision": (2.5, 5, 6.5),
    "learning_strategy": (4, 7.5, 6.5),
    "team_organisation": (3, 4.5, 5.5),
    "policy_alignment": (2, 4, 6),
    "leadership": (5, 7, 7.5),
    "learning_culture": (2.5, 3, 3.5),
    "meaningful_measures": (2, 3.5, 4.5),
    "partner_alignment": (2.5, 4.5, 6),
    "direct_time": (3, 3, 3.5),
    "administrative_support": (2, 2, 2.5),
    "recruitment_retention": (3, 3.5, 3),
}
# (days after the SoS start, title) of each closed round.
NORTHBRIDGE_ROUNDS = [
    (60, "Baseline self-profile"),
    (400, "Year 1 self-profile"),
    (760, "Year 2 self-profile"),
]
NORTHBRIDGE_START_DAYS_AGO = 850
NORTHBRIDGE_MILESTONES = [
    (30, "Two-day training for all practitioners"),
    (120, "Five-day advanced training for managers"),
    (200, "Practice leads in place in every team"),
    (400, "Assessment and plan forms aligned"),
    (520, "Child protection conferences use the SoS format"),
    (700, "Recording system aligned"),
]
RATERS_PER_ROUND = {
    RaterRole.LEADER: 5,
    RaterRole.PRACTICE_LEAD: 5,
    RaterRole.TEAM_MANAGER: 6,
    RaterRole.FRONT_LINE: 8,
}
# The open round: how many of each role have already scored.
OPEN_ROUND_SUBMITTED = {
    RaterRole.LEADER: 5,
    RaterRole.PRACTICE_LEAD: 0,
    RaterRole.TEAM_MANAGER: 5,
    RaterRole.FRONT_LINE: 3,
}
# Leaders see the implementation more favourably than the front line.
ROLE_OPTIMISM = {
    RaterRole.LEADER: 1.0,
    RaterRole.PRACTICE_LEAD: 0.5,
    RaterRole.TEAM_MANAGER: 0.0,
    RaterRole.FRONT_LINE: -1.0,
}
# Peer authorities (named to sort after Northbridge, which an administrator sees first):
# (name, code, days since their SoS start, typical level).
PEERS = [
    ("Oakfield City Council", "oakfield", 200, 3.0),
    ("Pendleford Council", "pendleford", 250, 3.5),
    ("Queensmere Borough Council", "queensmere", 300, 2.5),
    ("Riverton County Council", "riverton", 500, 4.5),
    ("Stonebridge Council", "stonebridge", 600, 5.0),
    ("Thornbury Borough Council", "thornbury", 900, 5.5),
    ("Upton Vale Council", "upton-vale", 1100, 6.0),
    ("Westmarch County Council", "westmarch", 1500, 6.5),
    ("Pinewood Council", "pinewood", 150, 2.5),
    ("Quarrybank Borough Council", "quarrybank", 330, 3.5),
    ("Ravensmoor County Council", "ravensmoor", 420, 4.0),
    ("Saltmarsh City Council", "saltmarsh", 650, 4.5),
    ("Thistleford Council", "thistleford", 700, 5.5),
    ("Ullswater Vale Council", "ullswater-vale", 1300, 6.0),
    ("Wexcombe Borough Council", "wexcombe", 1800, 7.0),
]


def _clamp(value: float) -> int:
    return max(SCORE_MIN, min(SCORE_MAX, round(value)))


def item_levels(definition: ProfileDefinition, levels: Mapping[str, float]) -> dict[str, int]:
    """Whole item scores whose domain means are ``levels`` (x.5 as x and x + 1)."""
    scores = {}
    for domain in definition.domains:
        level = levels[domain.code]
        for index, item in enumerate(domain.items):
            scores[item.code] = _clamp(level - 0.5 + index) if level % 1 else _clamp(level)
    return scores


def _rate(
    db: Database,
    invites: list[RaterInvite],
    targets: Mapping[str, int],
    submitted: Mapping[RaterRole, int],
    rng: random.Random,
) -> list[tuple[RaterRole, str]]:
    """Raters score around the targets; returns the links left unused."""
    used: dict[RaterRole, int] = {}
    unused = []
    for invite in invites:
        if used.get(invite.role, 0) >= submitted.get(invite.role, 0):
            unused.append((invite.role, invite.url))
            continue
        used[invite.role] = used.get(invite.role, 0) + 1
        scores = {
            code: _clamp(target + ROLE_OPTIMISM[invite.role] + rng.choice((-1, 0, 0, 1)))
            for code, target in targets.items()
            if rng.random() > 0.05  # now and then a rater cannot judge an item
        }
        submit_scores(db, invite.url.rsplit("t=", 1)[1], scores)
    return unused


def _rater_links(
    db: Database, admin: Actor, lead: Actor, opened: OpenedRound, settings: Settings
) -> list[RaterInvite]:
    """The raters' links through the administrator's switch, as a real round gets them."""
    enable_rater_links_file(db, admin, opened.round_id)
    return issue_rater_links(db, lead, opened.round_id, base_url=settings.base_url)


def _agree(
    db: Database,
    actor: Actor,
    round_id: int,
    definition: ProfileDefinition,
    targets: Mapping[str, int],
) -> None:
    evidence = {item.code: item.evidence for item in definition.items}
    record_agreed_scores(
        db,
        actor,
        round_id,
        {
            code: AgreedInput(score, f"Agreed at the workshop. Seen: {evidence[code]}.")
            for code, score in targets.items()
        },
    )


def seed_profiling(
    db: Database,
    settings: Settings,
    *,
    organisation_id: int,
    lead: Actor,
    admin: Actor,
    today: dt.date,
    rng: random.Random,
) -> list[str]:
    """Seed the timeline, three closed rounds and an open one for Northbridge, plus the
    peers; return the open round's unused rater links."""
    version = next(v for v in list_profile_versions(db, lead) if v.code == PROFILE_CODE)
    definition = profile_definition(db, lead, version.id)
    start = today - dt.timedelta(days=NORTHBRIDGE_START_DAYS_AGO)
    set_timeline(
        db,
        lead,
        organisation_id,
        sos_start_date=start,
        phase_starts=suggested_phase_starts(start),
    )
    for days, title in NORTHBRIDGE_MILESTONES:
        add_milestone(
            db, lead, organisation_id, title, start + dt.timedelta(days=days), today=today
        )
    for index, (days, title) in enumerate(NORTHBRIDGE_ROUNDS):
        held_on = start + dt.timedelta(days=days)
        targets = item_levels(
            definition, {code: levels[index] for code, levels in NORTHBRIDGE_LEVELS.items()}
        )
        opened = open_round(
            db,
            lead,
            organisation_id=organisation_id,
            instrument_version_id=version.id,
            title=title,
            held_on=held_on,
            raters=RATERS_PER_ROUND,
            today=held_on,
        )
        _rate(db, _rater_links(db, admin, lead, opened, settings), targets, RATERS_PER_ROUND, rng)
        _agree(db, lead, opened.round_id, definition, targets)
        close_round(db, lead, opened.round_id)

    current = item_levels(
        definition, {code: levels[-1] + 0.5 for code, levels in NORTHBRIDGE_LEVELS.items()}
    )
    opened = open_round(
        db,
        lead,
        organisation_id=organisation_id,
        instrument_version_id=version.id,
        title="Year 3 self-profile",
        held_on=today,
        raters=RATERS_PER_ROUND,
        today=today,
    )
    unused = _rate(
        db, _rater_links(db, admin, lead, opened, settings), current, OPEN_ROUND_SUBMITTED, rng
    )
    write_private_file(
        settings.data_dir / RATER_LINKS_FILE,
        csv_bytes(["rater role", "link"], [(role.label, url) for role, url in unused]),
    )

    for name, code, days, level in PEERS:
        peer_id = create_organisation(db, None, name, code, bootstrap=True)
        peer_start = today - dt.timedelta(days=days)
        set_timeline(db, admin, peer_id, sos_start_date=peer_start, phase_starts={})
        held_on = today - dt.timedelta(days=30)
        levels = {
            domain.code: min(10.0, max(0.0, level + rng.choice((-1.5, -1, -0.5, 0, 0.5, 1))))
            for domain in definition.domains
        }
        targets = item_levels(definition, levels)
        opened = open_round(
            db,
            admin,
            organisation_id=peer_id,
            instrument_version_id=version.id,
            title="Self-profile",
            held_on=held_on,
            raters={},
            today=today,
        )
        _agree(db, admin, opened.round_id, definition, targets)
        close_round(db, admin, opened.round_id)
    return [url for _, url in unused]
