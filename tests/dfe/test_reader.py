"""The one reader of DfE's published files: EES tidy CSV (levels, LA codes, suppression
codes) and the statistical-neighbour model, on the real files and on broken copies."""

from __future__ import annotations

import io

import pytest

from sos_workforce.core.errors import InvalidInput
from sos_workforce.dfe import (
    BLANK,
    SYMBOLS,
    known_sources,
    parse_cell,
    parse_period,
    parse_sources,
    read_neighbour_model,
    read_tidy,
    year_label,
)
from sos_workforce.dfe.reader import decode, header_of, identify, read_upload
from tests.support.dfe import (
    ALL_FILES,
    CHILDREN_IN_NEED,
    LOOKED_AFTER,
    NEIGHBOURS,
    PLANS,
    POPULATION,
    WORKFORCE,
    real_file,
)


def _text(name: str) -> str:
    return decode(real_file(name))


def _tidy(name: str):  # type: ignore[no-untyped-def]
    text = _text(name)
    source = identify(header_of(text), name)
    assert source is not None
    return read_tidy(text, source, name)


@pytest.mark.parametrize("code", ["c", "x", "z", "low", "k", "u", " C ", "LOW"])
def test_every_dfe_code_is_not_available_never_zero(code: str) -> None:
    value, symbol = parse_cell(code)
    assert value is None and value != 0
    assert symbol == code.strip().lower() and symbol in SYMBOLS


def test_cells_read_numbers_blanks_and_refuse_anything_else() -> None:
    assert parse_cell("5098") == (5098.0, None)
    assert parse_cell("12.4") == (12.4, None)
    assert parse_cell("0") == (0.0, None)  # a recorded 0 is zero
    assert parse_cell("  ") == (None, BLANK)
    for junk in ["1,234", "12%", "n/a", "nan", "inf", "-"]:
        with pytest.raises(ValueError):
            parse_cell(junk)


def test_time_periods_name_the_year_they_end_in() -> None:
    assert parse_period("2025") == 2025
    assert parse_period("201617") == 2017  # EES's two-year form
    assert year_label(2017) == "2016-17"
    for bad in ["2016/17", "201618", "17", "3017", ""]:
        with pytest.raises(ValueError):
            parse_period(bad)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        (CHILDREN_IN_NEED, "children_in_need"),
        ("c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv", "referrals"),
        (PLANS, "child_protection_plans"),
        (LOOKED_AFTER, "children_looked_after"),
        (POPULATION, "population"),
        (WORKFORCE, "workforce_census"),
    ],
)
def test_each_real_file_is_recognised_by_its_columns(name: str, key: str) -> None:
    text = _text(name)
    source = identify(header_of(text), "renamed-download.csv")  # the name does not matter
    assert source is not None and source.key == key


def test_the_real_files_are_read_whole() -> None:
    # 2,132 data rows in each children's services file (the header is line 1 of 2,133).
    tidy = _tidy(CHILDREN_IN_NEED)
    assert (tidy.rows, tidy.skipped, len(tidy.stored)) == (2132, 0, 2132)
    assert tidy.cells == 2132 * 8
    brent = next(r for r in tidy.stored if r["old_la_code"] == "304" and r["time_period"] == 2017)
    assert brent["area_code"] == "E09000005" and brent["area_name"] == "Brent"
    assert brent["region_code"] == "E13000002"  # Outer London, as EES gives it
    assert brent["cells"]["Anypoint_child"] == 5098
    # Hackney's 2021-22 return was not available (code x): kept as the code, not 0.
    hackney = next(r for r in tidy.stored if r["old_la_code"] == "204" and r["time_period"] == 2022)
    assert hackney["cells"]["Anypoint_child"] == "x"
    national = [r for r in tidy.stored if r["level"] == "national"]
    assert len(national) == 13 and {r["area_code"] for r in national} == {"E92000001"}


def test_the_looked_after_file_with_a_byte_order_mark_and_reordered_columns() -> None:
    # Its header starts with a BOM and has la_name before new_la_code.
    assert real_file(LOOKED_AFTER).startswith(b"\xef\xbb\xbf")
    tidy = _tidy(LOOKED_AFTER)
    brent = next(
        r
        for r in tidy.stored
        if r["old_la_code"] == "304"
        and r["time_period"] == 2025
        and r["breakdown"] == "Children looked after on 31 March each year"
    )
    assert brent["area_code"] == "E09000005"
    assert brent["cells"] == {  # 296 / 75,001 × 10,000 = 39.47, published as 39
        "population_estimate": 75001,
        "children_count": 296,
        "rate_per_10000": 39,
    }


def test_the_workforce_census_reads_with_the_same_reader() -> None:
    tidy = _tidy(WORKFORCE)
    assert tidy.rows == 1463 and len(tidy.stored) == 1463
    combined = [r for r in tidy.stored if r["old_la_code"] == "314 / 318"]
    assert combined and combined[0]["area_code"] == "E09000021 / E09000027"
    england_2025 = next(
        r for r in tidy.stored if r["level"] == "national" and r["time_period"] == 2025
    )
    assert england_2025["cells"]["turnover_rate_fte"] == 11.8
    lows = [r for r in tidy.stored if r["cells"].get("agency_rate_fte") == "low"]
    assert lows  # "low" (a rate below 0.5) kept as a code


