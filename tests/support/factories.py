"""Small builders for tests that need less than the full demo."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import func, select

from sos_workforce import surveys
from sos_workforce.access import auth, organisations
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import Instrument, InstrumentVersion, PendingResponse, Response
from sos_workforce.mail import SURVEY_INVITATION
from sos_workforce.startup import sync_instruments
from sos_workforce.surveys import release

PASSWORD = "correct horse battery"
_wave_numbers = itertools.count(1)


@dataclass
class World:
    organisation_id: int
    teams: dict[str, int]
    lead: auth.Actor
    executive: auth.Actor
    admin: auth.Actor
    instrument_version_id: int


def confidence_version(db: Database) -> int:
    with db.read() as session:
        version = session.scalar(
            select(InstrumentVersion.id)
            .join(Instrument)
            .where(Instrument.code == "sos_confidence")
            .order_by(InstrumentVersion.version.desc())
        )
    assert version is not None
    return version


def build_world(db: Database, settings: Settings, code: str = "testshire") -> World:
    sync_instruments(db, settings.surveys_dir)
    organisation_id = organisations.create_organisation(
        db, None, f"{code.title()} Council", code, bootstrap=True
    )
    teams = {
        name: organisations.create_team(db, None, organisation_id, name, bootstrap=True)
        for name in ("Alpha", "Beta")
    }
    actors = {}
    for role in Role:
        email = f"{role.value}@{code}.example"
        auth.create_user(
            db,
            email=email,
            display_name=role.value.title(),
            role=role,
            password=PASSWORD,
            organisation_ids=[] if role is Role.ADMIN else [organisation_id],
            bootstrap=True,
        )
        actors[role] = auth.sign_in(db, email, PASSWORD)
    return World(
        organisation_id,
        teams,
        actors[Role.LEAD],
        actors[Role.EXECUTIVE],
        actors[Role.ADMIN],
        confidence_version(db),
    )


def instrument_version(db: Database, code: str) -> int:
    """The latest registered version of the instrument ``code``."""
    with db.read() as session:
        version = session.scalar(
            select(InstrumentVersion.id)
            .join(Instrument)
            .where(Instrument.code == code)
            .order_by(InstrumentVersion.version.desc())
        )
    assert version is not None, f"no instrument {code!r}"
    return version


def launch(
    db: Database,
    world: World,
    headcounts: dict[str, int] | None = None,
    today: dt.date | None = None,
    *,
    instrument: str | int | None = None,
    **options: object,
) -> surveys.LaunchedWave:
    """A wave by headcount whose personal links come back through the administrator's
    links file (what most tests need: tokens to answer with). ``instrument``: a code or a
    version id (default: the world's confidence survey)."""
    today = today or dt.date.today()
    counts = headcounts or {"Alpha": 6, "Beta": 3}
    version = (
        instrument_version(db, instrument)
        if isinstance(instrument, str)
        else instrument or world.instrument_version_id
    )
    launched = surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=version,
        title=f"Test wave {next(_wave_numbers)}",
        opens_on=today,
        closes_on=today + dt.timedelta(days=14),
        headcounts={world.teams[name]: n for name, n in counts.items()},
        base_url="http://testserver",
        today=today,
        **options,  # type: ignore[arg-type]
    )
    return with_links(db, world, launched)


def with_links(db: Database, world: World, launched: surveys.LaunchedWave) -> surveys.LaunchedWave:
    """``launched`` with its personal links, through the links file an administrator
    enables (as a test stands in for both people)."""
    surveys.enable_links_file(db, world.admin, launched.wave_id)
    links = surveys.issue_links_file(db, world.lead, launched.wave_id, base_url="http://testserver")
    return surveys.LaunchedWave(launched.wave_id, links)


def stored_responses(db: Database) -> int:
    """Responses stored: in the results or still waiting in the pool for a release."""
    with db.read() as session:
        return sum(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Response, PendingResponse)
        )


def release_all(db: Database, wave_id: int) -> None:
    """Put every pooled answer of a wave into the results as a release does, without
    waiting for steps of k: for tests of what results show, not of when they show it
    (tests/surveys/test_release.py covers when)."""
    with db.write_connection() as connection:
        pooled = release.pooled_by_team(connection, wave_id)
        people = [person for team in pooled.values() for person in team]
        if people:
            release.move_to_results(connection, wave_id, people)


def token_of(link: surveys.IssuedLink) -> str:
    return link.url.rsplit("t=", 1)[1]


# A hand-worked roster (tests/workforce) that the browser tour imports as well.
ROSTER = (
    "Employee ID,Service,Job title,Contract type,WTE,Date started,Date left,"
    "Reason for leaving,Caseload,Days lost\n"
    """A1,North,Social worker,Permanent,1.0,01/01/2019,,,20,5
B2,North,Social worker,permanent,0.5,01/03/2023,,,10,0
C3,North,Senior practitioner,Permanent,1.0,01/06/2020,31/05/2024,Resigned,,
D4,South,Social worker,Agency,1.0,15/01/2024,,,18,
E5,South,Social worker,permanent,0.8,01/06/2024,,,0,
"""
)


def emailed_wave(
    db: Database, world: World, people: dict[str, str], **options: object
) -> surveys.LaunchedWave:
    """A wave whose invitations go by email: ``people`` maps an address to a team."""
    audience = [
        surveys.AudienceMember(f"SW{n:03}", world.teams[team], address)
        for n, (address, team) in enumerate(people.items(), 1)
    ]
    return surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=world.instrument_version_id,
        title=str(options.pop("title", "Emailed wave")),
        opens_on=dt.date.today(),
        closes_on=dt.date.today() + dt.timedelta(days=14),
        audience=audience,
        base_url="http://testserver",
        email=options.pop("email", SURVEY_INVITATION),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )
