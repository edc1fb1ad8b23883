"""Figures from DfE's real files (tests/data/dfe), each worked by hand in a comment from the
file's own cells, then checked against the service (on SQLite and PostgreSQL)."""

from __future__ import annotations

from fractions import Fraction

from sos_workforce.core.figures import half_up
from sos_workforce.outcomes import (
    NOT_AVAILABLE,
    IndicatorSeries,
    OutcomeReport,
    outcome_report,
    set_outcome_direction,
)
from tests.outcomes.conftest import RealData

BRENT_NEIGHBOURS = [
    "Ealing",
    "Newham",
    "Hounslow",
    "Haringey",
    "Luton",
    "Slough",
    "Barking and Dagenham",
    "Enfield",
    "Waltham Forest",
    "Redbridge",
]


def _series(report: OutcomeReport, indicator_id: str) -> IndicatorSeries:
    return next(s for s in report.indicators if s.definition.id == indicator_id)


def _brent(real: RealData, indicator_id: str) -> IndicatorSeries:
    return _series(outcome_report(real.db, real.brent_lead, real.brent), indicator_id)


def test_brent_children_in_need_2016_17_is_670(real: RealData) -> None:
    # b1, 2017, Brent (304): Anypoint_child 5,098. ONS file, 2016 (mid-2016), Brent:
    # 76,085. 5,098 / 76,085 × 10,000 = 670.04 → 670.0 (670 in Brent's report, 3.3).
    series = _brent(real, "children_in_need_rate")
    row = series.row_for(2017)
    assert row is not None and row.label == "2016-17"
    assert (row.authority.numerator, row.authority.denominator) == (5098, 76085)
    assert row.authority.value == Fraction(5098 * 10_000, 76085)
    assert half_up(row.authority.value, 0) == 670
    assert series.shown(row.authority.value) == "670.0"
    table = series.table()
    assert table.loc["2016-17", "Brent Council"] == "670.0"
    assert (table.loc["2016-17", "Numerator"], table.loc["2016-17", "Denominator"]) == (
        "5,098",
        "76,085",
    )


def test_england_children_in_need_2016_17_recomputed_with_revised_estimates(
    real: RealData,
) -> None:
    # b1, 2017, National: Anypoint_child 692,880. ONS 2016 National: 11,671,521.
    # 692,880 / 11,671,521 × 10,000 = 593.65 → 593.7 (Brent's report had 612 with the
    # estimates of the time).
    row = _brent(real, "children_in_need_rate").row_for(2017)
    assert row is not None
    assert row.england.value == Fraction(692_880 * 10_000, 11_671_521)
    assert half_up(row.england.value, 1) == 593.7


def test_brent_second_or_subsequent_plans_2016_17(real: RealData) -> None:
    # d3, 2017, Brent: CPP_start 330, CPP_subsequent 41, CPP_subsequent_percent 12.4
    # (41 / 330 = 12.42%). DfE publishes the figure, so it is used as published.
    series = _brent(real, "second_or_subsequent_plans")
    row = series.row_for(2017)
    assert row is not None
    assert (row.authority.numerator, row.authority.denominator) == (41, 330)
    assert row.authority.value == Fraction("12.4")
    assert series.shown(row.authority.value) == "12.4%"


def test_england_second_or_subsequent_2024_25(real: RealData) -> None:
    # d3, 2025, National: CPP_start 61,840, CPP_subsequent 15,130, published 24.5
    # (15,130 / 61,840 = 24.47%).
    series = _brent(real, "second_or_subsequent_plans")
    row = series.row_for(2025)
    assert row is not None and row.label == "2024-25"
    assert row.england.value == Fraction("24.5")
    assert series.shown(row.england.value) == "24.5%"


def test_brents_neighbours_mean_from_the_model_file_by_hand(real: RealData) -> None:
    # sn_model_2025_wide.csv, Brent (304): 307 316 313 309 821 871 301 308 320 317.
    # d3, 2017, CPP_subsequent_percent: Ealing 15.3, Newham 9.1, Hounslow 13.4, Haringey
    # 13.8, Luton 14.5, Slough 22.6, Barking and Dagenham 16.9, Enfield 16.7, Waltham Forest
    # 16.0, Redbridge 7.2. Sum 145.5; mean 14.55 → 14.6 (half up; a float mean reads 14.5).
    report = outcome_report(real.db, real.brent_lead, real.brent)
    assert [n.name for n in report.neighbours] == BRENT_NEIGHBOURS
    series = _series(report, "second_or_subsequent_plans")
    row = series.row_for(2017)
    assert row is not None
    published = ["15.3", "9.1", "13.4", "13.8", "14.5", "22.6", "16.9", "16.7", "16", "7.2"]
    assert [f.value for f in row.each_neighbour] == [Fraction(v) for v in published]
    assert row.neighbours.value == Fraction("14.55")
    assert (row.neighbours.contributors, row.neighbours.neighbours) == (10, 10)
    assert series.shown(row.neighbours.value) == "14.6%"
    assert series.table().loc["2016-17", "Neighbours contributing"] == "10 of 10"


