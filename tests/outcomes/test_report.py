"""The outcomes service says plainly what is missing, and directions are validated and
audited (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sos_workforce.access import set_la_codes
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import AuditEvent, OutcomeDirection
from sos_workforce.outcomes import outcome_report, set_outcome_direction
from tests.support.dfe import CHILDREN_IN_NEED, POPULATION, import_real
from tests.support.factories import build_world


def test_without_codes_or_files_the_report_says_what_is_missing(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    report = outcome_report(db, world.executive, world.organisation_id)
    assert report.indicators == ()
    assert report.missing.startswith("This organisation has no DfE LA codes yet.")
    set_la_codes(db, world.admin, world.organisation_id, old_la_code="304", new_la_code=None)
    report = outcome_report(db, world.executive, world.organisation_id)
    assert report.missing.startswith("No DfE files have been imported yet.")
    import_real(db, world.admin, CHILDREN_IN_NEED, POPULATION)
    report = outcome_report(db, world.executive, world.organisation_id)
    assert [s.definition.id for s in report.indicators] == ["children_in_need_rate"]
    assert "Not imported yet: child_protection_plans, children_looked_after, referrals." in (
        report.missing
    )
    assert "(the model is not imported yet)" in report.missing
    assert not report.fictional and report.neighbours == ()


def test_an_unknown_la_code_is_pointed_out(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    set_la_codes(db, world.admin, world.organisation_id, old_la_code="999", new_la_code=None)
    import_real(db, world.admin, CHILDREN_IN_NEED, POPULATION)
    report = outcome_report(db, world.executive, world.organisation_id)
    assert "DfE's files have no figures for LA 999; check the LA codes." in report.missing


def test_directions_are_validated_audited_and_for_leads(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    with pytest.raises(InvalidInput, match="There is no outcome indicator 'happiness'"):
        set_outcome_direction(db, world.lead, world.organisation_id, "happiness", "higher")
    with pytest.raises(InvalidInput, match="Choose higher is better, lower is better"):
        set_outcome_direction(
            db, world.lead, world.organisation_id, "children_in_need_rate", "sideways"
        )
    with pytest.raises(PermissionDenied):
        set_outcome_direction(
            db, world.executive, world.organisation_id, "children_in_need_rate", "lower"
        )
    set_outcome_direction(db, world.lead, world.organisation_id, "children_in_need_rate", "lower")
    set_outcome_direction(db, world.lead, world.organisation_id, "referral_rate", "higher")
    set_outcome_direction(db, world.lead, world.organisation_id, "referral_rate", None)
    with db.read() as session:
        stored = session.execute(
            select(OutcomeDirection.indicator_id, OutcomeDirection.direction)
        ).all()
        details = list(
            session.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "outcome_direction_set")
                .order_by(AuditEvent.id)
            )
        )
    assert [tuple(row) for row in stored] == [("children_in_need_rate", "lower")]
    assert details == ["lower", "higher", "none"]
