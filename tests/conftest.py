"""Shared fixtures.

Databases: ``db_url`` is parametrised over SQLite and PostgreSQL. SQLite tests get a copy
of a database migrated once per session; PostgreSQL tests share one throwaway database
(created and migrated once, dropped at the end) and start from empty tables. PostgreSQL
runs when ``SOS_TEST_POSTGRES_URL`` is set; under ``CI=true`` a missing server fails.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from serve import use_navigation_routing
from sos_workforce.core import config
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database, upgrade
from sos_workforce.devdata import seed_demo
from tests.support.apptest import APP, DemoApp, DemoDatabase
from tests.support.browser import CHROMIUM
from tests.support.environment import (
    WorldTemplate,
    empty_postgres,
    make_settings,
    require_chromium,
    restore_rows,
    skip_or_fail,
    snapshot_rows,
)
from tests.support.factories import World, build_world

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at production cost takes ~70 ms a hash; tests that are not about passwords
    use the same algorithm at minimum cost. Mark a test ``real_password_cost`` to keep it."""
    if "real_password_cost" not in request.keywords:
        from argon2 import PasswordHasher

        from sos_workforce.core import security

        monkeypatch.setattr(
            security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )


# The slowest files, longest first (measured with --durations=0): the suite runs one file
# per worker at a time (--dist loadfile, --no-loadscope-reorder), so starting these first
# keeps one of them from running alone at the end while the other workers sit idle.
SLOWEST_FIRST = (
    "tests/browser/test_pages_tour.py",
    "tests/browser/test_tour.py",
    "tests/browser/test_emailed_invitations.py",
    "tests/browser/test_sso.py",
    "tests/operations/test_scale_out.py",
    "tests/profiling/test_rounds_and_progress.py",
    "tests/app/test_pages.py",
    "tests/app/test_dashboards.py",
    "tests/browser/test_trainer_pipeline.py",
    "tests/app/test_downloads.py",
    "tests/surveys/test_wave_state_machine.py",
    "tests/access/test_sign_in.py",
    "tests/app/test_profiling_pages.py",
    "tests/browser/test_hardening.py",
    "tests/browser/test_outcomes_import.py",
    "tests/privacy/test_attacker.py",
    "tests/static/test_static.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return SLOWEST_FIRST.index(path) if path in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    server_url = os.environ.get("SOS_TEST_POSTGRES_URL")
    if not server_url:
        skip_or_fail(
            "PostgreSQL tests need SOS_TEST_POSTGRES_URL (e.g. "
            "postgresql://postgres@127.0.0.1:5432/postgres)"
        )
    assert server_url is not None
    url = make_url(Settings(database_url=server_url).database_url)
    name = f"sos_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(test_url)
        yield test_url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cheap_hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def world_template(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> WorldTemplate:
    """``build_world`` run once per worker: tests that ask for ``world`` start from a copy
    of its SQLite file, or of its rows on PostgreSQL (``restore_rows``), instead of
    syncing the instruments and creating the organisation, teams and accounts again."""
    from sos_workforce.core import security

    folder = tmp_path_factory.mktemp("world")
    path = folder / "world.db"
    shutil.copyfile(sqlite_template, path)
    settings = make_settings(f"sqlite:///{path}", folder)
    database = Database.from_settings(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", _cheap_hasher())
        world = build_world(database, settings)
    rows = snapshot_rows(database)
    database.dispose()  # the last connection checkpoints the WAL into the file
    return WorldTemplate(path, world, rows)


def _wants_world_template(request: pytest.FixtureRequest) -> bool:
    return "world" in request.fixturenames and "real_password_cost" not in request.keywords


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database on each backend: empty, or holding the ``world`` when the test
    asks for it."""
    template = request.getfixturevalue("world_template") if _wants_world_template(request) else None
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        source = template.path if template else request.getfixturevalue("sqlite_template")
        shutil.copyfile(source, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    empty_postgres(url)
    if template:
        restore_rows(url, template.rows)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty SQLite database (for UI tests that need only the default)."""
    path = tmp_path / "app.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database.from_settings(settings)
    yield database
    database.dispose()


@pytest.fixture
def world(request: pytest.FixtureRequest, db: Database, settings: Settings) -> World:
    """An organisation with two teams and one user per role (already in the database
    ``db_url`` made, from ``world_template``)."""
    if _wants_world_template(request):
        template: WorldTemplate = request.getfixturevalue("world_template")
        return copy.deepcopy(template.world)
    return build_world(db, settings)


class _NavigationPagesManager(PagesManager):
    """AppTest resets Streamlit's process-wide "pages/ folder means MPA v1" flag before
    every run (AppTest cannot be started through ``serve.py``). This applies the same
    decision ``serve.py`` makes once per server process, so the router (menus, roles) is
    what the tests exercise."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        use_navigation_routing()


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Point the app's ``get_settings()`` at a test database (set SOS_DATABASE_URL after)."""
    monkeypatch.setattr(app_test_module, "PagesManager", _NavigationPagesManager)
    monkeypatch.setenv("SOS_DATA_DIR", str(tmp_path))
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


# --- the demo authority, built once per session and copied for each AppTest -------------


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> DemoDatabase:
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.db"
    shutil.copyfile(sqlite_template, path)
    settings = make_settings(f"sqlite:///{path}", folder)
    database = Database.from_settings(settings)
    summary = seed_demo(database, settings)
    database.dispose()
    return DemoDatabase(str(path), summary)


@pytest.fixture
def demo_app(
    demo_template: DemoDatabase, tmp_path: Path, app_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DemoApp]:
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template.url, path)
    monkeypatch.setenv("SOS_DATABASE_URL", f"sqlite:///{path}")
    copy = DemoDatabase(f"sqlite:///{path}", demo_template.summary)
    yield (lambda: AppTest.from_file(APP, default_timeout=30)), copy


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's chromium, never a downloaded browser."""
    require_chromium()
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }
