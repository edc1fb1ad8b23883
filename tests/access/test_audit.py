"""The audit log: listing with filters and pages, who may see what, formula-safe CSV, and
downloads recorded with counts only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import update

from sos_workforce import access
from sos_workforce.access.audit_log import AuditFilter, event_actions, events_csv, list_events
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import AuditEvent
from tests.support.factories import World, build_world


@pytest.fixture
def worlds(db: Database, settings: Settings) -> tuple[World, World]:
    return build_world(db, settings), build_world(db, settings, code="otherby")


def _add_events(db: Database, world: World, count: int, when: dt.datetime, action: str) -> None:
    with db.write() as session:
        for index in range(count):
            access.record_event(
                session,
                world.lead,
                action,
                organisation_id=world.organisation_id,
                target=f"thing:{index}",
                count=index,
            )
        session.flush()
        session.execute(
            update(AuditEvent).where(AuditEvent.action == action).values(occurred_at=when)
        )


def test_leads_see_their_organisation_admins_everything_executives_nothing(
    db: Database, worlds: tuple[World, World]
) -> None:
    mine, theirs = worlds
    _add_events(db, mine, 3, dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC), "wave_launched")
    _add_events(db, theirs, 2, dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC), "wave_closed")
    lead_view = list_events(db, mine.lead, AuditFilter(mine.organisation_id))
    # Theirs never appear; mine do (with the set-up's organisation_created, team_created).
    assert {e.action for e in lead_view.entries} == {
        "wave_launched",
        "organisation_created",
        "team_created",
    }
    launched = list_events(db, mine.lead, AuditFilter(mine.organisation_id, "wave_launched"))
    assert launched.total == 3
    assert all(e.actor == "lead@testshire.example" for e in launched.entries)
    assert launched.entries[0].organisation == "Testshire Council"
    everything = list_events(db, mine.admin, AuditFilter(None))
    # Both organisations' events plus those of no organisation (accounts created).
    assert {"wave_launched", "wave_closed", "user_created"} <= {
        e.action for e in everything.entries
    }
    with pytest.raises(PermissionDenied):
        list_events(db, mine.lead, AuditFilter(theirs.organisation_id))
    with pytest.raises(PermissionDenied):
        list_events(db, mine.lead, AuditFilter(None))
    with pytest.raises(PermissionDenied):
        list_events(db, mine.executive, AuditFilter(mine.organisation_id))
    with pytest.raises(PermissionDenied):
        event_actions(db, mine.lead, theirs.organisation_id)
    with pytest.raises(PermissionDenied):
        events_csv(db, theirs.lead, AuditFilter(mine.organisation_id))
    assert event_actions(db, mine.lead, mine.organisation_id) == [
        "organisation_created",
        "team_created",
        "wave_launched",
    ]


def test_filters_by_action_and_inclusive_dates_and_pages(
    db: Database, worlds: tuple[World, World]
) -> None:
    mine, _ = worlds
    _add_events(db, mine, 120, dt.datetime(2026, 2, 1, 23, 59, tzinfo=dt.UTC), "exported")
    _add_events(db, mine, 5, dt.datetime(2026, 2, 2, 0, 0, tzinfo=dt.UTC), "roster_imported")
    organisation = mine.organisation_id
    first = list_events(db, mine.lead, AuditFilter(organisation, action="exported"), page_size=50)
    assert (first.total, first.pages, first.page, len(first.entries)) == (120, 3, 1, 50)
    last = list_events(
        db, mine.lead, AuditFilter(organisation, action="exported"), page=99, page_size=50
    )
    assert (last.page, len(last.entries)) == (3, 20)  # clamped to the last page
    ids = {e.target for e in first.entries} | {e.target for e in last.entries}
    assert len(ids) == 70  # no overlap between pages
    day = dt.date(2026, 2, 1)
    assert list_events(db, mine.lead, AuditFilter(organisation, start=day, end=day)).total == 120
    next_day = AuditFilter(
        organisation, start=day + dt.timedelta(days=1), end=day + dt.timedelta(days=1)
    )
    assert list_events(db, mine.lead, next_day).total == 5
    before = AuditFilter(organisation, end=day - dt.timedelta(days=1))  # set-up is "now"
    assert list_events(db, mine.lead, before).total == 0
    with pytest.raises(InvalidInput, match="start date is after"):
        list_events(db, mine.lead, AuditFilter(organisation, start=day, end=day - dt.timedelta(1)))
    with pytest.raises(InvalidInput):
        list_events(db, mine.lead, AuditFilter(organisation), page_size=10_000)


def test_the_csv_is_formula_safe(db: Database, worlds: tuple[World, World]) -> None:
    mine, _ = worlds
    with db.write() as session:
        access.record_event(
            session,
            mine.lead,
            "exported",
            organisation_id=mine.organisation_id,
            target='=HYPERLINK("http://evil.example","x")',
            detail="+cmd|' /C calc'!A0",
        )
    data, rows = events_csv(db, mine.lead, AuditFilter(mine.organisation_id, action="exported"))
    assert rows == 1
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0] == access.AUDIT_CSV_HEADER
    row = dict(zip(parsed[0], parsed[1], strict=True))
    assert row["Target"].startswith("'=") and row["Detail"].startswith("'+")
    assert row["What happened"] == "Downloaded" and row["Action code"] == "exported"


def test_record_export_keeps_counts_and_refuses_other_organisations(
    db: Database, worlds: tuple[World, World]
) -> None:
    mine, theirs = worlds
    access.record_export(
        db,
        mine.executive,
        organisation_id=mine.organisation_id,
        kind="band_table_csv",
        target="wave:1",
        count=4,
    )
    (event,) = list_events(db, mine.lead, AuditFilter(mine.organisation_id, "exported")).entries
    assert (event.actor, event.action, event.target, event.count, event.detail) == (
        "executive@testshire.example",
        "exported",
        "wave:1",
        4,
        "band_table_csv",
    )
    with pytest.raises(PermissionDenied):
        access.record_export(
            db, theirs.executive, organisation_id=mine.organisation_id, kind="band_table_csv"
        )
    with pytest.raises(PermissionDenied):  # across organisations: administrators only
        access.record_export(db, mine.lead, organisation_id=None, kind="audit_log_csv")
    with pytest.raises(InvalidInput):
        access.record_export(db, mine.lead, organisation_id=mine.organisation_id, kind="answers")
    access.record_export(db, mine.admin, organisation_id=None, kind="audit_log_csv", count=9)
