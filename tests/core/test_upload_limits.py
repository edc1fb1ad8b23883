"""Uploads are read within limits checked while reading, never from what the file says
about itself (issue 18, point 4): the XLSX zip directory before anything is unpacked; the
sheet streamed with its declared dimension ignored (it lies both ways); rows, columns and
cells counted as they come. The 5 KB file that declares a huge sheet is refused with a
plain message, with traced peak memory under 50 MB."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable, Iterator

import openpyxl
import pytest

from sos_workforce.core import config
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.tabular import Table, UploadLimits, read_table
from tests.support.workbooks import sheet_xml, workbook, workbook_with_sheet

HEADERS = ["Staff id", "Team", "FTE"]
PEAK_LIMIT = 50_000_000


def _rows(count: int) -> list[list[object]]:
    return [[f"SW{i:04d}", f"Team {i % 3}", 1] for i in range(count)]


def _peak(read: Callable[[], object]) -> tuple[object, int]:
    """What ``read`` returned (or the error it raised) and the peak of memory traced."""
    tracemalloc.start()
    try:
        try:
            result: object = read()
        except InvalidInput as error:
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _declared_rows(data: bytes) -> int | None:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return book.worksheets[0].max_row
    finally:
        book.close()


# --- the declared dimension ------------------------------------------------------------


def test_a_5_kb_file_declaring_a_whole_sheet_with_a_cell_in_its_last_corner_is_refused() -> None:
    data = workbook_with_sheet(
        sheet_xml(
            [HEADERS, *_rows(3)],
            dimension="A1:XFD1048576",
            extra_cells=[("XFD1048576", "x")],
        )
    )
    assert len(data) < 6_000
    assert _declared_rows(data) == 1_048_576  # what made the old reader pad every row
    result, peak = _peak(lambda: read_table(data, "roster.xlsx"))
    assert isinstance(result, InvalidInput)
    assert str(result) == "roster.xlsx has more than 250,000 rows; split it into smaller files."
    assert peak < PEAK_LIMIT, f"peak {peak:,} bytes"


def test_a_cell_far_to_the_right_is_refused_as_too_many_columns() -> None:
    data = workbook_with_sheet(
        sheet_xml([HEADERS, *_rows(3)], dimension="A1:XFD5", extra_cells=[("XFD5", "x")])
    )
    result, peak = _peak(lambda: read_table(data, "roster.xlsx"))
    assert isinstance(result, InvalidInput)
    assert "more than 100 columns" in str(result)
    assert peak < PEAK_LIMIT, f"peak {peak:,} bytes"


def test_a_huge_declared_dimension_over_a_few_cells_reads_just_those_cells() -> None:
    data = workbook([HEADERS, *_rows(3)], dimension="A1:XFD1048576")
    assert len(data) < 6_000
    assert _declared_rows(data) == 1_048_576
    table, peak = _peak(lambda: read_table(data, "roster.xlsx"))
    assert table == Table(HEADERS, [list(row) for row in _rows(3)])
    assert peak < PEAK_LIMIT, f"peak {peak:,} bytes"


def test_a_small_false_dimension_does_not_drop_rows_or_columns() -> None:
    headers = [*HEADERS, "Role", "Start date"]
    rows = [[*row, "Social worker", "01/09/2021"] for row in _rows(40)]
    data = workbook([headers, *rows], dimension="A1:B2")
    assert _declared_rows(data) == 2  # openpyxl alone would stop after row 2
    table = read_table(data, "roster.xlsx")
    assert table.headers == headers
    assert table.rows == rows


# --- the zip archive -------------------------------------------------------------------


@pytest.fixture
def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("openpyxl was asked to read a refused file")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)  # as core.tabular calls it


@pytest.mark.usefixtures("no_parsing")
def test_a_zip_bomb_part_is_refused_from_the_directory_before_parsing() -> None:
    padding = UploadLimits().max_unzipped_bytes + 1
    data = workbook_with_sheet(sheet_xml([HEADERS, *_rows(3)]), padding=padding)
    assert len(data) < 300_000  # packs to a few hundred KB, unpacks to over 100 MB
    result, peak = _peak(lambda: read_table(data, "roster.xlsx"))
    assert isinstance(result, InvalidInput)
    assert str(result).startswith(
        "roster.xlsx would unpack to more than 100 MB (xl/worksheets/sheet1.xml alone is "
    )
    assert peak < PEAK_LIMIT, f"peak {peak:,} bytes"


@pytest.mark.usefixtures("no_parsing")
def test_parts_are_capped_together_as_well_as_each() -> None:
    data = workbook_with_sheet(sheet_xml([HEADERS, *_rows(3)]), padding=60_000)
    with pytest.raises(InvalidInput, match=r"would unpack to \d\d KB, more than 65 KB; it"):
        read_table(data, "roster.xlsx", UploadLimits(max_unzipped_bytes=65_000))


def test_a_part_just_under_the_cap_is_read() -> None:
    data = workbook_with_sheet(sheet_xml([HEADERS, *_rows(3)]), padding=60_000)
    table = read_table(data, "roster.xlsx", UploadLimits(max_unzipped_bytes=200_000))
    assert len(table.rows) == 3


def test_a_file_named_xlsx_that_is_not_a_zip_archive_is_refused_plainly() -> None:
    with pytest.raises(InvalidInput, match="is not an Excel workbook"):
        read_table(b"Staff id,Team\r\nSW1,A\r\n", "roster.xlsx")


# --- budgets while streaming, both formats ---------------------------------------------


def _csv(rows: list[list[object]]) -> bytes:
    return csv_bytes(HEADERS, rows)


def _xlsx(rows: list[list[object]]) -> bytes:
    return workbook([HEADERS, *rows])


FORMATS: dict[str, tuple[Callable[[list[list[object]]], bytes], str]] = {
    "csv": (_csv, "r.csv"),
    "xlsx": (_xlsx, "r.xlsx"),
}


@pytest.fixture(params=list(FORMATS))
def encode(request: pytest.FixtureRequest) -> Iterator[tuple[Callable[..., bytes], str]]:
    yield FORMATS[request.param]


def test_the_row_limit_counts_data_rows(encode: tuple[Callable[..., bytes], str]) -> None:
    make, name = encode
    limits = UploadLimits(max_rows=10)
    assert len(read_table(make(_rows(10)), name, limits).rows) == 10
    with pytest.raises(InvalidInput, match=f"^{name} has more than 10 rows; split it"):
        read_table(make(_rows(11)), name, limits)


def test_the_column_limit_ignores_trailing_empty_cells(
    encode: tuple[Callable[..., bytes], str],
) -> None:
    make, name = encode
    limits = UploadLimits(max_columns=3)
    assert read_table(make(_rows(2)), name, limits).headers == HEADERS
    wide = [[*row, "extra"] for row in _rows(2)]
    with pytest.raises(InvalidInput, match=f"^{name} has more than 3 columns; keep only"):
        read_table(make(wide), name, limits)
    if name.endswith(".csv"):  # a spreadsheet's trailing separators are not columns
        padded = b"Staff id,Team,FTE,,,\r\nSW1,A,1,,,\r\n"
        assert read_table(padded, name, limits).rows == [["SW1", "A", "1", "", "", ""]]


def test_the_cell_limit_counts_every_cell_read(encode: tuple[Callable[..., bytes], str]) -> None:
    make, name = encode
    limits = UploadLimits(max_cells=30)  # the header's 3 and 9 rows of 3
    assert len(read_table(make(_rows(9)), name, limits).rows) == 9
    with pytest.raises(InvalidInput, match=f"^{name} has more than 30 cells; split it"):
        read_table(make(_rows(10)), name, limits)


def test_the_size_limit_comes_first() -> None:
    data = _csv(_rows(20))
    assert len(read_table(data, "r.csv", UploadLimits(max_bytes=len(data))).rows) == 20
    with pytest.raises(InvalidInput, match=r"^r\.csv is larger than 100 bytes; split it"):
        read_table(data, "r.csv", UploadLimits(max_bytes=100, max_rows=1))


def test_a_csv_cell_longer_than_the_parser_allows_is_refused_plainly() -> None:
    data = b"Staff id,Team\r\nSW1," + b"x" * 200_000 + b"\r\n"
    with pytest.raises(InvalidInput, match=r"^r\.csv could not be read as CSV \(field larger"):
        read_table(data, "r.csv")


def test_the_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOS_UPLOAD_MAX_ROWS", "2")
    config.get_settings.cache_clear()
    try:
        assert UploadLimits.from_settings(config.get_settings()).max_rows == 2
        with pytest.raises(InvalidInput, match="more than 2 rows"):
            read_table(_csv(_rows(3)), "r.csv")
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()
    assert len(read_table(_csv(_rows(3)), "r.csv").rows) == 3


def test_a_csv_line_of_millions_of_delimiters_is_refused_before_it_is_split() -> None:
    data = b"Staff id,Team\r\nSW1," + b"," * 6_000_000 + b"\r\n"
    result, peak = _peak(lambda: read_table(data, "r.csv"))
    assert isinstance(result, InvalidInput)
    assert str(result).startswith("r.csv has more than 3,000,000 cells; split it")
    assert peak < PEAK_LIMIT, f"peak {peak:,} bytes"


def test_a_csv_within_the_counts_is_read_in_one_pass_with_the_same_rows() -> None:
    rows = _rows(50)
    data = _csv(rows)
    one_pass = read_table(data, "r.csv")  # lines and delimiters within the limits
    counted = read_table(data, "r.csv", UploadLimits(max_cells=len(rows) * 3 + 3))
    assert one_pass == counted
    assert one_pass.rows == [[str(cell) for cell in row] for row in rows]
