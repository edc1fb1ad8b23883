"""How long each page takes in the browser (issue 19): for every role and every page of its
menu, the time from the click on the menu link until the page is ready (the run finished,
``[data-testid=stApp][data-test-script-state=notRunning]``, and the page's own heading
visible), and from the click on "Sign in" until the first page is ready. Targets: p95 of
the pages within 1.5 s, sign-in within 2 s. Demo data, Debian's chromium, 1366x900.

    .venv/bin/python bench/browser_pages.py [--rounds 3] [--app-root /path/to/another/tree]

``--app-root`` serves the app of another checkout (e.g. main, for "before") with this
tree's demo data and browser code. Exit code 0 when both targets are met.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from navigation import pages_for  # noqa: E402
from sos_workforce.core.config import Settings  # noqa: E402
from sos_workforce.core.db import Database, upgrade  # noqa: E402
from sos_workforce.core.enums import Role  # noqa: E402
from sos_workforce.devdata import DEMO_CREDENTIALS, seed_demo  # noqa: E402
from tests.support import browser as browser_support  # noqa: E402
from tests.support.browser import CHROMIUM, running_app  # noqa: E402
from tests.support.tour import READY, heading_of, menu_link, wait_ready  # noqa: E402

PAGE_TARGET, SIGN_IN_TARGET = 1.5, 2.0


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def _sign_in(page: Page, base_url: str, role: Role) -> float:
    """From the sign-in form (asgi.py: the app sends a browser without a session there)
    to the first page ready."""
    page.goto(base_url)
    email, password = DEMO_CREDENTIALS[role]
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    started = time.perf_counter()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_ready(page, heading_of(pages_for(role)[0]))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="visits of each page per role")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the tree to serve")
    arguments = parser.parse_args()
    browser_support.ROOT = arguments.app_root.resolve()  # running_app serves this tree

    folder = Path(tempfile.mkdtemp(prefix="sos-bench-pages-"))
    url = f"sqlite:///{folder / 'app.db'}"
    upgrade(url)
    settings = Settings(database_url=url, data_dir=folder)
    database = Database.from_settings(settings)
    summary = seed_demo(database, settings)
    database.dispose()
    diary_token = summary.diary_links[0].rsplit("d=", 1)[1]

    pages: dict[str, list[float]] = {}
    sign_ins: list[float] = []
    reruns = folder / "reruns.tsv"  # each script run's own time, as the app measures it
    env = {
        "SOS_DATABASE_URL": url,
        "SOS_DATA_DIR": str(folder),
        "SOS_RERUN_TIMING_LOG": str(reruns),
    }
    with running_app(env) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        warm = browser.new_page()
        # The server's first run imports everything: not counted. A diary link is a
        # Streamlit run without an account.
        warm.goto(f"{base_url}/diary?d={diary_token}")
        expect(warm.locator(READY)).to_be_attached(timeout=180_000)
        _sign_in(warm, base_url, Role.LEAD)
        warm.close()
        for round_ in range(arguments.rounds):
            for role in (Role.ADMIN, Role.LEAD, Role.EXECUTIVE):
                context = browser.new_context(viewport={"width": 1366, "height": 900})
                page = context.new_page()
                sign_ins.append(_sign_in(page, base_url, role))
                specs = pages_for(role)
                # Start from the second page so that the first is a real change of page.
                for spec in [*specs[1:], specs[0]]:
                    started = time.perf_counter()
                    menu_link(page, spec).click()
                    wait_ready(page, heading_of(spec))
                    pages.setdefault(f"{role.value:9} {spec.url_path}", []).append(
                        time.perf_counter() - started
                    )
                context.close()
            print(f"round {round_ + 1} of {arguments.rounds} done", flush=True)
        browser.close()

    runs: dict[str, list[float]] = {}
    for line in reruns.read_text().splitlines():
        _, title, milliseconds = line.split("\t")
        runs.setdefault(title, []).append(float(milliseconds) / 1000)
    print(f"{'script run on the server (all runs)':40} {'median s':>9} {'worst s':>8}")
    for title, values in sorted(runs.items(), key=lambda item: -statistics.median(item[1])):
        print(f"{title:40} {statistics.median(values):9.2f} {max(values):8.2f}")

    every = [value for values in pages.values() for value in values]
    print(f"{'page':32} {'median s':>9} {'worst s':>8}")
    for name, values in sorted(pages.items(), key=lambda item: -statistics.median(item[1])):
        print(f"{name:32} {statistics.median(values):9.2f} {max(values):8.2f}")
    page_p95, sign_in_p95 = _p95(every), _p95(sign_ins)
    print(
        f"pages: {len(every)} visits, median {statistics.median(every):.2f} s, "
        f"p95 {page_p95:.2f} s (target {PAGE_TARGET} s)"
    )
    print(
        f"sign-in to first page: {len(sign_ins)} sign-ins, median "
        f"{statistics.median(sign_ins):.2f} s, p95 {sign_in_p95:.2f} s, worst "
        f"{max(sign_ins):.2f} s (target {SIGN_IN_TARGET} s)"
    )
    met = page_p95 <= PAGE_TARGET and sign_in_p95 <= SIGN_IN_TARGET
    print("met" if met else "NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
