"""A fictional authority with realistic data, used by ``sos-workforce demo``, the tests and
the browser tests alike.

Northbridge Borough Council is invented. Its closed wave's answers are drawn so that the
band shares resemble Brent's autumn 2017 survey (seed 004, section 3.35).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from sos_workforce import auth, organisations, surveys
from sos_workforce.config import Settings
from sos_workforce.db import Database
from sos_workforce.demo_profiling import seed_profiling
from sos_workforce.enums import Role
from sos_workforce.instruments import sync_directory
from sos_workforce.models import InstrumentVersion, Organisation, Team, Wave
from sos_workforce.surveys import AnswerValue

DEMO_ORG_NAME = "Northbridge Borough Council"
DEMO_ORG_CODE = "northbridge"
DEMO_CREDENTIALS: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("admin@northbridge.example", "demo-admin-pass"),
    Role.LEAD: ("lead@northbridge.example", "demo-lead-pass"),
    Role.EXECUTIVE: ("exec@northbridge.example", "demo-exec-pass"),
}
DEMO_NAMES = {Role.ADMIN: "Ada Admin", Role.LEAD: "Lee Lead", Role.EXECUTIVE: "Eve Executive"}

# (team, parent, headcount, responses in the closed wave). Quality Assurance is
# deliberately smaller than the minimum group size.
DEMO_TEAMS: list[tuple[str, str | None, int, int]] = [
    ("Children's Social Care", None, 0, 0),
    ("Front Door and MASH", "Children's Social Care", 14, 12),
    ("Assessment Team North", "Children's Social Care", 16, 14),
    ("Assessment Team South", "Children's Social Care", 15, 13),
    ("Child Protection and Court", "Children's Social Care", 18, 16),
    ("Children in Need", "Children's Social Care", 16, 14),
    ("Looked After Children", "Children's Social Care", 17, 15),
    ("Leaving Care", "Children's Social Care", 10, 9),
    ("Disabled Children", "Children's Social Care", 9, 8),
    ("Early Help", None, 0, 0),
    ("Family Support East", "Early Help", 14, 12),
    ("Family Support West", "Early Help", 12, 10),
    ("Quality Assurance and Conferencing", None, 4, 3),
]

# Target share per band (1–3, 4–6, 7–10) for each confidence item, after Brent 2017.
BRENT_2017_SHARES = {
    "understanding": (0.062, 0.215, 0.723),
    "integration": (0.123, 0.262, 0.615),
    "advise_colleagues": (0.127, 0.317, 0.556),
    "train_colleagues": (0.292, 0.400, 0.308),
}
_BAND_VALUES = ((1, 2, 3), (4, 5, 6), (7, 8, 9, 10))


def draw_confidence_answers(rng: random.Random, skip_rate: float = 0.03) -> dict[str, AnswerValue]:
    """One plausible set of answers to the four confidence statements."""
    answers: dict[str, AnswerValue] = {}
    for code, shares in BRENT_2017_SHARES.items():
        if rng.random() < skip_rate:
            continue
        band = rng.choices(range(3), weights=shares)[0]
        answers[code] = rng.choice(_BAND_VALUES[band])
    return answers


@dataclass
class DemoSummary:
    organisation_id: int
    closed_wave_id: int
    open_wave_id: int
    credentials: dict[Role, tuple[str, str]] = field(default_factory=lambda: dict(DEMO_CREDENTIALS))
    open_wave_links: list[str] = field(default_factory=list)
    created: bool = True
    # Unused rater links of Northbridge's open self-profiling round.
    profile_rater_links: list[str] = field(default_factory=list)


def _existing(db: Database) -> DemoSummary | None:
    with db.read() as session:
        organisation_id = session.scalar(
            select(Organisation.id).where(Organisation.code == DEMO_ORG_CODE)
        )
        if organisation_id is None:
            return None
        waves = list(
            session.scalars(
                select(Wave.id).where(Wave.organisation_id == organisation_id).order_by(Wave.id)
            )
        )
    return DemoSummary(organisation_id, waves[0], waves[-1], created=False)


def seed_demo(
    db: Database, settings: Settings, *, today: dt.date | None = None, seed: int = 2017
) -> DemoSummary:
    """Create the demo authority unless it exists. Goes through the same services as the
    app (launch, submit, close) with a simulated calendar, so demo data obeys every rule."""
    existing = _existing(db)
    if existing is not None:
        return existing
    today = today or dt.date.today()
    rng = random.Random(seed)
    with db.write() as session:
        sync_directory(session, settings.surveys_dir)
    organisation_id = organisations.create_organisation(
        db, None, DEMO_ORG_NAME, DEMO_ORG_CODE, bootstrap=True
    )
    team_ids: dict[str, int] = {}
    for name, parent, _, _ in DEMO_TEAMS:
        team_ids[name] = organisations.create_team(
            db,
            None,
            organisation_id,
            name,
            team_ids.get(parent) if parent else None,
            bootstrap=True,
        )
    for role, (email, password) in DEMO_CREDENTIALS.items():
        auth.create_user(
            db,
            email=email,
            display_name=DEMO_NAMES[role],
            role=role,
            password=password,
            organisation_ids=[] if role is Role.ADMIN else [organisation_id],
            bootstrap=True,
        )
    lead = auth.sign_in(db, *DEMO_CREDENTIALS[Role.LEAD])
    with db.read() as session:
        version_id = session.scalars(
            select(InstrumentVersion.id)
            .join(InstrumentVersion.instrument)
            .where(InstrumentVersion.instrument.has(code="sos_confidence"))
            .order_by(InstrumentVersion.version.desc())
        ).first()
    assert version_id is not None, "surveys/sos_confidence.yaml is missing"
    headcounts = {team_ids[name]: count for name, _, count, _ in DEMO_TEAMS if count}

    # A closed wave about a year ago.
    opened = today - dt.timedelta(days=400)
    closed = surveys.launch_wave(
        db,
        lead,
        organisation_id=organisation_id,
        instrument_version_id=version_id,
        title="Autumn confidence survey (last year)",
        opens_on=opened,
        closes_on=opened + dt.timedelta(days=21),
        headcounts=headcounts,
        base_url=settings.base_url,
        today=opened,
    )
    _answer(db, closed.links, {name: n for name, _, _, n in DEMO_TEAMS}, rng, opened)
    surveys.close_wave(db, lead, closed.wave_id)

    # An open wave, part-way through.
    opened = today - dt.timedelta(days=10)
    current = surveys.launch_wave(
        db,
        lead,
        organisation_id=organisation_id,
        instrument_version_id=version_id,
        title="Autumn confidence survey (this year)",
        opens_on=opened,
        closes_on=today + dt.timedelta(days=25),
        headcounts=headcounts,
        base_url=settings.base_url,
        today=opened,
    )
    halfway = {name: n // 2 for name, _, _, n in DEMO_TEAMS}
    unused = _answer(db, current.links, halfway, rng, today)
    _write_links(settings.data_dir / "demo-open-wave-links.csv", unused)
    rater_links = seed_profiling(
        db,
        settings,
        organisation_id=organisation_id,
        lead=lead,
        admin=auth.sign_in(db, *DEMO_CREDENTIALS[Role.ADMIN]),
        today=today,
        rng=rng,
    )
    return DemoSummary(
        organisation_id,
        closed.wave_id,
        current.wave_id,
        open_wave_links=[link.url for link in unused],
        profile_rater_links=rater_links,
    )


def _answer(
    db: Database,
    links: list[surveys.IssuedLink],
    responses_per_team: dict[str, int],
    rng: random.Random,
    day: dt.date,
) -> list[surveys.IssuedLink]:
    """Submit answers through the first n links of each team; return the links left."""
    used: dict[str, int] = {}
    unused = []
    for link in links:
        if used.get(link.team, 0) < responses_per_team.get(link.team, 0):
            token = link.url.rsplit("t=", 1)[1]
            surveys.submit_response(db, token, draw_confidence_answers(rng), today=day)
            used[link.team] = used.get(link.team, 0) + 1
        else:
            unused.append(link)
    return unused


def _write_links(path: Path, links: list[surveys.IssuedLink]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["team", "link"])
        writer.writerows([link.team, link.url] for link in links)


def demo_team_ids(db: Database, organisation_id: int) -> dict[str, int]:
    with db.read() as session:
        return dict(
            session.execute(
                select(Team.name, Team.id).where(Team.organisation_id == organisation_id)
            ).all()
        )
