"""Single sign-on: matching a provider's identity to our accounts, the settings guards and
the secrets file Streamlit reads. End to end in the browser: ``test_sso_browser.py``."""

from __future__ import annotations

import datetime as dt
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update

from sos_workforce.access import auth, sso
from sos_workforce.core import config
from sos_workforce.core.config import PLACEHOLDER_SECRET, Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SignInFailed, SsoSignInExpired
from sos_workforce.core.models import AuditEvent, UserAccount
from tests.support.factories import build_world

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

SECRET = "a-real-secret-for-tests-only-0123456789"
METADATA = "https://login.example/tenant/v2.0/.well-known/openid-configuration"


def _sso(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "secret_key": SECRET,
        "oidc_server_metadata_url": METADATA,
        "oidc_client_id": "client-1",
        "oidc_client_secret": "client-secret-1",
        "base_url": "https://sos.council.example",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _audit(db: Database) -> list[tuple[str, int | None, str | None, str | None]]:
    with db.read() as session:
        rows = session.execute(
            select(
                AuditEvent.action, AuditEvent.actor_user_id, AuditEvent.target, AuditEvent.detail
            ).order_by(AuditEvent.id)
        ).all()
    return [(action, actor, target, detail) for action, actor, target, detail in rows]


def test_a_known_email_gets_its_role_and_organisations(db: Database, settings: Settings) -> None:
    world = build_world(db, settings)
    actor = auth.actor_for_sso_email(db, "  LEAD@Testshire.example ", email_verified=True)
    assert actor.role is Role.LEAD and actor.user_id == world.lead.user_id
    assert actor.organisation_ids == frozenset({world.organisation_id})
    assert _audit(db)[-1] == (
        "signed_in",
        world.lead.user_id,
        f"user:{world.lead.user_id}",
        "single sign-on",
    )
    # Entra ID sends no email_verified claim; some providers send it as a string.
    assert auth.actor_for_sso_email(db, "executive@testshire.example").role is Role.EXECUTIVE
    assert auth.actor_for_sso_email(db, "admin@testshire.example", email_verified="true").is_admin


@pytest.mark.parametrize(
    ("email", "verified", "message", "detail"),
    [
        ("nobody@testshire.example", True, "not set up", "unknown email; testshire.example"),
        ("lead@testshire.example", False, "not verified", "email not verified; testshire.example"),
        (
            "lead@testshire.example",
            "false",
            "not verified",
            "email not verified; testshire.example",
        ),
        (None, None, "did not send an email", "no usable email"),
        ("not-an-email", True, "did not send an email", "no usable email"),
        (["lead@testshire.example"], True, "did not send an email", "no usable email"),
    ],
)
def test_refusals_are_plain_and_audited_without_the_address(
    db: Database, settings: Settings, email: object, verified: object, message: str, detail: str
) -> None:
    build_world(db, settings)
    before = len(_audit(db))
    with pytest.raises(SignInFailed, match=message):
        auth.actor_for_sso_email(db, email, email_verified=verified)
    events = _audit(db)
    assert len(events) == before + 1
    assert events[-1] == ("sso_refused", None, None, detail)
    assert not any("nobody" in str(event) or "lead@" in str(event) for event in events[before:])


def test_an_inactive_account_is_refused_like_an_unknown_one(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    with db.write() as session:
        session.execute(
            update(UserAccount).where(UserAccount.id == world.lead.user_id).values(is_active=False)
        )
    with pytest.raises(SignInFailed) as refused:
        auth.actor_for_sso_email(db, "lead@testshire.example", email_verified=True)
    assert str(refused.value) == auth.SSO_NO_ACCESS
    assert _audit(db)[-1] == (
        "sso_refused",
        None,
        f"user:{world.lead.user_id}",
        "inactive account; testshire.example",
    )


def test_an_expired_identity_must_sign_in_again(db: Database, settings: Settings) -> None:
    build_world(db, settings)
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with pytest.raises(SsoSignInExpired, match="sign in again"):
        auth.actor_for_sso_email(
            db, "lead@testshire.example", expires_at=now.timestamp() - 1, now=now
        )
    actor = auth.actor_for_sso_email(
        db, "lead@testshire.example", expires_at=now.timestamp() + 60, now=now
    )
    assert actor.role is Role.LEAD


def test_sso_settings_are_all_or_nothing_and_need_a_real_secret() -> None:
    assert not Settings().sso_enabled
    settings = _sso()
    assert settings.sso_enabled
    assert settings.sso_redirect_uri == "https://sos.council.example/oauth2callback"
    with pytest.raises(ValueError, match="SOS_OIDC_CLIENT_SECRET"):
        _sso(oidc_client_secret="")
    with pytest.raises(ValueError, match="SOS_OIDC_SERVER_METADATA_URL"):
        _sso(oidc_server_metadata_url="")
    with pytest.raises(ValueError, match="SOS_SECRET_KEY"):
        _sso(secret_key=PLACEHOLDER_SECRET)
    with pytest.raises(ValueError, match="https"):
        _sso(oidc_server_metadata_url="http://login.example/.well-known/openid-configuration")
    with pytest.raises(ValueError, match="https"):
        _sso(base_url="http://sos.council.example")
    with pytest.raises(ValueError, match="oauth2callback"):
        _sso(oidc_redirect_uri="https://sos.council.example/callback")
    # Plain http only on the loopback interface (local trials and the offline tests).
    assert _sso(
        oidc_server_metadata_url="http://127.0.0.1:9/.well-known/openid-configuration",
        base_url="http://localhost:8501",
    ).sso_enabled


def test_the_secrets_file_holds_the_auth_section_privately(tmp_path: Path) -> None:
    settings = _sso(data_dir=tmp_path, oidc_client_secret='se"cr\\et\nŵ')
    assert sso.streamlit_arguments(Settings(data_dir=tmp_path)) == []
    arguments = sso.streamlit_arguments(settings)
    path = Path(arguments[1])
    assert arguments[0] == "--secrets.files" and path.is_relative_to(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    parsed = tomllib.loads(path.read_text(encoding="utf-8"))["auth"]
    assert parsed["redirect_uri"] == "https://sos.council.example/oauth2callback"
    assert parsed["cookie_secret"] == sso.cookie_secret(settings)
    assert len(parsed["cookie_secret"]) == 64 and SECRET not in parsed["cookie_secret"]
    assert parsed[sso.PROVIDER] == {
        "client_id": "client-1",
        "client_secret": 'se"cr\\et\nŵ',
        "server_metadata_url": METADATA,
    }
    # A different SOS_SECRET_KEY signs cookies with a different key (rotation signs out).
    assert sso.cookie_secret(_sso(secret_key=SECRET + "x")) != sso.cookie_secret(settings)


def test_the_run_command_starts_streamlit_with_the_secrets_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from sos_workforce import cli
    from sos_workforce.core import config

    for name, value in {
        "SOS_DATA_DIR": str(tmp_path),
        "SOS_SECRET_KEY": SECRET,
        "SOS_OIDC_SERVER_METADATA_URL": METADATA,
        "SOS_OIDC_CLIENT_ID": "client-1",
        "SOS_OIDC_CLIENT_SECRET": "client-secret-1",
        "SOS_BASE_URL": "https://sos.council.example",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SOS_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    commands: list[list[str]] = []
    monkeypatch.setattr(
        "sos_workforce.cli.subprocess.run", lambda command, **_: commands.append(command)
    )
    try:
        result = CliRunner().invoke(cli.app, ["run", "--port", "8600"])
    finally:
        config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    (command,) = commands
    files = command[command.index("--secrets.files") + 1]
    assert Path(files) == tmp_path / sso.SECRETS_FILE and Path(files).exists()


@pytest.fixture
def sso_app(
    app_env: None, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], AppTest]:
    from streamlit.testing.v1 import AppTest

    database = Database.from_settings(Settings(database_url=sqlite_url, data_dir=tmp_path))
    build_world(database, Settings(database_url=sqlite_url, data_dir=tmp_path))
    database.dispose()
    for name, value in {
        "SOS_DATABASE_URL": sqlite_url,
        "SOS_SECRET_KEY": SECRET,
        "SOS_OIDC_SERVER_METADATA_URL": METADATA,
        "SOS_OIDC_CLIENT_ID": "client-1",
        "SOS_OIDC_CLIENT_SECRET": "client-secret-1",
        "SOS_OIDC_LABEL": "Testshire account",
    }.items():
        monkeypatch.setenv(name, value)
    # build_world signed in (sign-in reads the settings' secret): read them again.
    config.get_settings.cache_clear()
    root = Path(__file__).resolve().parents[2]
    return lambda: AppTest.from_file(str(root / "app.py"), default_timeout=30)


@pytest.mark.parametrize("role", list(Role))
def test_the_router_signs_in_a_provider_identity_with_its_role_menu(
    sso_app: Callable[[], AppTest], role: Role
) -> None:
    from navigation import pages_for
    from tests.support.apptest import registered

    at = sso_app()
    at.run()
    assert at.button(key="sso_sign_in").label == "Sign in with Testshire account"
    at.user = {
        "is_logged_in": True,
        "email": f"{role.value}@testshire.example",
        "email_verified": True,
    }
    at.run()
    assert not at.exception
    assert registered(at) == {page.path for page in pages_for(role)}


def test_the_router_shows_a_refusal_once_and_offers_to_sign_out(
    sso_app: Callable[[], AppTest], sqlite_url: str, tmp_path: Path
) -> None:
    def refusals() -> int:
        database = Database.from_settings(Settings(database_url=sqlite_url, data_dir=tmp_path))
        count = sum(1 for event in _audit(database) if event[0] == "sso_refused")
        database.dispose()
        return count

    at = sso_app()
    at.user = {"is_logged_in": True, "email": "x@elsewhere.example"}
    at.run()
    assert [e.value for e in at.error] == [auth.SSO_NO_ACCESS]
    assert at.button(key="sso_sign_out").label == "Sign out of Testshire account"
    assert refusals() == 1
    at.run()  # a rerun shows the same message without a second audit event
    assert [e.value for e in at.error] == [auth.SSO_NO_ACCESS]
    assert refusals() == 1


def test_user_add_sso_only_sets_no_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from sos_workforce import cli
    from sos_workforce.core import config

    monkeypatch.setenv("SOS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOS_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOS_NEW_USER_PASSWORD", raising=False)
    config.get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(
            cli.app,
            ["user", "add", "--email", "Sso@X.example", "--name", "S", "--role", "executive"]
            + ["--sso-only"],
        )
        assert result.exit_code == 0, result.output
        prompted = runner.invoke(
            cli.app,
            ["user", "add", "--email", "p@x.example", "--name", "P", "--role", "executive"],
            input="long enough pass\nlong enough pass\n",
        )
        assert prompted.exit_code == 0, prompted.output
        database = Database.from_settings(config.get_settings())
        with database.read() as session:
            hashes = dict(
                session.execute(select(UserAccount.email, UserAccount.password_hash)).all()
            )
        database.dispose()
    finally:
        config.get_settings.cache_clear()
    assert hashes["sso@x.example"] is None
    assert str(hashes["p@x.example"]).startswith("$argon2id$")
    with pytest.raises(SignInFailed):  # no password can sign in to an SSO-only account
        auth.sign_in(Database.from_settings(Settings(data_dir=tmp_path)), "sso@x.example", "")
