"""Starting the real app on loopback for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
# The first run of a fresh server migrates the database; allow for it on a busy CI box.
expect.set_options(timeout=30_000)
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_app(
    env: dict[str, str], port: int | None = None, args: Sequence[str] = ()
) -> Iterator[str]:
    """Run ``serve.py run asgi.py`` (as ``sos-workforce run`` does) with ``env`` (and extra
    ``args``) until the block ends; yield its base URL."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    # The server's output goes to a file: a pipe nobody reads fills up (64 kB) and then
    # blocks every thread that logs, which froze the app under the load benchmark.
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        prefix="sos-app-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "serve.py"),  # st.navigation routing from the first request
            "run",
            str(ROOT / "asgi.py"),  # app.py with the sign-in routes and headers
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            *args,
        ],
        cwd=ROOT,
        env={**os.environ, "SOS_BASE_URL": base_url, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as reply:  # noqa: S310
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = Path(log.name).read_text(errors="replace")
                raise RuntimeError(f"the app did not start:\n{output}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        server_log_path = Path(log.name)
        if os.environ.get("SOS_KEEP_APP_LOG"):
            print(f"app log kept at {server_log_path}")
        else:
            server_log_path.unlink(missing_ok=True)


def settled(page: Page) -> None:
    """Wait until the app has finished its current run (no sleeping)."""
    expect(page.locator("[data-testid=stApp][data-test-script-state=notRunning]")).to_be_attached(
        timeout=30_000
    )
    # A rerun may start just after the previous one ends; wait for the spinner to go too.
    expect(page.locator("[data-testid=stStatusWidget]")).to_have_count(0, timeout=30_000)


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Sign in through the HTML form at /auth/sign-in (the app sends a browser without a
    session there) and wait for the signed-in app. A session this browser context already
    holds is dropped first, so the page signs in as ``email`` whoever was signed in."""
    page.context.clear_cookies(name="sos_session")
    page.goto(base_url)
    expect(page.get_by_label("Email")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    settled(page)
