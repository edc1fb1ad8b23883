"""`sos-workforce org add` records the organisation's DfE LA codes and refuses bad ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sos_workforce.cli import app
from sos_workforce.core import config
from sos_workforce.core.db import Database
from sos_workforce.core.models import Organisation

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("SOS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOS_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def _codes() -> list[tuple[str, str | None, str | None]]:
    database = Database.from_settings(config.get_settings())
    with database.read() as session:
        rows = session.query(
            Organisation.code, Organisation.old_la_code, Organisation.new_la_code
        ).order_by(Organisation.code)
        found = [(code, old, new) for code, old, new in rows]
    database.dispose()
    return found


def test_org_add_records_the_dfe_la_codes(cli_env: Path) -> None:
    result = runner.invoke(
        app,
        [
            "org", "add", "--name", "Brent Council", "--code", "brent",
            "--old-la-code", "304", "--new-la-code", "e09000005",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _codes() == [("brent", "304", "E09000005")]


def test_org_add_refuses_a_bad_or_taken_la_code_and_adds_nothing(cli_env: Path) -> None:
    runner.invoke(app, ["org", "add", "--name", "Brent", "--code", "brent", "--old-la-code", "304"])
    bad = runner.invoke(
        app, ["org", "add", "--name", "Ealing", "--code", "ealing", "--old-la-code", "3O7"]
    )
    assert bad.exit_code == 1
    assert "The old LA code '3O7' should be DfE's 3-digit code" in bad.output
    taken = runner.invoke(
        app, ["org", "add", "--name", "Ealing", "--code", "ealing", "--old-la-code", "304"]
    )
    assert taken.exit_code == 1 and "The LA code 304 already belongs to Brent." in taken.output
    assert _codes() == [("brent", "304", None)]
