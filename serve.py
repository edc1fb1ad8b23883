"""Start the Streamlit server for ``asgi.py`` (``app.py`` inside an ``st.App`` with the
sign-in routes and the response headers) with its routing decided before any request.

Streamlit treats an app that has a ``pages/`` folder beside its main script as a legacy
(v1) multipage app until ``st.navigation`` first runs in the process: the very first
request would list the page files in a sidebar and could run a page without ``app.py``.
Streamlit has no public switch for this, so the process sets the internal flag once, here,
before the server starts (``tests/static`` fails if that internal changes). Every page
still refuses on its own if it is ever run without the router.

Usage (as ``sos-workforce run`` does): ``python serve.py run asgi.py [streamlit options]``.
"""

from __future__ import annotations

import os
import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli as streamlit_cli

from sos_workforce.core.config import get_settings

# Options a process runs with unless the command line says otherwise: loopback only (a
# reverse proxy on the same machine serves the outside world).
DEFAULT_OPTIONS = {"server.address": "127.0.0.1"}
# Options every process runs with, whatever the config file or the command line says:
# Streamlit's own table toolbar ("Download as CSV") would export unescaped and unaudited,
# so every download goes through ui.audited_download (core/exports.py, access.record_export).
HARDENED_OPTIONS = {"client.disableDataExport": "true"}


def hardened_arguments(arguments: list[str]) -> list[str]:
    """``streamlit run`` arguments with ``DEFAULT_OPTIONS`` first and ``HARDENED_OPTIONS``
    last (the last value given wins); other commands as they are."""
    if arguments[:1] != ["run"]:
        return arguments
    return [
        "run",
        *(f"--{name}={value}" for name, value in DEFAULT_OPTIONS.items()),
        *arguments[1:],
        *(f"--{name}={value}" for name, value in HARDENED_OPTIONS.items()),
    ]


def use_navigation_routing() -> None:
    """Route every request of this process through ``st.navigation`` in ``app.py``."""
    if "uses_pages_directory" not in vars(PagesManager):
        raise RuntimeError(
            "streamlit no longer has PagesManager.uses_pages_directory: check how it decides "
            "between pages/ and st.navigation before upgrading"
        )
    PagesManager.uses_pages_directory = False


def trust_only_configured_proxies() -> None:
    """Uvicorn rewrites a connection's address from ``X-Forwarded-For`` when it comes
    from ``FORWARDED_ALLOW_IPS`` (by default loopback); only the proxies an administrator
    names in ``SOS_TRUSTED_PROXIES`` may do that here (none by default)."""
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(
        str(network) for network in get_settings().trusted_proxy_networks
    )


if __name__ == "__main__":
    os.umask(0o077)  # whatever this process writes (Streamlit's files too) is owner-only
    use_navigation_routing()
    trust_only_configured_proxies()
    sys.exit(streamlit_cli.main(args=hardened_arguments(sys.argv[1:]), prog_name="streamlit"))