def test_a_neighbour_without_a_figure_drops_out_of_the_mean(real: RealData) -> None:
    # Islington (206)'s neighbours: Camden, Southwark, Lambeth, Westminster, Hackney,
    # Hammersmith and Fulham, Lewisham, Haringey, Greenwich, Manchester. b1, 2022
    # (2021-22), Anypoint_child over ONS 2021 (mid-2021) × 10,000:
    #   Camden 3,072 / 36,574 = 839.94     Southwark 4,300 / 57,270 = 750.83
    #   Lambeth 4,105 / 54,325 = 755.64    Westminster 1,788 / 30,607 = 584.18
    #   Hackney x (not available)          Hammersmith and Fulham 2,233 / 31,820 = 701.76
    #   Lewisham 4,397 / 64,443 = 682.31   Haringey 3,760 / 54,366 = 691.61
    #   Greenwich 3,398 / 65,697 = 517.22  Manchester 10,481 / 126,774 = 826.75
    # Mean of the nine = 6,350.23 / 9 = 705.58 → 705.6, "9 of 10".
    report = outcome_report(real.db, real.admin, real.islington)
    series = _series(report, "children_in_need_rate")
    row = series.row_for(2022)
    assert row is not None
    hackney = row.each_neighbour[series.neighbour_names.index("Hackney")]
    assert (hackney.value, hackney.symbol) == (None, "x")
    pairs = [
        (3072, 36574), (4300, 57270), (4105, 54325), (1788, 30607), (2233, 31820),
        (4397, 64443), (3760, 54366), (3398, 65697), (10481, 126774),
    ]  # fmt: skip
    by_hand = sum(Fraction(a * 10_000, b) for a, b in pairs) / 9
    assert row.neighbours.value == by_hand
    assert (row.neighbours.contributors, row.neighbours.neighbours) == (9, 10)
    assert series.shown(row.neighbours.value) == "705.6"
    assert series.table().loc["2021-22", "Neighbours contributing"] == "9 of 10"
    assert series.neighbour_table().loc["2021-22", "Hackney"] == NOT_AVAILABLE
    assert "statistical neighbours 705.6 (mean of 9 of 10)" in series.sentence(2022)


def test_a_code_cell_shows_not_available_never_zero(real: RealData) -> None:
    # d3, 2024 (2023-24), City of London (201): CPP_start c, CPP_subsequent c,
    # CPP_subsequent_percent c.
    report = outcome_report(real.db, real.admin, real.city_of_london)
    series = _series(report, "second_or_subsequent_plans")
    row = series.row_for(2024)
    assert row is not None
    assert (row.authority.value, row.authority.symbol) == (None, "c")
    table = series.table()
    assert table.loc["2023-24", "City of London"] == NOT_AVAILABLE
    assert table.loc["2023-24", "Numerator"] == "–"  # never 0
    assert (
        "City of London, 2023-24: not available (DfE code c: confidential (suppressed to "
        "protect individuals))." in series.not_available_notes()
    )
    # d3, 2014 (2013-14): CPP_subsequent 0 and CPP_subsequent_percent 0: a recorded 0 is 0.
    assert table.loc["2013-14", "City of London"] == "0.0%"
    # City of London has no new LA code here, and the old code is enough.
    assert report.new_la_code is None and report.indicators


def test_brents_sentence_in_the_shape_of_its_report(real: RealData) -> None:
    # 3.3: "670 in 2016-17 (statistical neighbours 672, England 612)", recomputed today:
    # Brent 670.0; the 2025 model's neighbours (3.3 used the 2017 model's, with Hackney and
    # Croydon); London (E12000007) 2017: 639.9; England 593.7.
    sentence = _brent(real, "children_in_need_rate").sentence(2017)
    assert sentence.startswith(
        "Children in need per 10,000 children: Brent Council 670.0 in 2016-17 (statistical "
        "neighbours "
    )
    assert sentence.endswith(", London 639.9, England 593.7).")


def test_the_region_of_an_outer_london_borough_is_london(real: RealData) -> None:
    # EES gives Brent the region E13000002 (Outer London); the region compared is London
    # (E12000007). d3, 2017, London: 1,470 of 9,910, published 14.8.
    series = _brent(real, "second_or_subsequent_plans")
    assert series.region_name == "London"
    row = series.row_for(2017)
    assert row is not None and row.region.value == Fraction("14.8")


