"""A fictional authority with realistic data, used by ``sos-workforce demo``, the tests and
the browser tests alike.

Northbridge Borough Council is invented. Its closed wave's answers are drawn so that the
band shares resemble Brent's autumn 2017 survey (seed 004, section 3.35).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from sos_workforce.access import (
    Actor,
    create_organisation,
    create_team,
    create_user,
    set_la_codes,
    sign_in,
)
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import Instrument, InstrumentVersion, Organisation, Wave
from sos_workforce.core.private_files import write_private_file
from sos_workforce.devdata.diaries import seed_comparator_diary, seed_diaries
from sos_workforce.devdata.feedback import seed_feedback
from sos_workforce.devdata.outcomes import seed_outcomes
from sos_workforce.devdata.profiling import seed_profiling
from sos_workforce.startup import sync_instruments
from sos_workforce.surveys import (
    AnswerValue,
    IssuedLink,
    ScaleItem,
    close_wave,
    enable_links_file,
    instrument_definition,
    issue_links_file,
    launch_wave,
    submit_response,
)

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


def draw_confidence_answers(
    rng: random.Random,
    skip_rate: float = 0.03,
    profile: dict[str, tuple[float, float, float]] = BRENT_2017_SHARES,
) -> dict[str, AnswerValue]:
    """One plausible set of answers to the four confidence statements."""
    answers: dict[str, AnswerValue] = {}
    for code, shares in profile.items():
        if rng.random() < skip_rate:
            continue
        band = rng.choices(range(3), weights=shares)[0]
        answers[code] = rng.choice(_BAND_VALUES[band])
    return answers


# "About you" answers (option values of the grouping questions) with plausible weights:
# role (social worker, senior, team manager, family support), permanent/agency, tenure.
_GROUPING_WEIGHTS = {
    "staff_role": {1: 0.6, 2: 0.15, 3: 0.1, 4: 0.15},
    "employment_type": {1: 0.75, 2: 0.25},
    "tenure_band": {1: 0.2, 2: 0.3, 3: 0.3, 4: 0.2},
}


def draw_grouping_answers(rng: random.Random, skip_rate: float = 0.05) -> dict[str, AnswerValue]:
    """Plausible answers to the grouping questions; some people skip them."""
    answers: dict[str, AnswerValue] = {}
    for code, weights in _GROUPING_WEIGHTS.items():
        if rng.random() >= skip_rate:
            answers[code] = rng.choices(list(weights), weights=list(weights.values()))[0]
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
    # Unused personal links of Northbridge's open diary period (/diary?d=…).
    diary_links: list[str] = field(default_factory=list)


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
    sync_instruments(db, settings.surveys_dir)
    organisation_id = create_organisation(db, None, DEMO_ORG_NAME, DEMO_ORG_CODE, bootstrap=True)
    team_ids: dict[str, int] = {}
    for name, parent, _, _ in DEMO_TEAMS:
        team_ids[name] = create_team(
            db,
            None,
            organisation_id,
            name,
            team_ids.get(parent) if parent else None,
            bootstrap=True,
        )
    for role, (email, password) in DEMO_CREDENTIALS.items():
        create_user(
            db,
            email=email,
            display_name=DEMO_NAMES[role],
            role=role,
            password=password,
            organisation_ids=[] if role is Role.ADMIN else [organisation_id],
            bootstrap=True,
        )
    lead = sign_in(db, *DEMO_CREDENTIALS[Role.LEAD])
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
    closed = launch_wave(
        db,
        lead,
        organisation_id=organisation_id,
        instrument_version_id=version_id,
        title="Autumn confidence survey (last year)",
        opens_on=opened,
        closes_on=opened + dt.timedelta(days=21),
        headcounts=headcounts,
        base_url=settings.base_url,
        live_results=False,  # results at close only: every answer counts
        today=opened,
    )
    _answer(
        db,
        _demo_links(db, settings, closed.wave_id),
        {name: n for name, _, _, n in DEMO_TEAMS},
        rng,
        opened,
    )
    close_wave(db, lead, closed.wave_id)

    # An open wave, part-way through.
    opened = today - dt.timedelta(days=10)
    current = launch_wave(
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
    unused = _answer(db, _demo_links(db, settings, current.wave_id), halfway, rng, today)
    _write_links(settings.data_dir / "demo-open-wave-links.csv", unused)
    _seed_other_surveys(db, settings, organisation_id, lead, headcounts, rng, today)
    _seed_comparator_authorities(db, settings, organisation_id, version_id, rng, today)
    _seed_workforce(db, organisation_id, lead, rng, today)
    seed_feedback(db, settings, organisation_id=organisation_id, lead=lead, today=today, rng=rng)
    admin = sign_in(db, *DEMO_CREDENTIALS[Role.ADMIN])
    diary_links = seed_diaries(
        db,
        settings,
        organisation_id=organisation_id,
        lead=lead,
        admin=admin,
        today=today,
        rng=rng,
    )
    rater_links = seed_profiling(
        db,
        settings,
        organisation_id=organisation_id,
        lead=lead,
        admin=admin,
        today=today,
        rng=rng,
    )
    seed_outcomes(db, organisation_id=organisation_id, admin=admin, today=today)
    return DemoSummary(
        organisation_id,
        closed.wave_id,
        current.wave_id,
        open_wave_links=[link.url for link in unused],
        profile_rater_links=rater_links,
        diary_links=diary_links,
    )


def _demo_links(db: Database, settings: Settings, wave_id: int) -> list[IssuedLink]:
    """The demo's fictional staff answer through the links file, which the demo's
    administrator allows for each of its waves (audited as for real)."""
    admin = sign_in(db, *DEMO_CREDENTIALS[Role.ADMIN])
    enable_links_file(db, admin, wave_id)
    return issue_links_file(db, admin, wave_id, base_url=settings.base_url)


_DEMO_COMMENTS = {
    "worried_about": [
        "Caseloads leave little time for mapping meetings with families.",
        "Agency colleagues often start without the two-day training.",
        "Some conference chairs still run meetings the old way.",
        "Danger statements are sometimes written in professional jargon.",
    ],
    "working_well": [
        "Group supervision using the three columns is really helpful.",
        "Families tell us they understand the worries better.",
        "Words and Pictures explanations have helped children make sense of things.",
        "Practice leads are easy to reach for advice.",
    ],
    "needs_to_happen": [
        "More time for direct work and less duplication in recording.",
        "Refresher training for experienced staff.",
        "Safety planning guidance for the out-of-hours team.",
        "Share examples of good safety plans across teams.",
    ],
}


def _seed_other_surveys(
    db: Database,
    settings: Settings,
    organisation_id: int,
    lead: Actor,
    headcounts: dict[int, int],
    rng: random.Random,
    today: dt.date,
) -> None:
    """One closed wave each of the tool confidence, wellbeing and three-columns surveys,
    so every shipped staff instrument has results in the demo."""
    with db.read() as session:
        versions = dict(
            session.execute(
                select(Instrument.code, func.max(InstrumentVersion.id))
                .join(InstrumentVersion.instrument)
                .group_by(Instrument.code)
            ).all()
        )
    opened = today - dt.timedelta(days=120)
    for code, title in [
        ("sos_tool_confidence", "Tool confidence survey"),
        ("staff_wellbeing", "Wellbeing and intention to stay"),
        ("three_columns", "Implementation in three columns"),
    ]:
        launched = launch_wave(
            db,
            lead,
            organisation_id=organisation_id,
            instrument_version_id=versions[code],
            title=title,
            opens_on=opened,
            closes_on=opened + dt.timedelta(days=21),
            headcounts=headcounts,
            base_url=settings.base_url,
            live_results=False,
            today=opened,
        )
        definition = instrument_definition(db, lead, versions[code])
        for link in _demo_links(db, settings, launched.wave_id):
            if rng.random() > 0.7:
                continue  # about 70% respond
            answers: dict[str, AnswerValue] = {}
            for item in definition.items:
                if isinstance(item, ScaleItem):
                    centre = item.min + (item.max - item.min) * rng.uniform(0.35, 0.85)
                    answers[item.code] = max(item.min, min(item.max, round(rng.gauss(centre, 1.5))))
                elif item.kind == "text" and item.code in _DEMO_COMMENTS and rng.random() < 0.4:
                    answers[item.code] = rng.choice(_DEMO_COMMENTS[item.code])
            answers |= draw_grouping_answers(rng) if code != "three_columns" else {}
            token = link.url.rsplit("t=", 1)[1]
            submit_response(db, token, answers, today=opened)
        close_wave(db, lead, launched.wave_id)


# Other fictional authorities using the same instrument, for benchmarks (named to sort
# after Northbridge, which an administrator sees first): (name, code,
# respondents, confidence multiplier for the top band, old LA code when it is one of
# Northbridge's statistical neighbours in the demo's (fictional) DfE model, direct-work
# multiplier in their diary week, or None: no diaries yet).
COMPARATORS = [
    ("Southmoor County Council", "southmoor", 48, 0.85, "981", 0.8),
    ("Riverside Metropolitan Borough Council", "riverside", 62, 1.10, "982", 1.3),
    ("Westhaven City Council", "westhaven", 40, 0.95, "983", 1.0),
    ("Yardley Heath Council", "yardley-heath", 55, 0.75, None, None),
    ("Redhill Borough Council", "redhill", 50, 0.90, "984", 0.9),
    ("Sandford District Council", "sandford", 45, 1.05, "985", 1.1),
    ("Tarnside Council", "tarnside", 58, 0.80, None, 1.2),
]


def _scaled(shares: tuple[float, float, float], factor: float) -> tuple[float, float, float]:
    top = min(0.9, shares[2] * factor)
    rest = 1 - top
    low_share = shares[0] / (shares[0] + shares[1])
    return (rest * low_share, rest * (1 - low_share), top)


def _seed_comparator_authorities(
    db: Database,
    settings: Settings,
    northbridge_id: int,
    version_id: int,
    rng: random.Random,
    today: dt.date,
) -> None:
    """A closed confidence wave and a closed diary week in each comparator authority, and
    Northbridge's neighbours."""
    from sos_workforce.surveys import set_neighbours

    neighbours = []
    for name, code, respondents, factor, neighbour_code, direct_factor in COMPARATORS:
        organisation_id = create_organisation(db, None, name, code, bootstrap=True)
        teams = [
            create_team(db, None, organisation_id, team, bootstrap=True)
            for team in ("Assessment", "Child Protection", "Children in Care")
        ]
        email = f"lead@{code}.example"
        create_user(
            db,
            email=email,
            display_name=f"{name} lead",
            role=Role.LEAD,
            password=f"demo-{code}-pass",
            organisation_ids=[organisation_id],
            bootstrap=True,
        )
        lead = sign_in(db, email, f"demo-{code}-pass")
        opened = today - dt.timedelta(days=60)
        per_team = respondents // len(teams) + 1
        launched = launch_wave(
            db,
            lead,
            organisation_id=organisation_id,
            instrument_version_id=version_id,
            title="Confidence survey",
            opens_on=opened,
            closes_on=opened + dt.timedelta(days=21),
            headcounts=dict.fromkeys(teams, per_team),
            base_url=settings.base_url,
            live_results=False,
            today=opened,
        )
        profile = {item: _scaled(shares, factor) for item, shares in BRENT_2017_SHARES.items()}
        for link in _demo_links(db, settings, launched.wave_id)[:respondents]:
            token = link.url.rsplit("t=", 1)[1]
            answers = draw_confidence_answers(rng, profile=profile)
            submit_response(db, token, answers, today=opened)
        close_wave(db, lead, launched.wave_id)
        if direct_factor is not None:
            seed_comparator_diary(
                db,
                organisation_id=organisation_id,
                lead=lead,
                code=code,
                team_ids=teams,
                people_per_team=per_team // 2,
                direct_factor=direct_factor,
                base_url=settings.base_url,
                today=today,
                rng=rng,
            )
        if neighbour_code is not None:
            neighbours.append(organisation_id)
            set_la_codes(
                db,
                None,
                organisation_id,
                old_la_code=neighbour_code,
                new_la_code=f"E9999{int(neighbour_code):04d}",
                bootstrap=True,
            )
    # DfE's model decides once Northbridge's LA code is set (seed_outcomes); the same five
    # are kept by an administrator for the time before that.
    admin = sign_in(db, *DEMO_CREDENTIALS[Role.ADMIN])
    set_neighbours(db, admin, northbridge_id, neighbours)


