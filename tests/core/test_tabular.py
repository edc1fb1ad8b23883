"""Column-by-column parsing keeps the row-by-row contract: every problem listed by row,
then column; repeated bad values reported on every row; short rows read as blanks; typed
XLSX cells never confused with each other; the garbage collector left as it was found."""

from __future__ import annotations

import datetime as dt
import gc

import pytest

from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.tabular import Column, Table, parse_rows, read_table

COLUMNS = [
    Column("ref", "Staff id", max_length=5),
    Column("fte", "FTE", kind="number", minimum=0.01, maximum=1.0),
    Column("start", "Start date", kind="date"),
    Column("kind", "Type", kind="choice", choices={"permanent": "permanent", "agency": "agency"}),
    Column("cases", "Cases", kind="integer", required=False, minimum=0),
]
MAPPING = {c.name: c.label for c in COLUMNS}
HEADERS = [c.label for c in COLUMNS]


def problems(rows: list[list[object]]) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_rows(Table(HEADERS, rows), MAPPING, COLUMNS)
    return caught.value.problems


def test_problems_are_listed_row_by_row_then_column_by_column() -> None:
    rows: list[list[object]] = [
        ["A1", "2", "31/04/2024", "permanent", ""],
        ["A2", "1", "01/01/2024", "locum", "x"],
        ["TOOLONG", "2", "31/04/2024", "agency", "-1"],
        ["A4", "1", "01/01/2024", "agency", ""],
    ]
    assert problems(rows) == [
        "Row 2, column 'FTE': 2 is above the maximum of 1.",
        "Row 2, column 'Start date': 31/04/2024 is not a real date.",
        "Row 3, column 'Type': 'locum' is not one of: agency, permanent.",
        "Row 3, column 'Cases': 'x' is not a number.",
        "Row 4, column 'Staff id': longer than 5 characters.",
        "Row 4, column 'FTE': 2 is above the maximum of 1.",
        "Row 4, column 'Start date': 31/04/2024 is not a real date.",
        "Row 4, column 'Cases': -1 is below the minimum of 0.",
    ]


def test_short_rows_and_blank_cells_are_missing_only_where_required() -> None:
    rows: list[list[object]] = [["A1", "1", "01/01/2024", "agency"], ["A2", " ", "\t"], []]
    assert problems(rows) == [
        "Row 3, column 'FTE': missing.",
        "Row 3, column 'Start date': missing.",
        "Row 3, column 'Type': missing.",
        "Row 4, column 'Staff id': missing.",
        "Row 4, column 'FTE': missing.",
        "Row 4, column 'Start date': missing.",
        "Row 4, column 'Type': missing.",
    ]
    parsed = parse_rows(Table(HEADERS, rows[:1]), MAPPING, COLUMNS)
    assert parsed == [
        {"ref": "A1", "fte": 1.0, "start": dt.date(2024, 1, 1), "kind": "agency", "cases": None}
    ]


def test_the_same_bad_value_on_many_rows_is_counted_on_each() -> None:
    rows: list[list[object]] = [["A", "1", "01/01/2024", "agency", "x"] for _ in range(60)]
    listed = problems(rows)
    assert len(listed) == 51 and listed[-1] == "… and 10 more problems."
    assert listed[0] == "Row 2, column 'Cases': 'x' is not a number."
    assert listed[49] == "Row 51, column 'Cases': 'x' is not a number."


def test_typed_cells_equal_as_keys_are_read_one_by_one() -> None:
    """1, 1.0 and True are equal dictionary keys; they must not share a conversion."""
    rows: list[list[object]] = [
        [1, 1, 45000, "agency", 3],
        [1.0, 1.0, 45000.0, "agency", 3.0],
        [True, True, dt.date(2023, 3, 15), "agency", True],
    ]
    assert problems(rows) == [
        "Row 4, column 'FTE': True is not a number.",
        "Row 4, column 'Cases': True is not a number.",
    ]
    parsed = parse_rows(Table(HEADERS, rows[:2]), MAPPING, COLUMNS)
    assert [row["ref"] for row in parsed] == ["1", "1.0"]
    assert [row["start"] for row in parsed] == [dt.date(2023, 3, 15)] * 2


def test_text_is_normalised_once_per_distinct_value_and_rows_stay_separate() -> None:
    rows: list[list[object]] = [[" a  b ", "0,5", "2024-01-02", " Agency ", ""] for _ in range(3)]
    parsed = parse_rows(Table(HEADERS, rows), MAPPING, COLUMNS)
    assert (
        parsed
        == [
            {
                "ref": "a b",
                "fte": 0.5,
                "start": dt.date(2024, 1, 2),
                "kind": "agency",
                "cases": None,
            }
        ]
        * 3
    )
    parsed[0]["ref"] = "changed"
    assert parsed[1]["ref"] == "a b"


def test_progress_ends_at_one() -> None:
    steps: list[float] = []
    parse_rows(Table(HEADERS, [["A", "1", "01/01/2024", "agency"]]), MAPPING, COLUMNS, steps.append)
    assert steps == sorted(steps) and steps[-1] == 1.0


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(enabled: bool) -> None:
    data = b"Staff id,FTE,Start date,Type\r\nA,1,01/01/2024,agency\r\n,,,\r\n"
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        table = read_table(data, "r.csv")
        assert table.rows == [["A", "1", "01/01/2024", "agency"]]
        parse_rows(table, MAPPING | {"cases": None}, COLUMNS)
        with pytest.raises(InvalidInput):
            parse_rows(Table(HEADERS, [["A", "x", "01/01/2024", "agency"]]), MAPPING, COLUMNS)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", "1e999", float("nan")])
def test_numbers_that_are_not_finite_are_refused(value: object) -> None:
    """Before: "nan" was stored as an FTE and "inf" in a whole-number column crashed the
    import with OverflowError instead of listing the problem."""
    for column in ("fte", "cases"):
        row: list[object] = ["A1", "1", "01/01/2024", "agency", ""]
        row[[c.name for c in COLUMNS].index(column)] = value
        [problem] = problems([row])
        label = MAPPING[column]
        assert problem.startswith(f"Row 2, column '{label}': ") and "is not a number" in problem


def test_a_column_of_ids_is_read_whole_or_cell_by_cell_with_the_same_result() -> None:
    """Mostly different values (staff ids) are normalised without a dictionary; a blank,
    overlong or missing id among them is still reported on its own row."""
    rows: list[list[object]] = [[f" {n:03d}  x ", "1", "01/01/2024", "agency"] for n in range(300)]
    parsed = parse_rows(Table(HEADERS, rows), MAPPING | {"cases": None}, COLUMNS[:4])
    assert [row["ref"] for row in parsed[:2]] == ["000 x", "001 x"]
    rows[7][0], rows[250][0] = " ", "LONGER"
    rows[100] = []
    assert problems(rows) == [
        "Row 9, column 'Staff id': missing.",
        "Row 102, column 'Staff id': missing.",
        "Row 102, column 'FTE': missing.",
        "Row 102, column 'Start date': missing.",
        "Row 102, column 'Type': missing.",
        "Row 252, column 'Staff id': longer than 5 characters.",
    ]
