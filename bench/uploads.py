"""Upload limits (issue 18, point 4): how long the reader takes to refuse the hostile
workbooks, and what the limits cost on real-sized files.

    .venv/bin/python bench/uploads.py [--before COMMIT]

Each case is read 5 times (median and worst wall time, median CPU time), then once more
under tracemalloc for the traced peak. ``--before COMMIT`` also times the legitimate files
with ``core/tabular.py`` as it was at COMMIT (never the hostile ones: the old reader took
an app from 400 MB to 1.3 GB on the first of them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import os
import statistics
import subprocess  # noqa: S404 - git show, fixed arguments
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sos_workforce.core.errors import InvalidInput  # noqa: E402
from sos_workforce.core.exports import csv_bytes  # noqa: E402
from sos_workforce.core.tabular import UploadLimits, read_table  # noqa: E402
from tests.support.workbooks import sheet_xml, workbook, workbook_with_sheet  # noqa: E402

HEADERS = [
    "Staff id",
    "Team",
    "Role",
    "Employment type",
    "FTE",
    "Start date",
    "Leave date",
    "Leave reason",
    "Cases held",
    "Sickness days",
]


def _row(i: int) -> list[object]:
    return [f"S{i:07d}", f"Team {i % 300}", "Social worker", "permanent", 1.0, "01/09/2020"]


def _roster_csv(rows: int) -> bytes:
    return csv_bytes(HEADERS, ([*map(str, _row(i)), "", "", "12", "3"] for i in range(rows)))


def _roster_xlsx(rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for i in range(rows):
        sheet.append([*_row(i), None, None, 12, 3])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cases() -> dict[str, tuple[bytes, str, bool]]:
    """name → (file, file name, legitimate)."""
    few = [["Staff id", "Team"], ["SW1", "Alpha"], ["SW2", "Beta"]]
    return {
        "5 KB, declares A1:XFD1048576, a cell at XFD1048576": (
            workbook_with_sheet(
                sheet_xml(few, dimension="A1:XFD1048576", extra_cells=[("XFD1048576", "x")])
            ),
            "corner.xlsx",
            False,
        ),
        "5 KB, declares A1:XFD1048576, a cell at XFD4": (
            workbook_with_sheet(sheet_xml(few, dimension="A1:XFD4", extra_cells=[("XFD4", "x")])),
            "wide.xlsx",
            False,
        ),
        "5 KB, declares A1:XFD1048576 over 3 rows (read)": (
            workbook(few, dimension="A1:XFD1048576"),
            "declared.xlsx",
            False,
        ),
        "zip bomb: a sheet part unpacking to 100 MB + 1 byte": (
            workbook_with_sheet(sheet_xml(few), padding=UploadLimits().max_unzipped_bytes + 1),
            "bomb.xlsx",
            False,
        ),
        "roster XLSX, 50,000 rows x 10 columns": (_roster_xlsx(50_000), "roster.xlsx", True),
        "roster CSV, 200,000 rows x 10 columns": (_roster_csv(200_000), "roster.csv", True),
    }


def _outcome(read: Callable[[], object]) -> str:
    try:
        table = read()
    except InvalidInput as error:
        return f"refused: {error}"
    return f"read {len(table.rows):,} rows"  # type: ignore[attr-defined]


def _time(read: Callable[[], object], runs: int = 5) -> tuple[float, float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        _outcome(read)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), max(walls), statistics.median(cpus)


def _peak(read: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        _outcome(read)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _old_reader(commit: str) -> ModuleType:
    source = subprocess.run(  # noqa: S603
        ["git", "show", f"{commit}:sos_workforce/core/tabular.py"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "tabular_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("tabular_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", help="also time the legitimate files with this commit's reader")
    args = parser.parse_args()
    old = _old_reader(args.before) if args.before else None
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.1f}")
    print("| File | Size | Outcome | Wall (median, worst of 5) | CPU | Traced peak |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (data, filename, legitimate) in _cases().items():

        def read(data: bytes = data, filename: str = filename) -> object:
            return read_table(data, filename)

        median, worst, cpu = _time(read)
        peak = _peak(read)
        print(
            f"| {name} | {len(data):,} bytes | {_outcome(read)[:60]} | "
            f"{median * 1000:,.0f} ms, {worst * 1000:,.0f} ms | {cpu * 1000:,.0f} ms | "
            f"{peak / 1_000_000:,.1f} MB |"
        )
        if old is not None and legitimate:

            def read_before(data: bytes = data, filename: str = filename) -> object:
                return old.read_table(data, filename)

            median, worst, cpu = _time(read_before)
            print(
                f"| … with the reader at {args.before} | | {_outcome(read_before)[:60]} | "
                f"{median * 1000:,.0f} ms, {worst * 1000:,.0f} ms | {cpu * 1000:,.0f} ms | "
                f"{_peak(read_before) / 1_000_000:,.1f} MB |"
            )


if __name__ == "__main__":
    main()
