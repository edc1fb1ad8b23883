"""DfE's real files imported once per module and backend (they are read, never changed, by
the tests that use them), with Brent, Islington and the City of London as organisations."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sos_workforce.access import Actor, create_organisation, set_la_codes
from sos_workforce.core.db import Database
from sos_workforce.profiling import set_timeline
from tests.support.dfe import OUTCOME_FILES, dfe_admin, import_real
from tests.support.environment import empty_postgres, make_settings
from tests.support.factories import build_world

# Brent's scrutiny report (seed 004, 3.3) counts 2014-15 as the first year of its Signs of
# Safety implementation; a start in September 2014 makes 2013-14 the last year before it.
BRENT_SOS_START = dt.date(2014, 9, 1)


@dataclass
class RealData:
    db: Database
    admin: Actor
    brent_lead: Actor
    brent: int
    islington: int
    city_of_london: int


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def real(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RealData]:
    folder = tmp_path_factory.mktemp("dfe")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, folder / "real.db")
        url = f"sqlite:///{folder / 'real.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
        empty_postgres(url)
    settings = make_settings(url, folder)
    db = Database.from_settings(settings)
    world = build_world(db, settings, code="brent")
    admin = world.admin
    set_la_codes(db, admin, world.organisation_id, old_la_code="304", new_la_code="E09000005")
    set_timeline(
        db, world.lead, world.organisation_id, sos_start_date=BRENT_SOS_START, phase_starts={}
    )
    islington = create_organisation(
        db, admin, "Islington Council", "islington", old_la_code="206", new_la_code="E09000019"
    )
    city = create_organisation(db, admin, "City of London", "city", old_la_code="201")
    import_real(db, dfe_admin(db), *OUTCOME_FILES)
    yield RealData(db, admin, world.lead, world.organisation_id, islington, city)
    db.dispose()