@dataclass
class _DemoStaff:
    ref: str
    team: str
    role: str
    agency: bool
    fte: float
    start: dt.date
    cases: int
    sickness: int


def _census_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last two 30 September census dates on or before ``today``."""
    latest = dt.date(today.year if today >= dt.date(today.year, 9, 30) else today.year - 1, 9, 30)
    return latest.replace(year=latest.year - 1), latest


def _seed_workforce(
    db: Database, organisation_id: int, lead: Actor, rng: random.Random, today: dt.date
) -> None:
    """Two yearly roster snapshots (imported through the real import) and establishment."""
    from sos_workforce.core.exports import csv_bytes
    from sos_workforce.workforce import ROSTER_COLUMNS, import_roster, set_establishment

    roles = [
        "Social worker",
        "Social worker",
        "Social worker",
        "Senior practitioner",
        "Team manager",
    ]
    staff: list[_DemoStaff] = []
    for name, _, headcount, _ in DEMO_TEAMS:
        for _ in range(headcount):
            staff.append(
                _DemoStaff(
                    ref=f"NB{len(staff) + 1:04d}",
                    team=name,
                    role=rng.choice(roles),
                    agency=rng.random() < 0.15,
                    fte=rng.choice([1.0, 1.0, 1.0, 0.8, 0.6]),
                    start=today - dt.timedelta(days=rng.randint(60, 3000)),
                    cases=rng.randint(8, 22),
                    sickness=rng.choice([0, 0, 0, 2, 5, 12]),
                )
            )
    for as_of in _census_dates(today):
        rows: list[list[object]] = []
        for person in staff:
            if person.start > as_of:
                continue
            leave, reason = "", ""
            if rng.random() < 0.12 and not person.agency:
                leave_day = as_of - dt.timedelta(days=rng.randint(1, 360))
                if leave_day > person.start:
                    leave = f"{leave_day:%d/%m/%Y}"
                    reason = rng.choice(
                        ["resignation", "resignation", "retirement", "end of contract"]
                    )
            rows.append(
                [
                    person.ref,
                    person.team,
                    person.role,
                    "agency" if person.agency else "permanent",
                    person.fte,
                    f"{person.start:%d/%m/%Y}",
                    leave,
                    reason,
                    "" if leave else person.cases,
                    person.sickness,
                ]
            )
        data = csv_bytes([c.label for c in ROSTER_COLUMNS], rows)
        import_roster(
            db,
            lead,
            organisation_id,
            data=data,
            filename=f"hr-{as_of}.csv",
            as_of=as_of,
            today=today,
        )
        set_establishment(
            db,
            lead,
            organisation_id,
            as_of,
            [
                (name, float(headcount + 2), float(rng.randint(0, 2)))
                for name, _, headcount, _ in DEMO_TEAMS
                if headcount
            ],
        )
    _seed_training(db, organisation_id, lead, staff, today)


def _seed_training(
    db: Database, organisation_id: int, lead: Actor, staff: list[_DemoStaff], today: dt.date
) -> None:
    """Courses attended over two years (the 2-day introduction for most, the 5-day advanced
    course for managers and senior practitioners, train-the-trainer for three) and the
    lead's targets, recorded through the real service. Its own random stream, so the rest
    of the demo is unchanged."""
    from sos_workforce.training import TRAINERS, record_session, set_target

    rng = random.Random(4711)
    in_post = [person for person in staff if person.start < today - dt.timedelta(days=120)]
    for days_ago in (620, 380, 150):
        attendees = [p.ref for p in in_post if rng.random() < 0.3]
        record_session(
            db,
            lead,
            organisation_id,
            course_id="sos-intro-2day",
            held_on=today - dt.timedelta(days=days_ago),
            staff_refs=attendees,
            today=today,
        )
    senior = [p.ref for p in in_post if p.role in ("Team manager", "Senior practitioner")]
    record_session(
        db,
        lead,
        organisation_id,
        course_id="sos-advanced-5day",
        held_on=today - dt.timedelta(days=300),
        staff_refs=[ref for ref in senior if rng.random() < 0.7],
        names=["Agency practitioner (cover)"],
        today=today,
    )
    record_session(
        db,
        lead,
        organisation_id,
        course_id="sos-train-the-trainer",
        held_on=today - dt.timedelta(days=90),
        staff_refs=rng.sample(senior, 3),
        today=today,
    )
    for measure, value in (("introduction", 90.0), ("advanced", 50.0), (TRAINERS, 6.0)):
        set_target(db, lead, organisation_id, measure, value)


def _answer(
    db: Database,
    links: list[IssuedLink],
    responses_per_team: dict[str, int],
    rng: random.Random,
    day: dt.date,
) -> list[IssuedLink]:
    """Submit answers through the first n links of each team; return the links left."""
    used: dict[str, int] = {}
    unused = []
    for link in links:
        if used.get(link.team, 0) < responses_per_team.get(link.team, 0):
            token = link.url.rsplit("t=", 1)[1]
            answers = draw_confidence_answers(rng) | draw_grouping_answers(rng)
            submit_response(db, token, answers, today=day)
            used[link.team] = used.get(link.team, 0) + 1
        else:
            unused.append(link)
    return unused


def _write_links(path: Path, links: list[IssuedLink]) -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["team", "link"])
    writer.writerows([link.team, link.url] for link in links)
    write_private_file(path, text.getvalue().encode("utf-8"))  # whoever holds it can answer
