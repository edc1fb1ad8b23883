"""Load test of the real app: concurrent headless-chromium sessions on loopback.

    .venv/bin/python bench/load.py [--sessions 20] [--cycles 1000] [--minutes 3]

1. Seeds the demo authority into a fresh SQLite file and launches a wave with enough
   single-use links, then starts the app (``serve.py run asgi.py``) with
   ``SOS_RERUN_TIMING_LOG`` set (the app appends each rerun's page and server time; never
   query strings or answers).
2. ``--sessions`` browser sessions at once for ``--minutes``: half are executives browsing
   the dashboard (team picker, workforce and progress pages), half are staff answering the
   survey through their links. Prints p50/p95 server time per rerun (from the app's log)
   and per click as the browser sees it, and the number of responses stored.
3. Memory of the app process (RSS of the ``streamlit`` process, from /proc): before any
   session, with every session open, and after ``--cycles`` connect/disconnect cycles.

Uses Debian's chromium (/usr/bin/chromium) through Playwright's async API: one browser,
one context per session.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright

from sos_workforce.access import list_teams, sign_in

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sos_workforce import surveys  # noqa: E402
from sos_workforce.core.config import Settings  # noqa: E402
from sos_workforce.core.db import Database, upgrade  # noqa: E402
from sos_workforce.core.enums import Role  # noqa: E402
from sos_workforce.devdata import DEMO_CREDENTIALS, seed_demo  # noqa: E402
from tests.support.browser import CHROMIUM, running_app  # noqa: E402
from ui import read_reruns  # noqa: E402

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 120_000


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def prepare(folder: Path, links_wanted: int) -> tuple[dict[str, str], list[str]]:
    """A demo database plus an open wave with ``links_wanted`` fresh links."""
    url = f"sqlite:///{folder / 'load.db'}"
    upgrade(url)
    settings = Settings(database_url=url, data_dir=folder)
    database = Database.from_settings(settings)
    summary = seed_demo(database, settings)
    lead = sign_in(database, *DEMO_CREDENTIALS[Role.LEAD])
    teams = list_teams(database, lead, summary.organisation_id)
    versions = surveys.list_instrument_versions(database, lead)
    confidence = max(
        (v for v in versions if v.code == "sos_confidence"), key=lambda v: v.version
    ).id
    per_team = links_wanted // len(teams) + 1
    today = dt.date.today()
    launched = surveys.launch_wave(
        database,
        lead,
        organisation_id=summary.organisation_id,
        instrument_version_id=confidence,
        title="Load test wave",
        opens_on=today,
        closes_on=today + dt.timedelta(days=7),
        headcounts={team.id: per_team for team in teams},
        base_url="http://load",
    )
    admin = sign_in(database, *DEMO_CREDENTIALS[Role.ADMIN])
    surveys.enable_links_file(database, admin, launched.wave_id)
    links = surveys.issue_links_file(database, lead, launched.wave_id, base_url="http://load")
    database.dispose()
    env = {"SOS_DATABASE_URL": url, "SOS_DATA_DIR": str(folder)}
    return env, [link.url.rsplit("t=", 1)[1] for link in links]


async def settled(page: Page) -> None:
    """Wait until the app has finished its current run (as tests/browser_support.py)."""
    try:
        await _settled(page)
    except Exception:
        state = await page.locator("[data-testid=stApp]").get_attribute("data-test-script-state")
        widget = await page.locator("[data-testid=stStatusWidget]").all_inner_texts()
        shot = Path(tempfile.gettempdir()) / f"load-stuck-{id(page)}.png"
        await page.screenshot(path=str(shot))
        print(f"stuck: state={state} status={widget} url={page.url} ({shot})", flush=True)
        raise


async def _settled(page: Page) -> None:
    await page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(
        state="attached", timeout=TIMEOUT_MS
    )
    await page.locator("[data-testid=stStatusWidget]").wait_for(
        state="detached", timeout=TIMEOUT_MS
    )


async def timed_click(page: Page, clicks: list[float], action: object) -> None:
    started = time.perf_counter()
    await action  # type: ignore[misc]
    await settled(page)
    clicks.append((time.perf_counter() - started) * 1000)


async def executive(
    browser: Browser,
    base_url: str,
    deadline: float,
    clicks: list[float],
    ready: asyncio.Event,
    connected: list[int],
) -> int:
    context = await browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    await page.goto(base_url)  # no session: the sign-in form (asgi.py)
    email, password = DEMO_CREDENTIALS[Role.EXECUTIVE]
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    started = time.perf_counter()
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.get_by_role("button", name="Sign out").wait_for()
    await settled(page)
    clicks.append((time.perf_counter() - started) * 1000)
    connected.append(1)
    await ready.wait()
    rounds = 0
    views = (
        ("Confidence dashboard", "Staff confidence"),
        ("Workforce and retention", "Workforce and retention"),
        ("Implementation progress", "Implementation progress"),
    )
    while time.monotonic() < deadline:
        for link, heading in views:
            started = time.perf_counter()
            await page.get_by_role("link", name=link).click()
            await page.get_by_role("heading", name=heading).wait_for()
            await settled(page)
            clicks.append((time.perf_counter() - started) * 1000)
            if link == "Confidence dashboard":
                await page.locator(".st-key-dashboard_team").get_by_role("combobox").click()
                options = page.get_by_role("option")
                await options.first.wait_for()
                count = await options.count()
                await timed_click(page, clicks, options.nth(rounds % count).click())
        rounds += 1
    await context.close()
    return rounds


async def staff(
    browser: Browser,
    base_url: str,
    tokens: list[str],
    deadline: float,
    clicks: list[float],
    ready: asyncio.Event,
    connected: list[int],
) -> int:
    sent = 0
    while time.monotonic() < deadline and tokens:
        token = tokens.pop()
        context = await browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        started = time.perf_counter()
        await page.goto(f"{base_url}/survey?t={token}")
        await settled(page)
        clicks.append((time.perf_counter() - started) * 1000)
        if not ready.is_set():
            connected.append(1)
            await ready.wait()  # every session connected before the load starts
        await timed_click(page, clicks, page.get_by_role("button", name="Continue").click())
        for code, score in (("understanding", 7), ("integration", 6), ("advise_colleagues", 5)):
            await timed_click(
                page,
                clicks,
                page.locator(f".st-key-q_{code}").get_by_text(str(score), exact=True).click(),
            )
        await timed_click(page, clicks, page.get_by_role("button", name="Continue").click())
        await timed_click(page, clicks, page.get_by_role("button", name="Send my answers").click())
        await page.get_by_role("heading", name="Thank you").wait_for(timeout=TIMEOUT_MS)
        await context.close()
        sent += 1
    return sent


async def sessions_phase(
    browser: Browser, base_url: str, sessions: int, tokens: list[str], minutes: float, pid: int
) -> dict[str, object]:
    executives = sessions // 2
    deadline = time.monotonic() + 60 * minutes + 90  # connecting is not load time
    ready = asyncio.Event()
    clicks: dict[str, list[float]] = defaultdict(list)
    connected: list[int] = []
    failures: list[str] = []

    async def guarded(session: Coroutine[Any, Any, int]) -> int:
        """One failing session is reported, not allowed to end the run."""
        try:
            return await session
        except Exception as error:  # noqa: BLE001 - counted and printed
            failures.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
            connected.append(1)  # do not wait for it
            return 0

    tasks = [
        asyncio.create_task(
            guarded(executive(browser, base_url, deadline, clicks["executive"], ready, connected))
        )
        for _ in range(executives)
    ] + [
        asyncio.create_task(
            guarded(staff(browser, base_url, tokens, deadline, clicks["staff"], ready, connected))
        )
        for _ in range(sessions - executives)
    ]
    # Memory with every session connected (executives signed in, staff on their first page).
    while len(connected) < sessions:
        await asyncio.sleep(0.5)
    ready.set()
    await asyncio.sleep(5)
    memory_all_open = rss_mb(pid)
    results = await asyncio.gather(*tasks)
    return {
        "executive_rounds": sum(results[:executives]),
        "staff_sent": sum(results[executives:]),
        "clicks": clicks,
        "memory_all_open": memory_all_open,
        "failures": failures,
    }


async def connect_cycles(browser: Browser, base_url: str, cycles: int, pid: int) -> list[float]:
    """Open the sign-in page in a new context and close it, ``cycles`` times, 4 at a time;
    return the app's RSS every 100 cycles."""
    samples: list[float] = []
    done = 0
    lock = asyncio.Lock()

    async def worker() -> None:
        nonlocal done
        while True:
            async with lock:
                if done >= cycles:
                    return
                done += 1
                if done % 100 == 0:
                    samples.append(rss_mb(pid))
            context = await browser.new_context()
            page = await context.new_page()
            await page.goto(base_url)
            await settled(page)
            await context.close()

    await asyncio.gather(*(worker() for _ in range(4)))
    return samples


