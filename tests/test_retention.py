"""Retention purge keeps every result; erasure of an identified respondent subtracts them;
both audited and refused to the wrong people; both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from sos_workforce import retention, surveys
from sos_workforce.config import Settings
from sos_workforce.db import Database
from sos_workforce.errors import InvalidInput, NotFound, PermissionDenied
from sos_workforce.models import (
    Answer,
    AuditEvent,
    ClosedWaveTally,
    Invitation,
    Response,
    TextAnswer,
)
from sos_workforce.reporting import WHOLE_WAVE, load_wave_counts
from sos_workforce.trends import instrument_trend
from tests.factories import World, build_world, launch, token_of

TODAY = dt.date.today()


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return build_world(db, settings)


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _results(db: Database, world: World, wave_id: int) -> tuple[object, ...]:
    counts = load_wave_counts(db, world.executive, wave_id)
    tables = counts.tables_for(WHOLE_WAVE, 5)
    trend = instrument_trend(db, world.executive, world.organisation_id, "sos_confidence", 5)
    return (
        [(r.item_code, r.counts) for t in tables for r in t.rows],
        tables[0].respondents,
        [(p.wave_id, p.item_code, p.top_share) for p in trend.points],
    )


def test_purge_deletes_raw_rows_past_retention_and_keeps_every_result(
    db: Database, world: World
) -> None:
    opened = TODAY - dt.timedelta(days=400)
    old = launch(db, world, {"Alpha": 8}, today=opened, allow_identified=True)
    for index, link in enumerate(old.links):
        surveys.submit_response(
            db,
            token_of(link),
            {"understanding": 3 + index % 7, "integration": 8},
            identity=surveys.Identity("Named Person", "n@x.gov.uk") if index == 0 else None,
            today=opened,
        )
    surveys.close_wave(db, world.lead, old.wave_id)
    recent = launch(db, world, {"Alpha": 6})
    for link in recent.links:
        surveys.submit_response(db, token_of(link), {"understanding": 9})
    surveys.close_wave(db, world.lead, recent.wave_id)
    before_old, before_recent = (
        _results(db, world, old.wave_id),
        _results(db, world, recent.wave_id),
    )

    with pytest.raises(PermissionDenied):
        retention.set_retention(db, world.lead, world.organisation_id, 365)
    with pytest.raises(InvalidInput, match="between"):
        retention.set_retention(db, world.admin, world.organisation_id, 5)
    nothing = retention.purge_expired(db, world.admin)  # no retention period set
    assert nothing.responses == 0 and _count(db, Response) == 14
    retention.set_retention(db, world.admin, world.organisation_id, 365)
    with pytest.raises(PermissionDenied):
        retention.purge_expired(db, world.lead)
    result = retention.purge_expired(db, world.admin)
    assert (result.waves, result.responses) == (1, 8)
    assert _count(db, Response) == 6 and _count(db, Answer) == 6
    with db.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.wave_id == old.wave_id)
            )
            == 0
        )
        names = session.scalars(select(Response.respondent_name)).all()
    assert "Named Person" not in names
    assert _results(db, world, old.wave_id) == before_old
    assert _results(db, world, recent.wave_id) == before_recent
    again = retention.purge_expired(db, None, system=True)
    assert again.waves == 0
    with db.read() as session:
        purged = session.scalars(
            select(AuditEvent.count).where(AuditEvent.action == "responses_purged")
        ).all()
    assert purged == [8]


def test_erasure_subtracts_an_identified_respondent_everywhere(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 7}, allow_identified=True)
    tokens = [token_of(link) for link in launched.links]
    surveys.submit_response(
        db,
        tokens[0],
        {"understanding": 1, "employment_type": 2},
        identity=surveys.Identity("Asks To Be Erased", "Erase.Me@x.gov.uk"),
    )
    for token in tokens[1:]:
        surveys.submit_response(db, token, {"understanding": 9})
    surveys.close_wave(db, world.lead, launched.wave_id)
    with db.read() as session:
        sealed_before = session.scalar(select(func.sum(ClosedWaveTally.n)))
    assert sealed_before == 8  # 7 understanding + 1 employment type

    with pytest.raises(PermissionDenied):
        retention.erase_respondent(db, world.lead, world.organisation_id, "erase.me@x.gov.uk")
    outsider = build_world(db, Settings(), "away")
    with pytest.raises(PermissionDenied):
        retention.erase_respondent(db, outsider.lead, world.organisation_id, "a@b")
    with pytest.raises(NotFound):
        retention.erase_respondent(db, world.admin, outsider.organisation_id + 99, "a@b")
    with pytest.raises(InvalidInput):
        retention.erase_respondent(db, world.admin, world.organisation_id, "no address")
    erased = retention.erase_respondent(
        db, world.admin, world.organisation_id, " erase.me@X.gov.uk "
    )
    assert erased == 1
    counts = load_wave_counts(db, world.executive, launched.wave_id)
    table = counts.tables_for(WHOLE_WAVE, 5)[0]
    assert table.respondents == 6
    assert table.rows[0].counts == (0, 0, 6)  # the 1 is gone
    assert counts.filter_options() == {}  # their grouping answer is gone too
    with db.read() as session:
        assert session.scalar(select(func.sum(ClosedWaveTally.n))) == 6
        assert session.scalar(select(func.count()).select_from(Response)) == 6
        assert session.scalars(
            select(AuditEvent.count).where(AuditEvent.action == "respondent_erased")
        ).all() == [1]
    assert (
        retention.erase_respondent(db, world.admin, world.organisation_id, "erase.me@x.gov.uk") == 0
    )


def test_comments_are_purged_with_their_wave(db: Database, world: World) -> None:
    opened = TODAY - dt.timedelta(days=100)
    with db.read() as session:
        from sos_workforce.models import Instrument, InstrumentVersion

        version_id = session.scalar(
            select(InstrumentVersion.id).join(Instrument).where(Instrument.code == "three_columns")
        )
    assert version_id is not None
    launched = surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=version_id,
        title="Columns",
        opens_on=opened,
        closes_on=opened + dt.timedelta(days=7),
        headcounts={world.teams["Alpha"]: 3},
        base_url="http://t",
        today=opened,
    )
    for link in launched.links:
        surveys.submit_response(db, token_of(link), {"working_well": "Mapping"}, today=opened)
    surveys.close_wave(db, world.lead, launched.wave_id)
    retention.set_retention(db, world.admin, world.organisation_id, 60)
    result = retention.purge_expired(db, world.admin)
    assert result.comments == 3 and _count(db, TextAnswer) == 0
