from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sos_workforce.access.auth import sign_in
from sos_workforce.cli import app
from sos_workforce.core import config
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SignInFailed
from sos_workforce.devdata.demo import DEMO_CREDENTIALS

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("SOS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOS_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def test_db_upgrade_creates_the_default_sqlite_file(cli_env: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Database is at revision" in result.output
    assert (cli_env / "sos_workforce.db").exists()


def test_demo_seeds_once_and_prints_credentials(cli_env: Path) -> None:
    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "Demo data created." in first.output
    for email, password in DEMO_CREDENTIALS.values():
        assert f"{email}  /  {password}" in first.output
    second = runner.invoke(app, ["demo", "--no-serve"])
    assert "Demo data already present." in second.output
    assert (cli_env / "demo-open-wave-links.csv").read_text().startswith("team,link")


def test_user_add_creates_an_account_that_can_sign_in(cli_env: Path) -> None:
    made = runner.invoke(
        app, ["org", "add", "--name", "Brent", "--code", "brent", "--team", "Localities"]
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(
        app,
        [
            "user",
            "add",
            "--email",
            "Lead@Brent.example",
            "--name",
            "Lead",
            "--role",
            "lead",
            "--org",
            "brent",
        ],
        input="a long unusual phrase\na long unusual phrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created lead account lead@brent.example." in result.output
    database = Database.from_settings(config.get_settings())
    actor = sign_in(database, "lead@brent.example", "a long unusual phrase")
    assert actor.role is Role.LEAD and len(actor.organisation_ids) == 1
    database.dispose()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--role", "boss"], "role must be admin"),
        (["--org", "nowhere"], "unknown organisation"),
        (["--password", "short"], "at least 8"),
    ],
)
def test_user_add_refuses_bad_input(cli_env: Path, arguments: list[str], message: str) -> None:
    base = {
        "--email": "x@y.example",
        "--name": "X",
        "--role": "lead",
        "--password": "long enough pass",
    }
    for flag, value in zip(arguments[::2], arguments[1::2], strict=True):
        base[flag] = value
    flat = [part for pair in base.items() for part in pair]
    result = runner.invoke(app, ["user", "add", *flat])
    assert result.exit_code != 0
    assert message in result.output


def test_accounts_are_administered_from_the_command_line(cli_env: Path) -> None:
    assert runner.invoke(app, ["org", "add", "--name", "Brent", "--code", "brent"]).exit_code == 0
    assert runner.invoke(app, ["org", "add", "--name", "Ealing", "--code", "ealing"]).exit_code == 0
    for email, role in (("boss@brent.example", "admin"), ("lead@brent.example", "lead")):
        added = runner.invoke(
            app,
            ["user", "add", "--email", email, "--name", "X", "--role", role, "--org", "brent"],
            env={"SOS_NEW_USER_PASSWORD": "a long unusual phrase"},
        )
        assert added.exit_code == 0, added.output
    database = Database.from_settings(config.get_settings())

    done = runner.invoke(app, ["user", "deactivate", "lead@brent.example"])
    assert (done.exit_code, done.output.strip()) == (0, "Deactivated lead@brent.example.")
    with pytest.raises(SignInFailed):
        sign_in(database, "lead@brent.example", "a long unusual phrase")
    assert runner.invoke(app, ["user", "activate", "lead@brent.example"]).exit_code == 0
    assert runner.invoke(app, ["user", "role", "lead@brent.example", "executive"]).exit_code == 0
    assert (
        runner.invoke(app, ["user", "orgs", "lead@brent.example", "--org", "ealing"]).exit_code == 0
    )
    reset = runner.invoke(
        app, ["user", "reset-password", "lead@brent.example"], input="fresh kettle morning\n" * 2
    )
    assert reset.exit_code == 0, reset.output
    actor = sign_in(database, "lead@brent.example", "fresh kettle morning")
    assert actor.role is Role.EXECUTIVE and len(actor.organisation_ids) == 1
    # The last administrator stays one; an unknown account is named.
    refused = runner.invoke(app, ["user", "role", "boss@brent.example", "lead"])
    assert refused.exit_code == 1 and "last active administrator" in refused.output
    unknown = runner.invoke(app, ["user", "deactivate", "nobody@brent.example"])
    assert unknown.exit_code == 1 and "No account for nobody@brent.example" in unknown.output
    database.dispose()