def report_times(label: str, values: list[float]) -> None:
    if not values:
        print(f"  {label:<44} no samples")
        return
    print(
        f"  {label:<44} n={len(values):>5}  p50 {percentile(values, 0.5):7.0f} ms  "
        f"p95 {percentile(values, 0.95):7.0f} ms  max {max(values):7.0f} ms"
    )


async def main_async(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sos-load-"))
    print(f"Preparing the demo authority in {folder} …", flush=True)
    env, tokens = prepare(folder, links_wanted=4000)
    timing_log = folder / "reruns.tsv"
    env["SOS_RERUN_TIMING_LOG"] = str(timing_log)
    with running_app(env) as base_url:
        pid = _server_pid(base_url)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            warm = await browser.new_context()
            warm_page = await warm.new_page()
            await warm_page.goto(base_url)
            await settled(warm_page)
            await warm.close()
            await asyncio.sleep(2)
            baseline = rss_mb(pid)
            print(f"App process RSS after one visit: {baseline:.0f} MB", flush=True)

            print(
                f"{args.sessions} concurrent sessions for {args.minutes} min "
                f"({args.sessions // 2} executives browsing, the rest staff answering) …",
                flush=True,
            )
            phase_started = time.time()
            phase = await sessions_phase(
                browser, base_url, args.sessions, tokens, args.minutes, pid
            )
            await asyncio.sleep(5)
            after_sessions = rss_mb(pid)
            reruns = [r for r in read_reruns(timing_log) if r[0] >= phase_started]
            by_page: dict[str, list[float]] = defaultdict(list)
            for _, page, milliseconds in reruns:
                by_page[page].append(milliseconds)
            print("Server time per rerun (app.py start to page end, from the app's log):")
            report_times("all pages", [r[2] for r in reruns])
            for page, values in sorted(by_page.items()):
                report_times(page, values)
            clicks = phase["clicks"]
            assert isinstance(clicks, dict)
            print("Time per click as the browser sees it (until the run has settled):")
            report_times("executive clicks", clicks["executive"])
            report_times("staff clicks", clicks["staff"])
            print(
                f"Executive rounds (3 pages and a team choice each): {phase['executive_rounds']}; "
                f"surveys sent: {phase['staff_sent']}"
            )
            failures = phase["failures"]
            assert isinstance(failures, list)
            print(f"Sessions that failed: {len(failures)}")
            for failure in failures:
                print(f"  {failure}")
            all_open = float(phase["memory_all_open"])  # type: ignore[arg-type]
            print(
                f"RSS: baseline {baseline:.0f} MB; with {args.sessions} sessions open "
                f"{all_open:.0f} MB ({(all_open - baseline) / args.sessions:.1f} MB per session); "
                f"after they closed {after_sessions:.0f} MB"
            )

            print(f"{args.cycles} connect/disconnect cycles (4 at a time) …", flush=True)
            cycles_started = time.perf_counter()
            samples = await connect_cycles(browser, base_url, args.cycles, pid)
            elapsed = time.perf_counter() - cycles_started
            await asyncio.sleep(10)
            settled_rss = rss_mb(pid)
            print(
                f"RSS every 100 cycles (MB): {', '.join(f'{s:.0f}' for s in samples)}; "
                f"10 s after the last: {settled_rss:.0f} MB"
            )
            print(
                f"Growth over {args.cycles} cycles: {settled_rss - after_sessions:+.0f} MB "
                f"({(settled_rss - after_sessions) * 1024 / args.cycles:+.1f} kB per cycle); "
                f"{args.cycles / elapsed:.1f} cycles/s"
            )
            await browser.close()


def _server_pid(base_url: str) -> int:
    """The pid of the streamlit process listening on ``base_url``'s port."""
    port = base_url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(command) and port.encode() in command:
            return int(entry.name)
    raise RuntimeError(f"no streamlit process on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--cycles", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("SOS_ENVIRONMENT", "development")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
