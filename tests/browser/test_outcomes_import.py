"""An administrator imports DfE's files on the Outcomes page in Debian's chromium (AppTest
has no file uploader): a real file with its progress bar, the same file again, and a file
with a broken row, named and refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sos_workforce.core.enums import Role
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import DemoDatabase
from tests.support.browser import running_app, settled, sign_in
from tests.support.dfe import DFE_DATA, PLANS
from tests.support.environment import require_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoDatabase) -> Iterator[str]:
    require_chromium()
    folder = tmp_path_factory.mktemp("outcomes-browser")
    shutil.copyfile(demo_template.url, folder / "app.db")
    env = {"SOS_DATABASE_URL": f"sqlite:///{folder / 'app.db'}", "SOS_DATA_DIR": str(folder)}
    with running_app(env) as base_url:
        yield base_url


def _import(page: Page, files: list[Path]) -> None:
    page.locator(".st-key-dfe_uploads input[type=file]").set_input_files(files)
    settled(page)
    page.locator(".st-key-dfe_import button").click()
    settled(page)


def test_an_administrator_imports_a_dfe_file_then_the_same_file_again(
    server: str, page: Page, tmp_path: Path
) -> None:
    sign_in(page, server, *DEMO_CREDENTIALS[Role.ADMIN])
    page.get_by_role("link", name="Outcomes").click()
    settled(page)
    page.get_by_role("tab", name="Import DfE files").click()
    _import(page, [DFE_DATA / PLANS])
    expect(
        page.get_by_text(
            f"Imported {PLANS} as Child protection plans starting, second or subsequent "
            "(DfE table D3): 2,132 rows, 6,396 figures, replacing "
            "northbridge_cpp_subsequent.csv."
        )
    ).to_be_visible()
    expect(page.get_by_text("Done")).to_be_visible()  # the progress bar, at its end
    _import(page, [DFE_DATA / PLANS])
    expect(page.get_by_text(f"{PLANS} was already imported; nothing changed.")).to_be_visible()

    lines = (DFE_DATA / PLANS).read_text(encoding="utf-8").splitlines()
    cells = lines[56].split(",")
    cells[-3] = "12a"  # CPP_start on file row 57
    lines[56] = ",".join(cells)
    broken = tmp_path / "d3_broken.csv"
    broken.write_text("\n".join(lines), encoding="utf-8")
    _import(page, [broken])
    expect(
        page.get_by_text("Row 57, column 'CPP_start': '12a' is not a number", exact=False)
    ).to_be_visible()
