"""DfE's real published files for the tests (tests/data/dfe, with their source and licence
in its README) and helpers to import them."""

from __future__ import annotations

from pathlib import Path

from sos_workforce.access import Actor, auth
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.dfe import DfeImport, import_dfe_file

DFE_DATA = Path(__file__).resolve().parents[1] / "data" / "dfe"
CHILDREN_IN_NEED = "b1_children_in_need_2013_to_2025.csv"
REFERRALS = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
PLANS = "d3_cpps_subsequent_plan_2013_to_2025.csv"
LOOKED_AFTER = "cla_number_and_rate_per_10k_children.csv"
POPULATION = "ons_mid-year_population_estimates_2012_to_2024.csv"
WORKFORCE = "csww_indicators_2017_to_2025.csv"
NEIGHBOURS = "sn_model_2025_wide.csv"
ALL_FILES = [CHILDREN_IN_NEED, REFERRALS, PLANS, LOOKED_AFTER, POPULATION, WORKFORCE, NEIGHBOURS]
OUTCOME_FILES = [CHILDREN_IN_NEED, REFERRALS, PLANS, LOOKED_AFTER, POPULATION, NEIGHBOURS]


def real_file(name: str) -> bytes:
    return (DFE_DATA / name).read_bytes()


def dfe_admin(db: Database, email: str = "dfe.admin@example.org") -> Actor:
    """An administrator (DfE files are imported once per deployment, by an admin)."""
    auth.create_user(
        db,
        email=email,
        display_name="DfE admin",
        role=Role.ADMIN,
        password="a long unusual phrase",
        bootstrap=True,
    )
    return auth.sign_in(db, email, "a long unusual phrase")


def import_real(db: Database, admin: Actor, *names: str) -> list[DfeImport]:
    return [import_dfe_file(db, admin, name, real_file(name)) for name in names]
