"""Organisations' DfE LA codes: validated, unique, set or cleared by administrators."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sos_workforce.access import (
    create_organisation,
    list_organisations,
    set_la_codes,
)
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, NotFound, PermissionDenied
from sos_workforce.core.models import AuditEvent
from tests.support.factories import build_world


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("30", None, "The old LA code '30' should be DfE's 3-digit code"),
        ("3045", None, "The old LA code '3045' should be DfE's 3-digit code"),
        (None, "E0900000", "The new LA code 'E0900000' should be the 9-character ONS code"),
        (None, "W06000001X", "should be the 9-character ONS code"),
    ],
)
def test_bad_codes_are_refused_plainly_and_change_nothing(
    db: Database, settings: Settings, old: str | None, new: str | None, message: str
) -> None:
    world = build_world(db, settings)
    with pytest.raises(InvalidInput, match=message):
        set_la_codes(db, world.admin, world.organisation_id, old_la_code=old, new_la_code=new)
    with pytest.raises(InvalidInput, match=message):
        create_organisation(db, world.admin, "Other", "other", old_la_code=old, new_la_code=new)
    assert [o.name for o in list_organisations(db, world.admin)] == ["Testshire Council"]


def test_codes_are_set_trimmed_unique_and_cleared(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    set_la_codes(
        db, world.admin, world.organisation_id, old_la_code=" 304 ", new_la_code="e09000005"
    )
    (mine,) = list_organisations(db, world.lead)
    assert (mine.old_la_code, mine.new_la_code) == ("304", "E09000005")
    with pytest.raises(InvalidInput, match="The LA code 304 already belongs to Testshire"):
        create_organisation(db, world.admin, "Ealing", "ealing", old_la_code="304")
    set_la_codes(db, world.admin, world.organisation_id, old_la_code="", new_la_code=None)
    (mine,) = list_organisations(db, world.lead)
    assert (mine.old_la_code, mine.new_la_code) == (None, None)
    with db.read() as session:
        details = list(
            session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "la_codes_set"))
        )
    assert details == ["old=304 new=E09000005", "old=- new=-"]


def test_only_administrators_set_codes(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    with pytest.raises(PermissionDenied):
        set_la_codes(db, world.lead, world.organisation_id, old_la_code="304", new_la_code=None)
    with pytest.raises(NotFound):
        set_la_codes(db, world.admin, 999_999, old_la_code="304", new_la_code=None)
