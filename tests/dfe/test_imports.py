"""Importing DfE's files: all or nothing, the same file twice changes nothing, a newer
release replaces the older one, codes stay "not available" (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import AuditEvent, DfeFile, DfeNeighbour, DfeRow
from sos_workforce.dfe import import_dfe_file, list_dfe_files, published_figures
from tests.support.dfe import (
    CHILDREN_IN_NEED,
    NEIGHBOURS,
    PLANS,
    POPULATION,
    dfe_admin,
    import_real,
    real_file,
)


def _state(db: Database) -> tuple[int, int, int, int, list[str]]:
    """Everything an import can change: files, rows, neighbour pairs, audit events."""
    with db.read() as session:
        return (
            int(session.scalar(select(func.count()).select_from(DfeFile)) or 0),
            int(session.scalar(select(func.count()).select_from(DfeRow)) or 0),
            int(session.scalar(select(func.count()).select_from(DfeNeighbour)) or 0),
            int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
            list(session.scalars(select(DfeFile.checksum).order_by(DfeFile.source))),
        )


def test_the_same_file_twice_changes_nothing(db: Database) -> None:
    admin = dfe_admin(db)
    first, model = import_real(db, admin, PLANS, NEIGHBOURS)
    assert first.created and first.rows == 2132 and first.figures == 2132 * 3
    assert model.created and (model.rows, model.figures) == (153, 1530)
    before = _state(db)
    assert before[:3] == (2, 2132, 1530)
    again = import_real(db, admin, PLANS, NEIGHBOURS)
    assert [result.created for result in again] == [False, False]
    assert _state(db) == before  # not even an audit event


def test_a_broken_row_is_named_and_nothing_changes(db: Database) -> None:
    admin = dfe_admin(db)
    import_real(db, admin, PLANS)
    before = _state(db)
    lines = real_file(PLANS).decode().splitlines()
    # A newer release with one bad cell on file row 1,500 (the header is row 1).
    cells = lines[1499].split(",")
    cells[-1] = "twelve"
    lines[1499] = ",".join(cells)
    with pytest.raises(InvalidInput) as refused:
        import_dfe_file(db, admin, "d3_new_release.csv", "\n".join(lines).encode())
    assert refused.value.problems == [
        "Row 1500, column 'CPP_subsequent_percent': 'twelve' is not a number or one of "
        "DfE's codes (c, x, z, low, k, u)."
    ]
    assert _state(db) == before  # the earlier file is still the one imported


def test_a_newer_release_replaces_the_older_one_in_one_go(db: Database) -> None:
    admin = dfe_admin(db)
    lines = real_file(PLANS).decode().splitlines()
    older = "\n".join([lines[0], *[line for line in lines[1:] if not line.startswith("2025,")]])
    first = import_dfe_file(db, admin, "d3_2013_to_2024.csv", older.encode())
    assert first.rows == 2132 - 165  # 165 rows for 2024-25: England, 11 regions, 153 LAs
    replaced = import_real(db, admin, PLANS)[0]
    assert replaced.created and replaced.replaced == "d3_2013_to_2024.csv"
    files = list_dfe_files(db, admin)
    assert [(f.source, f.file_name, f.rows) for f in files] == [
        ("child_protection_plans", PLANS, 2132)
    ]
    assert _state(db)[1] == 2132


def test_codes_are_stored_as_not_available_never_zero(db: Database) -> None:
    admin = dfe_admin(db)
    import_real(db, admin, CHILDREN_IN_NEED, POPULATION)
    with db.read() as session:
        hackney = published_figures(
            session, "children_in_need", ["Anypoint_child"], old_la_codes=["204"]
        )
        population = published_figures(
            session, "population", ["population_estimate"], old_la_codes=["835"]
        )
    by_year = {f.time_period: f for f in hackney if f.level == "local_authority"}
    # b1, Hackney (204): 2021-22 and 2020-21 were "x" (not available).
    assert (by_year[2022].value, by_year[2022].symbol) == (None, "x")
    assert (by_year[2021].value, by_year[2021].symbol) == (None, "x")
    assert (by_year[2020].value, by_year[2020].symbol) == (5097.0, None)
    # The ONS file has "x" for the old Dorset (835) in 2016.
    dorset = {f.time_period: f for f in population if f.level == "local_authority"}
    assert dorset[2016].value is None and dorset[2016].symbol == "x"


def test_only_administrators_import(db: Database) -> None:
    from sos_workforce.access import Actor
    from sos_workforce.core.enums import Role

    lead = Actor(1, "lead@example.org", "Lead", Role.LEAD, frozenset({1}))
    with pytest.raises(PermissionDenied):
        import_dfe_file(db, lead, PLANS, real_file(PLANS))
    assert _state(db)[:3] == (0, 0, 0)


def test_imports_are_audited_with_counts(db: Database) -> None:
    admin = dfe_admin(db)
    import_real(db, admin, POPULATION)
    with db.read() as session:
        event = session.execute(
            select(
                AuditEvent.target,
                AuditEvent.count,
                AuditEvent.detail,
                AuditEvent.actor_user_id,
                AuditEvent.organisation_id,
            ).where(AuditEvent.action == "dfe_file_imported")
        ).one()
    assert tuple(event) == ("dfe:population", 2132, POPULATION, admin.user_id, None)


def test_progress_moves_from_reading_to_writing(db: Database) -> None:
    admin = dfe_admin(db)
    shares: list[float] = []
    import_dfe_file(
        db, admin, CHILDREN_IN_NEED, real_file(CHILDREN_IN_NEED), progress=shares.append
    )
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert any(share <= 0.5 for share in shares) and any(0.5 < share < 1 for share in shares)
