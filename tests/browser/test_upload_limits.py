"""Upload limits in Debian's chromium (issue 18, point 4): the demo lead uploads, on the
Workforce page's roster import, a 5 KB XLSX that declares a whole sheet (the file that once
took the app from 400 MB to 1.3 GB) and a CSV over the size limit; each is refused with
its plain message, and nothing is imported."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import AuditEvent, RosterSnapshot
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import ROOT, DemoDatabase
from tests.support.browser import running_app, settled, sign_in
from tests.support.environment import make_settings, require_chromium
from tests.support.workbooks import sheet_xml, workbook_with_sheet

pytestmark = pytest.mark.browser

MAX_BYTES = 100_000  # the server's upload limit here (SOS_UPLOAD_MAX_BYTES)
HEADERS = ["Staff id", "Team", "Role", "Employment type", "FTE", "Start date"]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase
) -> Iterator[tuple[str, str]]:
    require_chromium()
    folder = tmp_path_factory.mktemp("upload-limits")
    shutil.copyfile(demo_template.url, folder / "app.db")
    url = f"sqlite:///{folder / 'app.db'}"
    env = {
        "SOS_DATABASE_URL": url,
        "SOS_DATA_DIR": str(folder),
        "SOS_UPLOAD_MAX_BYTES": str(MAX_BYTES),
    }
    with running_app(env) as base_url:
        yield base_url, url


def _imported(url: str) -> tuple[int, int]:
    """Roster snapshots, and audited roster imports."""
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        snapshots = session.scalar(select(func.count(RosterSnapshot.id))) or 0
        imports = (
            session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action.like("%roster%import%"))
            )
            or 0
        )
    database.dispose()
    return snapshots, imports


def _upload(page: Page, path: Path) -> None:
    page.locator(".st-key-roster_file input[type=file]").set_input_files(path)
    settled(page)


def test_a_lead_sees_a_huge_declared_sheet_and_an_oversized_csv_refused(
    server: tuple[str, str], page: Page, tmp_path: Path
) -> None:
    base_url, url = server
    before = _imported(url)
    sign_in(page, base_url, *DEMO_CREDENTIALS[Role.LEAD])
    page.get_by_role("link", name="Workforce and retention").click()
    settled(page)
    page.get_by_role("tab", name="Import a roster").click()

    # 5 KB that declares the whole sheet and holds a cell in its last corner.
    huge = tmp_path / "roster.xlsx"
    huge.write_bytes(
        workbook_with_sheet(
            sheet_xml(
                [HEADERS, ["A1", "Alpha", "Social worker", "permanent", 1, "01/01/2019"]],
                dimension="A1:XFD1048576",
                extra_cells=[("XFD1048576", "x")],
            )
        )
    )
    assert huge.stat().st_size < 6_000
    _upload(page, huge)
    refusal = page.locator("[data-testid=stAlertContentError]")
    expect(refusal).to_have_text(
        "roster.xlsx has more than 250,000 rows; split it into smaller files."
    )
    expect(page.locator(".st-key-roster_import")).to_have_count(0)  # no Import button

    # A CSV over the size limit (the browser's own limit is the next whole megabyte).
    row = "SW{:06d},Alpha,Social worker,permanent,1.0,01/01/2019\n"
    big = tmp_path / "big roster.csv"
    big.write_text(
        ",".join(HEADERS) + "\n" + "".join(row.format(n) for n in range(3_000)), encoding="utf-8"
    )
    assert MAX_BYTES < big.stat().st_size < 1_000_000
    _upload(page, big)
    expect(refusal).to_have_text(
        "big roster.csv is larger than 100 KB; split it into smaller files."
    )
    expect(page.locator(".st-key-roster_import")).to_have_count(0)
    assert _imported(url) == before
