"""The rules of a series on small made-up figures: the year SoS starts in, the years before
the start, the judgement only with a direction, breakdowns, missing rows and codes."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from sos_workforce.dfe import LOCAL_AUTHORITY, NATIONAL, REGIONAL, ModelNeighbour, PublishedFigure
from sos_workforce.outcomes import (
    NOT_AVAILABLE,
    IndicatorDefinition,
    IndicatorSeries,
    build_series,
    first_year_with_sos,
    indicator_definitions,
)

PLANS = indicator_definitions().get("second_or_subsequent_plans")
RATE = indicator_definitions().get("children_in_need_rate")
POPULATION = indicator_definitions().population
NEIGHBOUR = ModelNeighbour(1, "101", "Nearby", "Close")


def _figure(
    year: int, level: str, area: str, measure: str, value: float | None, symbol: str | None = None,
    breakdown: str = "",
) -> PublishedFigure:  # fmt: skip
    return PublishedFigure(
        year,
        level,
        area,
        area if level == LOCAL_AUTHORITY else None,
        {"100": "Ourtown", "101": "Nearby", "E12000001": "North East"}.get(area, "England"),
        "E12000001" if level == LOCAL_AUTHORITY else None,
        breakdown,
        measure,
        value,
        symbol,
    )


def _plans(values: dict[str, dict[int, float]]) -> list[PublishedFigure]:
    """Published % of second or subsequent plans for each area and year."""
    levels = {"100": LOCAL_AUTHORITY, "101": LOCAL_AUTHORITY, "E12000001": REGIONAL}
    return [
        _figure(year, levels.get(area, NATIONAL), area, "CPP_subsequent_percent", value)
        for area, by_year in values.items()
        for year, value in by_year.items()
    ]


def _series(
    figures: list[PublishedFigure],
    start: dt.date | None = dt.date(2020, 6, 1),
    direction: str | None = None,
    definition: IndicatorDefinition = PLANS,
    population: list[PublishedFigure] | None = None,
) -> IndicatorSeries:
    return build_series(
        definition,
        POPULATION,
        figures,
        population or [],
        authority=("la", "100"),
        authority_name="Ourtown",
        neighbours=[NEIGHBOUR],
        start_date=start,
        direction=direction,
    )


def test_the_first_year_with_sos_is_the_reporting_year_it_started_in() -> None:
    assert first_year_with_sos(dt.date(2014, 9, 1)) == 2015  # 2014-15
    assert first_year_with_sos(dt.date(2015, 3, 31)) == 2015  # still 2014-15
    assert first_year_with_sos(dt.date(2015, 4, 1)) == 2016  # 2015-16


def test_the_same_number_of_years_before_the_start_or_as_many_as_there_are() -> None:
    years = range(2013, 2026)
    figures = _plans({"100": {y: 10 + (y - 2013) for y in years}, "101": dict.fromkeys(years, 15)})
    comparison = _series(figures).comparison  # start June 2020: last year before 2019-20
    assert comparison is not None
    assert (comparison.since_start.from_year, comparison.since_start.to_year) == (2020, 2025)
    before = comparison.before_start
    assert before is not None and (before.from_year, before.to_year) == (2015, 2020)
    assert before.authority == 5 and before.neighbours == 0
    short = _plans({"100": dict.fromkeys(range(2018, 2026), 12)})
    before = _series(short).comparison.before_start  # type: ignore[union-attr]
    assert before is not None and (before.from_year, before.to_year) == (2018, 2020)
    none_before = _plans({"100": dict.fromkeys(range(2020, 2026), 12)})
    comparison = _series(none_before).comparison
    assert comparison is not None and comparison.before_start is None
    assert "no figures from before that year" in " ".join(
        _series(none_before).comparison_sentences()
    )


def test_no_comparison_without_a_start_date_or_a_year_after_it() -> None:
    figures = _plans({"100": {2019: 10, 2020: 11}})
    assert _series(figures, start=None).comparison is None
    assert "Set the Signs of Safety start date" in _series(figures, start=None).comparison_note
    later = _series(figures, start=dt.date(2021, 6, 1))
    assert later.comparison is None and "No figure yet for 2021-22" in later.comparison_note


@pytest.mark.parametrize(
    ("direction", "ours", "judgement"),
    [
        (None, 14.0, None),
        ("lower", 14.0, "worse"),  # +4.0 against the neighbours' +2.0
        ("higher", 14.0, "better"),
        ("lower", 11.0, "better"),  # +1.0 against +2.0
        ("lower", 12.04, "same"),  # +2.04 shows as +2.0, as the neighbours' does
    ],
)
def test_a_judgement_only_with_a_direction_and_on_the_figures_as_shown(
    direction: str | None, ours: float, judgement: str | None
) -> None:
    figures = _plans({"100": {2020: 10, 2021: ours}, "101": {2020: 15, 2021: 17}})
    comparison = _series(figures, direction=direction).comparison
    assert comparison is not None and comparison.judgement == judgement


def test_a_missing_row_and_a_code_are_not_available_and_leave_the_mean() -> None:
    figures = [
        *_plans({"100": {2020: 10, 2021: 11}, "E92000001": {2020: 20, 2021: 21}}),
        _figure(2021, LOCAL_AUTHORITY, "101", "CPP_subsequent_percent", None, "c"),
    ]
    series = _series(figures)
    first, second = series.rows
    assert (first.neighbours.value, first.neighbours.contributors) == (None, 0)  # no row
    assert (second.neighbours.value, second.neighbours.contributors) == (None, 0)  # code c
    assert second.each_neighbour[0].symbol == "c"
    assert series.table().loc["2020-21", "Statistical neighbours (mean)"] == NOT_AVAILABLE
    assert series.neighbour_table().loc["2019-20", "Nearby"] == NOT_AVAILABLE
    assert "England" in series.table().columns and series.region_name == ""


def test_rates_need_a_population_and_never_divide_by_zero() -> None:
    figures = [
        _figure(2021, LOCAL_AUTHORITY, "100", "Anypoint_child", 50),
        _figure(2022, LOCAL_AUTHORITY, "100", "Anypoint_child", 60),
        _figure(2023, LOCAL_AUTHORITY, "100", "Anypoint_child", 70),
    ]
    children = "Children aged 0 to 17 years"  # the population file's breakdown
    population = [
        _figure(2020, LOCAL_AUTHORITY, "100", "population_estimate", 1000, breakdown=children),
        _figure(2022, LOCAL_AUTHORITY, "100", "population_estimate", 0, breakdown=children),
        _figure(2021, LOCAL_AUTHORITY, "100", "population_estimate", 5, breakdown="Boys"),
    ]
    series = _series(figures, definition=RATE, population=population)
    by_year = {row.year: row.authority for row in series.rows}
    assert by_year[2021].value == Fraction(50 * 10_000, 1000)  # mid-2020 population
    assert (by_year[2022].value, by_year[2022].symbol) == (None, "population")
    assert (by_year[2023].value, by_year[2023].symbol) == (None, "z")
    notes = series.not_available_notes()
    assert "Ourtown, 2021-22: not available (no population estimate for the year before)." in notes


def test_several_breakdowns_are_never_added_together() -> None:
    figures = [
        _figure(2021, LOCAL_AUTHORITY, "100", "CPP_subsequent_percent", 10, breakdown="A"),
        _figure(2021, LOCAL_AUTHORITY, "100", "CPP_subsequent_percent", 90, breakdown="B"),
    ]
    series = _series(figures)
    assert series.rows == ()
    assert "several rows per year and area (A, B)" in series.comparison_note