def test_the_neighbour_model_trims_closeness_and_keeps_dfe_order() -> None:
    model = read_neighbour_model(_text(NEIGHBOURS), NEIGHBOURS)
    assert model.authorities == 153 and len(model.pairs) == 1530
    brent = [p for p in model.pairs if p["old_la_code"] == "304"]
    # sn_model_2025_wide.csv, Brent's row: 307 Close , 316 Close , 313 Close , 309 Close ,
    # 821 Close , 871 Somewhat close, 301, 308, 320, 317 Somewhat close.
    assert [p["neighbour_code"] for p in brent] == [
        "307", "316", "313", "309", "821", "871", "301", "308", "320", "317",
    ]  # fmt: skip
    assert [p["closeness"] for p in brent[:6]] == ["Close"] * 5 + ["Somewhat close"]


def _broken(name: str, line: int, column: str, value: str) -> bytes:
    """The real file with one cell changed (line counts the header as 1)."""
    lines = real_file(name).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    return "\n".join(lines).encode()


def test_a_broken_row_is_named_with_its_column() -> None:
    data = _broken(PLANS, 57, "CPP_start", "12a")
    text = decode(data)
    source = identify(header_of(text), PLANS)
    assert source is not None
    with pytest.raises(InvalidInput) as refused:
        read_tidy(text, source, PLANS)
    assert refused.value.problems == [
        "Row 57, column 'CPP_start': '12a' is not a number or one of DfE's codes "
        "(c, x, z, low, k, u)."
    ]
    assert str(refused.value).startswith("Nothing was imported: 1 problem(s) found.")


def test_repeated_rows_short_rows_bad_codes_and_missing_columns_are_refused() -> None:
    source = known_sources().get("population")
    header = (
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
        "region_name,old_la_code,new_la_code,la_name,age_group,population_estimate"
    )
    row = "2016,Reporting year,Local authority,E92000001,England,E13000002,Outer London,{}"
    text = "\n".join(
        [
            header,
            row.format("304,E09000005,Brent,Children aged 0 to 17 years,76085"),
            row.format("304,E09000005,Brent,Children aged 0 to 17 years,76086"),  # again
            row.format("3040,E09000005,Brent,Children aged 0 to 17 years,1"),  # bad code
            "2016,Reporting year,Local authority",  # short
            "2016,Reporting year,,E92000001,England,,,,,,Children aged 0 to 17 years,5",
        ]
    )
    with pytest.raises(InvalidInput) as refused:
        read_tidy(text, source, "population.csv")
    problems = refused.value.problems
    assert "Row 3, Brent 2016 (Children aged 0 to 17 years) is already on row 2." in problems
    assert "Row 4, old_la_code '3040' is not a DfE code." in problems
    assert "Row 5: 3 cells, but the header has 12." in problems
    assert "Row 6: geographic_level is blank." in problems
    with pytest.raises(InvalidInput, match="has no column 'population_estimate'"):
        read_tidy(header.replace(",population_estimate", "") + "\n1,2", source, "p.csv")


def test_rows_at_other_geographic_levels_are_counted_and_left_out() -> None:
    source = known_sources().get("population")
    text = (
        "time_period,geographic_level,country_code,region_code,region_name,old_la_code,"
        "new_la_code,la_name,age_group,population_estimate\n"
        "2016,National,E92000001,,,,,,Children aged 0 to 17 years,11671521\n"
        "2016,Local authority district,E92000001,,,,,,Children aged 0 to 17 years,5\n"
    )
    tidy = read_tidy(text, source, "p.csv")
    assert (tidy.rows, tidy.skipped, len(tidy.stored)) == (2, 1, 1)


def test_an_unknown_file_is_refused_saying_what_was_expected() -> None:
    with pytest.raises(InvalidInput) as refused:
        identify(["time_period", "geographic_level", "pupils"], "schools.csv")
    message = str(refused.value)
    assert message.startswith("schools.csv is not one of the DfE files sos-workforce reads")
    assert "Children in need (DfE table B1) (Anypoint_child, At31_episodes)" in message


class _HugeStream(io.RawIOBase):
    """Says it holds 60 MB; reading it would fail the test."""

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return 60_000_000 if whence == io.SEEK_END else 0

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the file was read before its size was checked")


def test_the_size_is_checked_before_the_file_is_read() -> None:
    with pytest.raises(InvalidInput, match="larger than 50 MB"):
        read_upload(_HugeStream(), "huge.csv")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="is empty"):
        read_upload(b"  \n", "empty.csv")
    with pytest.raises(InvalidInput, match="ZIP or Excel"):
        read_upload(b"PK\x03\x04rest", "download.zip")
    assert read_upload(io.BytesIO(b"a,b\n1,2\n"), "small.csv") == b"a,b\n1,2\n"


def test_the_sources_file_is_validated_with_lines() -> None:
    assert {s.key for s in known_sources().sources} >= {"children_in_need", "population"}
    bad = (
        "version: 1\n"
        "sources:\n"
        "  - key: one\n"
        "    title: One\n"
        "    identified_by: [missing_column]\n"
        "    measures: [a]\n"
    )
    with pytest.raises(InvalidInput) as refused:
        parse_sources(bad, "sources.yaml")
    assert "sources.yaml line 3: sources[0]" in str(refused.value)
    assert "identified_by names columns that are not kept" in str(refused.value)


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_sample_file_reads_without_problems(name: str) -> None:
    text = _text(name)
    source = identify(header_of(text), name)
    if source is None:
        assert read_neighbour_model(text, name).authorities > 100
    else:
        assert read_tidy(text, source, name).rows > 1000
