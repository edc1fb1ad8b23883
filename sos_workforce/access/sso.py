"""Single sign-on settings for Streamlit's ``st.login`` (OpenID Connect).

Streamlit reads its identity-provider settings from the ``[auth]`` section of a
``secrets.toml`` file. The operator configures ``SOS_OIDC_*`` settings instead; when the
app starts (``sos-workforce run``), ``write_streamlit_secrets`` writes them to a private
file under the data folder (never the repository) and Streamlit is pointed at it with its
``secrets.files`` option. Roles and organisations stay in our database: the identity
provider only vouches for the email address (see ``auth.actor_for_sso_email``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from sos_workforce.core.config import Settings
from sos_workforce.core.private_files import write_private_file

PROVIDER = "sso"  # the provider's name in secrets.toml and st.login (no underscores)
SECRETS_FILE = Path("streamlit") / "secrets.toml"


def cookie_secret(settings: Settings) -> str:
    """The key Streamlit signs its identity cookie with, derived from ``SOS_SECRET_KEY``
    (so one secret is configured, and rotating it signs everyone out)."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"sos-workforce/streamlit-auth-cookie", hashlib.sha256).hexdigest()


def _toml_string(value: str) -> str:
    # A JSON string with ASCII escapes is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=True)


def secrets_toml(settings: Settings) -> str:
    """The ``[auth]`` section Streamlit expects, for the configured provider."""
    if not settings.sso_enabled:
        raise ValueError("single sign-on is not configured (SOS_OIDC_SERVER_METADATA_URL)")
    lines = [
        "# Written by sos-workforce from the SOS_OIDC_* settings; do not edit or commit.",
        "[auth]",
        f"redirect_uri = {_toml_string(settings.sso_redirect_uri)}",
        f"cookie_secret = {_toml_string(cookie_secret(settings))}",
        "",
        f"[auth.{PROVIDER}]",
        f"client_id = {_toml_string(settings.oidc_client_id)}",
        f"client_secret = {_toml_string(settings.oidc_client_secret.get_secret_value())}",
        f"server_metadata_url = {_toml_string(settings.oidc_server_metadata_url)}",
        "",
    ]
    return "\n".join(lines)


def write_streamlit_secrets(settings: Settings) -> Path | None:
    """Write the secrets file (owner-only) and return its path; ``None`` without SSO."""
    if not settings.sso_enabled:
        return None
    # Owner-only; an older file's wider permissions are narrowed.
    return write_private_file(settings.data_dir / SECRETS_FILE, secrets_toml(settings).encode())


def streamlit_arguments(settings: Settings) -> list[str]:
    """Extra ``streamlit run`` arguments: the secrets file when SSO is configured."""
    path = write_streamlit_secrets(settings)
    return [] if path is None else ["--secrets.files", str(path)]
