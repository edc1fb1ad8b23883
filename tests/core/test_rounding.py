"""The one rounding rule: half up on the decimal people read, written with exactly the
decimals asked for (core/figures.py: half_up, shown, change, spread_of)."""

from __future__ import annotations

import math
import statistics
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sos_workforce.core.figures import (
    Spread,
    as_shown,
    change,
    exact,
    exact_sum,
    half_up,
    percent,
    spread_of,
)


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (6.25, 1, 6.3),  # 1 leaver in 16 FTE; round() gives 6.2 (half to even)
        (6.35, 1, 6.4),  # 6.35 is 6.3499999… in binary; round() gives 6.3
        (0.05, 1, 0.1),  # round() gives 0.1 here only by luck of the binary value
        (0.15, 1, 0.2),  # binary 0.1499999…; round() gives 0.1
        (2.675, 2, 2.68),  # binary 2.67499999…; round() gives 2.67
        (2.675, 1, 2.7),
        (2.5, 0, 3.0),  # round() gives 2
        (0.5, 0, 1.0),  # round() gives 0
        (1.005, 2, 1.01),
        (-6.25, 1, -6.3),  # halves go away from zero
        (-2.5, 0, -3.0),
        (-0.04, 1, 0.0),  # never minus zero
        (7, 1, 7.0),
        (Fraction(1, 16) * 100, 1, 6.3),
        (Fraction(1, 3), 2, 0.33),
        (Decimal("6.25"), 1, 6.3),
    ],
)
def test_half_up(value: float | Fraction | Decimal, places: int, expected: float) -> None:
    assert half_up(value, places) == expected


def test_half_up_leaves_nan_alone() -> None:
    assert math.isnan(half_up(float("nan")))


@pytest.mark.parametrize(
    ("value", "places", "options", "expected"),
    [
        (6.25, 1, {}, "6.3"),
        (6.25, 1, {"unit": "%"}, "6.3%"),
        (6.0, 1, {}, "6.0"),  # exactly ``places`` decimals, padded
        (6, 2, {}, "6.00"),
        (0.05, 1, {}, "0.1"),
        (0.05, 0, {}, "0"),
        (0.5, 0, {"unit": "%"}, "1%"),
        (72.45, 0, {}, "72"),
        (2.675, 2, {}, "2.68"),
        (-6.25, 1, {}, "-6.3"),
        (-0.04, 1, {}, "0.0"),  # not "-0.0"
        (1.25, 1, {"signed": True}, "+1.3"),
        (-1.25, 1, {"signed": True}, "-1.3"),
        (0.0, 1, {"signed": True}, "+0.0"),
        (None, 1, {}, "–"),
        (None, 1, {"missing": "not available"}, "not available"),
        (float("nan"), 1, {"unit": "%"}, "–"),
        (Fraction(25, 4), 1, {}, "6.3"),
        (123456.75, 1, {}, "123456.8"),
    ],
)
def test_as_shown(
    value: float | Fraction | None, places: int, options: dict[str, object], expected: str
) -> None:
    assert as_shown(value, places, **options) == expected  # type: ignore[arg-type]


def test_change_is_worked_on_the_decimals_shown() -> None:
    assert 7.3 - 6.1 != 1.2 and change(7.3, 6.1) == 1.2
    assert change(6.3, 6.25) == 0.1 and change(6.2, 6.25) == -0.1


def test_exact_reads_a_float_as_its_decimal() -> None:
    assert exact(0.1) == Fraction(1, 10) and exact(6.25) == Fraction(25, 4)
    assert sum([0.8] * 16) != 12.8 and exact_sum([0.8] * 16) == 12.8


def test_percent_rounds_half_up_at_any_number_of_places() -> None:
    assert (percent(1, 16), percent(1, 16, 2), percent(1, 8, 0)) == (6.3, 6.25, 13.0)
    assert percent(29, 200, 0) == 15.0  # 14.5%: 0.145 * 100 is 14.499999999999998
    assert percent(3, 2) == 150.0  # more than the whole: the exact fallback


def test_spread_of_keeps_inclusive_quartiles_and_rounds_them_half_up() -> None:
    # 25, 50, 62.5, 87.5 (inclusive): lower (25 + 3 × 50) / 4 = 43.75, median 56.25,
    # upper (3 × 62.5 + 87.5) / 4 = 68.75: all exact halves, all up.
    assert spread_of([87.5, 25.0, 62.5, 50.0], minimum=3) == Spread(
        contributors=4, median=56.3, lower_quartile=43.8, upper_quartile=68.8
    )
    assert spread_of([50.0, 60.0], minimum=3) == Spread(
        contributors=2, median=None, lower_quartile=None, upper_quartile=None
    )
    # Unrounded, with the range (self-profiling scores): quarter points are exact.
    assert spread_of([2, 5, 6, 9], minimum=3, places=None, with_range=True) == Spread(
        contributors=4, median=5.5, lower_quartile=4.25, upper_quartile=6.75, low=2, high=9
    )
    # Fractions stay exact: 1/3, 1, 2 hours → median 1.0, quartiles 2/3 and 1.5.
    assert spread_of([Fraction(1, 3), 1, 2], minimum=2) == Spread(
        contributors=3, median=1.0, lower_quartile=0.7, upper_quartile=1.5
    )
    assert Spread.withheld().contributors is None


# --- against a definition in decimals --------------------------------------------------


def _by_definition(value: float, places: int) -> Decimal:
    """Half up, as the decimal the float's repr reads, by the decimal module."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


figures = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(figures, st.integers(min_value=0, max_value=3))
def test_half_up_and_shown_agree_with_the_decimal_definition(value: float, places: int) -> None:
    expected = _by_definition(value, places)
    assert half_up(value, places) == float(expected)
    text = as_shown(value, places)
    assert Decimal(text) == expected
    assert len(text.partition(".")[2]) == places
    assert not (expected == 0 and text.startswith("-"))  # no "-0.0"


@given(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=0, max_value=3),
)
def test_every_exact_half_goes_away_from_zero(units: int, places: int) -> None:
    # (units + ½) in the last place, written as people would write it.
    half = Decimal(2 * abs(units) + 1).scaleb(-places) / 2
    value = float(half.copy_sign(Decimal(units or 1)))
    expected = Decimal(abs(units) + 1).scaleb(-places).copy_sign(Decimal(units or 1))
    assert half_up(value, places) == float(expected)
    assert half_up(exact(value), places) == float(expected)


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=0, max_value=2),
)
def test_percent_agrees_with_half_up_of_the_exact_fraction(
    count: int, total: int, places: int
) -> None:
    assert percent(count, total, places) == half_up(Fraction(100 * count, total), places)


@given(
    st.lists(
        st.one_of(
            st.integers(min_value=-1000, max_value=1000),
            st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
            st.fractions(max_denominator=1000),
        ),
        min_size=2,
        max_size=40,
    )
)
def test_spread_of_has_the_inclusive_quartiles_of_statistics_quantiles(
    values: list[float | Fraction],
) -> None:
    spread = spread_of(values, minimum=2, places=None, with_range=True)
    expected = statistics.quantiles([exact(v) for v in values], n=4, method="inclusive")
    assert (spread.lower_quartile, spread.median, spread.upper_quartile) == tuple(
        float(q) for q in expected
    )
    assert spread.median == float(statistics.median([exact(v) for v in values]))
    assert (spread.low, spread.high, spread.contributors) == (
        float(min(values)),
        float(max(values)),
        len(values),
    )
    rounded = spread_of(values, minimum=2)
    assert rounded.median == half_up(statistics.median([exact(v) for v in values]))
