"""One settings object for the whole application (environment prefix ``SOS_``)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
PLACEHOLDER_SECRET = "change-me-development-only"  # noqa: S105 - a placeholder, refused in production


class Settings(BaseSettings):
    """Application settings, read from ``SOS_*`` environment variables and ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SOS_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL. Empty means a SQLite file in the data folder.",
    )
    min_group_size: int = Field(default=5, ge=3, description="Smallest group ever reported.")
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    demo: bool = False
    base_url: str = "http://localhost:8501"
    listen_address: str = Field(
        default="127.0.0.1",
        description="The address `sos-workforce run` listens on: loopback, for a reverse "
        "proxy on the same machine; 0.0.0.0 for every interface.",
    )
    sqlite_busy_timeout_ms: int = 10_000
    session_timeout_minutes: int = Field(
        default=60, ge=1, description="A session ends after this long without interaction."
    )
    session_max_hours: int = Field(
        default=12, ge=1, description="A session ends this long after signing in, whatever."
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated) of reverse proxies whose "
        "X-Forwarded-For names the client; empty: the connection's own address is used.",
    )
    surveys_dir: Path = PROJECT_ROOT / "surveys"
    rerun_timing_log: Path | None = Field(
        default=None,
        description="Benchmarks only: append each rerun's page and server time to this file.",
    )
    # Single sign-on (OpenID Connect, e.g. Microsoft Entra ID) through st.login; off
    # unless the metadata URL, client id and client secret are all set.
    oidc_server_metadata_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_label: str = "your organisation's account"
    oidc_redirect_uri: str = ""  # empty: SOS_BASE_URL + /oauth2callback
    # Email: invitations and reminders are sent by the app from a queue in the database
    # (sos_workforce.mail); off unless SOS_SMTP_HOST and SOS_SMTP_FROM are set.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""
    smtp_starttls: bool = True
    smtp_ca_file: Path | None = Field(
        default=None, description="A private CA's certificate (PEM) to trust for STARTTLS."
    )
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_rate_per_minute: int = Field(default=60, ge=1, le=10_000)
    mail_max_attempts: int = Field(default=5, ge=1, le=50)
    # Uploads (rosters, audiences, diaries as CSV or XLSX): checked before anything is held
    # in memory (core/tabular.py). An authority's roster is well under 1 MB and 20,000 rows.
    upload_max_bytes: int = Field(default=50_000_000, ge=1, description="An upload's size.")
    upload_max_rows: int = Field(default=250_000, ge=1, description="Rows after the header.")
    upload_max_columns: int = Field(default=100, ge=1)
    upload_max_cells: int = Field(
        default=3_000_000, ge=1, description="Cells read, counting the empty ones in a row."
    )
    upload_max_unzipped_bytes: int = Field(
        default=100_000_000,
        ge=1,
        description="An XLSX file's parts once unpacked: each part, and all of them together.",
    )

    # The organisation's open link (kiosk, paper-to-screen): limits so one browser cannot
    # stuff a team (surveys/open_link.py). No IP address is stored for any of them.
    open_link_headcount_multiple: float = Field(
        default=1.5,
        ge=1.0,
        le=10.0,
        description="Starts per team through the open link: this times its expected "
        "headcount, rounded up.",
    )
    open_link_cap_without_headcount: int = Field(
        default=30, ge=1, description="Starts through the open link for a team with no headcount."
    )
    open_link_starts_per_minute: int = Field(
        default=6, ge=1, le=1000, description="Starts per minute per wave per team."
    )
    open_link_start_expiry_hours: int = Field(
        default=24, ge=1, description="An unfinished start through the open link expires."
    )
    open_link_unfinished_per_browser: int = Field(
        default=3, ge=1, description="Unfinished starts one browser session may hold."
    )

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_driver(cls, value: str) -> str:
        """Map plain ``postgresql://`` URLs to the psycopg 3 driver."""
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"SOS_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                ) from None
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if (
            self.environment == "production"
            and self.secret_key.get_secret_value() == PLACEHOLDER_SECRET
        ):
            raise ValueError("SOS_SECRET_KEY must be set to a real secret in production")
        return self

    @model_validator(mode="after")
    def _check_single_sign_on(self) -> Settings:
        given = {
            "SOS_OIDC_SERVER_METADATA_URL": self.oidc_server_metadata_url,
            "SOS_OIDC_CLIENT_ID": self.oidc_client_id,
            "SOS_OIDC_CLIENT_SECRET": self.oidc_client_secret.get_secret_value(),
        }
        if not any(given.values()):
            return self
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise ValueError(f"single sign-on needs {', '.join(missing)} as well")
        if self.secret_key.get_secret_value() == PLACEHOLDER_SECRET:
            # The sign-in cookie is signed with a key derived from it: a known key would
            # let anyone forge an identity.
            raise ValueError("SOS_SECRET_KEY must be set to a real secret for single sign-on")
        for name, url in (
            ("SOS_OIDC_SERVER_METADATA_URL", self.oidc_server_metadata_url),
            ("SOS_OIDC_REDIRECT_URI", self.sso_redirect_uri),
        ):
            if not _is_secure_url(url):
                raise ValueError(f"{name} must be an https:// address (http only on loopback)")
        if not self.sso_redirect_uri.endswith("/oauth2callback"):
            raise ValueError("SOS_OIDC_REDIRECT_URI must end with /oauth2callback")
        return self

    @model_validator(mode="after")
    def _check_mail(self) -> Settings:
        if self.smtp_host and not self.smtp_from:
            raise ValueError("SOS_SMTP_FROM must be set as well as SOS_SMTP_HOST")
        if self.smtp_password.get_secret_value() and not self.smtp_username:
            raise ValueError("SOS_SMTP_PASSWORD needs SOS_SMTP_USERNAME as well")
        if (
            self.smtp_username
            and not self.smtp_starttls
            and self.smtp_host not in {"localhost", "127.0.0.1", "::1"}
        ):
            # The password would cross the network in the clear.
            raise ValueError("SOS_SMTP_USERNAME needs SOS_SMTP_STARTTLS (off only on loopback)")
        if self.smtp_ca_file is not None and not self.smtp_ca_file.is_file():
            raise ValueError(f"SOS_SMTP_CA_FILE {self.smtp_ca_file} is not a file")
        return self

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_server_metadata_url)

    @property
    def sso_redirect_uri(self) -> str:
        return self.oidc_redirect_uri or self.base_url.rstrip("/") + "/oauth2callback"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sos_workforce.db'}"


def _is_secure_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1", "::1"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
