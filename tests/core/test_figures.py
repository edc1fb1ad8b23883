import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sos_workforce.core.figures import percent, wilson_interval


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [
        (4, 65, 6.2),
        (14, 65, 21.5),
        (47, 65, 72.3),
        (20, 63, 31.7),
        (26, 65, 40.0),
        (1, 8, 12.5),
        (1, 16, 6.3),
        (3, 16, 18.8),
        (0, 5, 0.0),
        (5, 5, 100.0),
    ],
)
def test_percent_rounds_half_up_to_one_decimal(count: int, total: int, expected: float) -> None:
    assert percent(count, total) == expected


def test_percent_of_empty_group_is_an_error_not_zero() -> None:
    with pytest.raises(ValueError):
        percent(0, 0)


def test_wilson_interval_agrees_with_the_alternative_closed_form() -> None:
    # Wilson's interval written the other common way: (c + z²/2)/(n + z²) ± z√n/(n + z²) ·
    # √(p̂q̂ + z²/4n). For 47/65 both give 60.42% to 81.71%.
    z, count, total = 1.959963984540054, 47, 65
    p = count / total
    centre = (count + z * z / 2) / (total + z * z)
    half = z * math.sqrt(total) / (total + z * z) * math.sqrt(p * (1 - p) + z * z / (4 * total))
    low, high = wilson_interval(count, total)
    assert math.isclose(low, (centre - half) * 100, rel_tol=1e-12)
    assert math.isclose(high, (centre + half) * 100, rel_tol=1e-12)
    assert (round(low, 2), round(high, 2)) == (60.42, 81.71)


def test_wilson_interval_stays_inside_0_100_at_the_extremes() -> None:
    assert wilson_interval(0, 7)[0] == pytest.approx(0.0, abs=1e-9)
    assert wilson_interval(7, 7)[1] == pytest.approx(100.0)
    low, high = wilson_interval(0, 7)
    assert low >= 0.0
    assert 0 < high < 50


def _decimal_percent(count: float, total: int) -> float:
    """The definition: Decimal division, quantised half up to one decimal."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(count) * 100 / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@given(st.data())
def test_percent_in_integers_equals_the_decimal_definition(data: st.DataObject) -> None:
    total = data.draw(st.one_of(st.integers(1, 2_000), st.integers(1, 10**15 - 1)))
    count = data.draw(st.integers(0, total))
    assert percent(count, total) == _decimal_percent(count, total)


def test_percent_at_every_half_tenth_and_outside_the_integer_range() -> None:
    for total in (8, 16, 40, 80, 200, 400, 2_000):
        for count in range(total + 1):
            assert percent(count, total) == _decimal_percent(count, total)
    # Outside the integer path: a count above the total, totals past 10**15, a float count
    # (which percent's annotation refuses) and a negative count.
    unusual: list[tuple[float, int]] = [(3, 2), (10**15, 10**15 + 1), (7.0, 8), (-1, 8)]
    for share, whole in unusual:
        assert percent(share, whole) == _decimal_percent(share, whole)  # type: ignore[arg-type]
