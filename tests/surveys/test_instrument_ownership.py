"""Instruments belong to an organisation: what a lead publishes is offered to their
organisation only (catalogue, wave launch, feedback forms, definitions); the shipped
instruments form the shared library offered to all, which only administrators publish to
(by upload, or by publishing an organisation's instrument there)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from sos_workforce import feedback, surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import AuditEvent, Wave
from tests.support.factories import World, build_world

TODAY = dt.date.today()

CLIMATE = """\
code: team_climate
version: 1
title: Team climate
sections:
  - code: main
    title: Main
    items:
      - code: feel_safe
        kind: scale
        text: I feel safe to speak up in my team
        min: 1
        max: 5
        bands:
          - {label: "1–2", min: 1, max: 2}
          - {label: "3–5", min: 3, max: 5}
"""

# A continuous (all-year) form of the organisation's own, made from a shipped one.
CONTINUOUS = (
    (Settings().surveys_dir / "conference_feedback_family_v2.yaml")
    .read_text(encoding="utf-8")
    .replace("code: conference_feedback_family", "code: family_voice", 1)
    .replace("version: 2", "version: 1", 1)
)


@pytest.fixture
def other(db: Database, settings: Settings, world: World) -> World:
    return build_world(db, settings, code="otherby")


def _codes(db: Database, actor: object, organisation_id: int | None = None) -> set[str]:
    return {v.code for v in surveys.list_instrument_versions(db, actor, organisation_id)}  # type: ignore[arg-type]


def _launch(db: Database, world: World, version_id: int, title: str) -> int:
    return surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=version_id,
        title=title,
        opens_on=TODAY,
        closes_on=TODAY + dt.timedelta(days=7),
        headcounts={world.teams["Alpha"]: 3},
        base_url="http://testserver",
        today=TODAY,
    ).wave_id


def test_a_leads_instrument_is_offered_to_its_organisation_only(
    db: Database, world: World, other: World
) -> None:
    shipped = _codes(db, world.lead, world.organisation_id)
    assert "sos_confidence" in shipped
    published = surveys.publish_instrument(
        db, world.lead, CLIMATE, organisation_id=world.organisation_id
    )
    assert published.organisation_id == world.organisation_id and not published.shared
    assert published.offered_to == "Testshire Council only"

    # The owner's lead and executive see it, in the organisation and without one.
    assert _codes(db, world.lead, world.organisation_id) == shipped | {"team_climate"}
    assert "team_climate" in _codes(db, world.lead)
    assert "team_climate" in _codes(db, world.executive, world.organisation_id)
    assert surveys.instrument_definition(db, world.executive, published.id).code == "team_climate"
    # Another organisation sees the shared library only, and cannot reach it by id.
    assert _codes(db, other.lead, other.organisation_id) == shipped
    assert _codes(db, other.lead) == shipped
    with pytest.raises(PermissionDenied, match="another organisation"):
        surveys.instrument_definition(db, other.lead, published.id)
    with pytest.raises(PermissionDenied):
        surveys.list_instrument_versions(db, other.lead, world.organisation_id)
    # An administrator sees every organisation's, and each organisation's offer.
    assert "team_climate" in _codes(db, world.admin)
    assert "team_climate" not in _codes(db, world.admin, other.organisation_id)

    # Its own organisation launches a wave of it; the other cannot, even by id.
    _launch(db, world, published.id, "Climate spring")
    with pytest.raises(PermissionDenied, match="another organisation"):
        _launch(db, other, published.id, "Borrowed climate")
    with db.read() as session:
        titles = set(session.scalars(select(Wave.title)))
    assert "Borrowed climate" not in titles and "Climate spring" in titles


def test_only_an_administrator_publishes_to_the_shared_library(
    db: Database, world: World, other: World
) -> None:
    with pytest.raises(PermissionDenied, match="Only an administrator"):
        surveys.publish_instrument(db, world.lead, CLIMATE)
    with pytest.raises(PermissionDenied):  # a lead of another organisation
        surveys.publish_instrument(db, other.lead, CLIMATE, organisation_id=world.organisation_id)
    # A lead cannot add a version to a library instrument (offered to everyone).
    confidence = (Settings().surveys_dir / "sos_confidence_v2.yaml").read_text()
    with pytest.raises(InvalidInput, match="shared library"):
        surveys.publish_instrument(
            db,
            world.lead,
            confidence.replace("version: 2", "version: 9"),
            organisation_id=world.organisation_id,
        )
    assert "team_climate" not in _codes(db, world.admin)

    published = surveys.publish_instrument(db, world.admin, CLIMATE)
    assert published.shared and published.offered_to == "Every organisation (shared library)"
    assert "team_climate" in _codes(db, world.lead, world.organisation_id)
    assert "team_climate" in _codes(db, other.lead, other.organisation_id)
    # Its code is taken: an organisation's own instrument needs another one.
    with pytest.raises(InvalidInput, match="another code"):
        surveys.publish_instrument(
            db,
            world.lead,
            CLIMATE.replace("version: 1", "version: 2"),
            organisation_id=world.organisation_id,
        )


def test_an_administrator_publishes_an_organisations_instrument_to_the_library(
    db: Database, world: World, other: World
) -> None:
    v1 = surveys.publish_instrument(db, world.lead, CLIMATE, organisation_id=world.organisation_id)
    v2 = surveys.publish_instrument(
        db,
        world.lead,
        CLIMATE.replace("version: 1", "version: 2").replace("safe to", "able to"),
        organisation_id=world.organisation_id,
    )
    wave_a = _launch(db, world, v2.id, "Climate before sharing")
    # Another organisation cannot take a code it cannot see.
    with pytest.raises(InvalidInput, match="another code"):
        surveys.publish_instrument(
            db,
            other.lead,
            CLIMATE.replace("version: 1", "version: 3"),
            organisation_id=other.organisation_id,
        )
    for refused in (world.lead, world.executive, other.lead):
        with pytest.raises(PermissionDenied):
            surveys.share_instrument(db, refused, v1.instrument_id)
    assert "team_climate" not in _codes(db, other.lead, other.organisation_id)

    surveys.share_instrument(db, world.admin, v1.instrument_id)
    offered = {
        v.id for v in surveys.list_instrument_versions(db, other.lead, other.organisation_id)
    }
    assert {v1.id, v2.id} <= offered  # every version
    wave_b = _launch(db, other, v2.id, "Climate after sharing")
    with pytest.raises(InvalidInput, match="already in the shared library"):
        surveys.share_instrument(db, world.admin, v1.instrument_id)
    # Now the library's: the former owner's lead adds no version to it.
    with pytest.raises(InvalidInput, match="shared library"):
        surveys.publish_instrument(
            db,
            world.lead,
            CLIMATE.replace("version: 1", "version: 5"),
            organisation_id=world.organisation_id,
        )
    with db.read() as session:
        event = session.execute(
            select(
                AuditEvent.actor_user_id,
                AuditEvent.organisation_id,
                AuditEvent.target,
                AuditEvent.count,
            ).where(AuditEvent.action == "instrument_shared")
        ).one()
        versions = session.scalars(
            select(Wave.instrument_version_id).where(Wave.id.in_([wave_a, wave_b]))
        ).all()
    assert tuple(event) == (
        world.admin.user_id,
        world.organisation_id,
        "instrument:team_climate",
        2,
    )
    # Both authorities' waves use the same version: benchmarks compare them.
    assert set(versions) == {v2.id}


def test_feedback_forms_offer_the_organisations_own_continuous_instruments(
    db: Database, world: World, other: World
) -> None:
    published = surveys.publish_instrument(
        db, world.lead, CONTINUOUS, organisation_id=world.organisation_id
    )
    own = {f.code for f in feedback.list_feedback_forms(db, world.lead, world.organisation_id)}
    theirs = {f.code for f in feedback.list_feedback_forms(db, other.lead, other.organisation_id)}
    assert "family_voice" in own and "family_voice" not in theirs
    assert own - {"family_voice"} == theirs  # the library's forms, offered to both
    with pytest.raises(PermissionDenied, match="another organisation"):
        feedback.start_feedback_form(
            db, other.lead, other.organisation_id, published.id, release_step=5
        )
    assert feedback.start_feedback_form(
        db, world.lead, world.organisation_id, published.id, release_step=5
    )