def test_the_change_since_the_start_beside_the_neighbours_and_the_years_before(
    real: RealData,
) -> None:
    # SoS start 1 September 2014: first year with SoS 2014-15, the last before 2013-14.
    # d3 published %, 2014 → 2025: Brent 8.6 → 14.8 = +6.2; England 15.8 → 24.5 = +8.7;
    # London 13.0 → 19.2 = +6.2. Neighbours (2014 → 2025): Ealing 14.1→15.1 +1.0, Newham
    # 16.3→17.7 +1.4, Hounslow 9.7→20.5 +10.8, Haringey 12.5→24.9 +12.4, Luton 24.6→23.6
    # −1.0, Slough 19.3→21 +1.7, Barking and Dagenham 11.5→17 +5.5, Enfield 10.5→18.2 +7.7,
    # Waltham Forest 12→31.5 +19.5, Redbridge 11.8→15.1 +3.3: sum 62.3, mean +6.23 → +6.2.
    # Before the start, 2013 → 2014 (DfE's files start in 2012-13): Brent 13.9 → 8.6 = −5.3;
    # neighbours −6.1 +1.9 −9.9 +7.9 +4.3 +5.3 +9.0 −7.3 −0.3 −0.6 = +4.2, mean +0.42 → +0.4.
    series = _brent(real, "second_or_subsequent_plans")
    comparison = series.comparison
    assert comparison is not None and comparison.first_year == 2015
    since = comparison.since_start
    assert (since.from_year, since.to_year) == (2014, 2025)
    assert since.authority == Fraction("6.2")
    assert since.neighbours == Fraction("6.23") and since.neighbours_contributing == 10
    assert since.england == Fraction("8.7") and since.region == Fraction("6.2")
    before = comparison.before_start
    assert before is not None and (before.from_year, before.to_year) == (2013, 2014)
    assert before.authority == Fraction("-5.3") and before.neighbours == Fraction("0.42")
    assert comparison.judgement is None  # no direction set: no judgement
    words = " ".join(series.comparison_sentences())
    assert "From 2013-14, the last year before Signs of Safety started (1 September 2014)" in (
        words
    )
    assert "Brent Council +6.2 percentage points; its statistical neighbours +6.2" in words
    assert "Before the start, from 2012-13 to 2013-14: Brent Council -5.3" in words
    assert "better" not in words and "worse" not in words


def test_a_judgement_only_once_the_authority_sets_a_direction(real: RealData) -> None:
    # Children in need per 10,000, 2013-14 → 2024-25: Brent 3,114 / 73,068 = 426.18 →
    # 5,006 / 75,001 = 667.46, up; its neighbours' mean went down. Lower is better: worse
    # than the neighbours' change; higher is better: better.
    indicator = "children_in_need_rate"
    assert _brent(real, indicator).comparison.judgement is None  # type: ignore[union-attr]
    try:
        set_outcome_direction(real.db, real.brent_lead, real.brent, indicator, "lower")
        lower = _brent(real, indicator)
        assert lower.comparison is not None and lower.comparison.judgement == "worse"
        assert lower.comparison.since_start.authority > 0  # type: ignore[operator]
        assert lower.comparison.since_start.neighbours < 0  # type: ignore[operator]
        assert "worse than its neighbours' change" in " ".join(lower.comparison_sentences())
        set_outcome_direction(real.db, real.brent_lead, real.brent, indicator, "higher")
        assert _brent(real, indicator).comparison.judgement == "better"  # type: ignore[union-attr]
    finally:
        set_outcome_direction(real.db, real.brent_lead, real.brent, indicator, None)
    assert _brent(real, indicator).comparison.judgement is None  # type: ignore[union-attr]


def test_looked_after_uses_dfes_published_rate(real: RealData) -> None:
    # cla, 2025, Brent, looked after on 31 March: 296 children, population 75,001, published
    # rate 39 (296 / 75,001 × 10,000 = 39.47). England: 81,770 of 12,183,016, published 67.
    series = _brent(real, "looked_after_rate")
    row = series.row_for(2025)
    assert row is not None
    figures: tuple[object, ...] = (
        row.authority.value,
        row.authority.numerator,
        row.authority.denominator,
    )
    assert figures == (
        39,
        296,
        75001,
    )
    assert series.shown(row.england.value) == "67"
    assert [r.label for r in series.rows] == ["2020-21", "2021-22", "2022-23", "2023-24", "2024-25"]
    # No figure for 2013-14 in this file: no comparison, and it says why.
    assert series.comparison is None
    assert "No figure for 2013-14" in series.comparison_note
