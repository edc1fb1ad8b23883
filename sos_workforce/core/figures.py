"""Small statistical helpers used by every report, and the one rounding rule.

Every figure shown or exported is rounded half up (6.25 → 6.3), the way published tables
round, by ``half_up`` and written by ``as_shown``; Python's round() and format specs such as
``:.1f`` round half to even on the binary value (6.25 → 6.2) and are not used on figures
(tests/static/test_rounding_rule.py). A float is rounded as the decimal people read for it
(its shortest repr: 2.675 is 2.675, not 2.67499999…); an int, Fraction or Decimal exactly.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from typing import cast

Z_95 = 1.959963984540054
_EXACT_LIMIT = 10**15  # integer rounding in ``percent`` below this total
# Enough digits for any float at any of the few decimals shown (1e308 to 0.01).
_DECIMALS = Context(prec=400, rounding=ROUND_HALF_UP)

Figure = int | float | Decimal | Fraction
# Vega-Lite (d3) tooltip format for a chart column already rounded by half_up or percent:
# it pads to one decimal (6 → "6.0") and has nothing left to round.
ROUNDED_TOOLTIP = ".1f"


def exact(value: Figure) -> Fraction:
    """A figure as an exact fraction: a float as the decimal its repr reads (0.1 → 1/10),
    so sums and ratios of entered figures (16 × 0.8 FTE) come out as people would work them."""
    if isinstance(value, Fraction):
        return value
    return Fraction(_decimal(value))


def _decimal(value: int | float | Decimal) -> Decimal:
    """An int or Decimal exactly; a float as the decimal its repr reads."""
    if isinstance(value, int | Decimal):
        return Decimal(value)
    return Decimal(repr(float(value)))  # float() also takes numpy floats


def exact_total(values: Iterable[Figure]) -> Fraction:
    """The sum of figures as people would add them: 16 × 0.8 FTE is 12.8, where a float
    sum gives 12.800000000000002 (and 1 / that, 6.2499…%, would round down)."""
    decimals, fractions = Decimal(0), Fraction(0)
    for value in values:
        if isinstance(value, Fraction):
            fractions += value
        else:  # decimals add exactly at this precision, and quicker than fractions
            decimals = _DECIMALS.add(decimals, _decimal(value))
    return Fraction(decimals) + fractions


def exact_sum(values: Iterable[Figure]) -> float:
    """``exact_total`` as a float (12.8, not 12.800000000000002)."""
    return float(exact_total(values))


@functools.cache
def _step(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _rounded(value: Figure, places: int) -> Decimal:
    """``value`` rounded half up (halves away from zero) to ``places`` decimals, exactly."""
    if isinstance(value, Fraction):
        scaled = abs(value) * 10**places
        units = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
        result = Decimal(-units if value < 0 else units).scaleb(-places, context=_DECIMALS)
    else:
        result = _decimal(value).quantize(_step(places), context=_DECIMALS)
    return result.copy_abs() if result.is_zero() else result  # never "-0.0"


def half_up(value: Figure, places: int = 1) -> float:
    """``value`` rounded half up to ``places`` decimals: 6.25 → 6.3, 2.675 → 2.68 at two
    places, -6.25 → -6.3 (halves away from zero). NaN stays NaN."""
    if isinstance(value, float) and math.isnan(value):
        return value
    return float(_rounded(value, places))


def as_shown(
    value: Figure | None,
    places: int = 1,
    unit: str = "",
    missing: str = "–",
    *,
    signed: bool = False,
) -> str:
    """A figure as people read it: rounded by ``half_up`` and written with exactly
    ``places`` decimals, then ``unit`` ("6.3%"); ``signed`` for a change ("+1.3");
    ``missing`` for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return f"{_rounded(value, places):{'+' if signed else ''}f}{unit}"


def change(new: Figure, old: Figure, places: int = 1) -> float:
    """The change between two figures, worked exactly (7.3 − 6.1 is 1.2, not
    1.2000000000000002) and rounded half up."""
    return half_up(exact(new) - exact(old), places)


def percent(count: int, total: int, places: int = 1) -> float:
    """``count / total`` as a percentage rounded half up to ``places`` decimals (6.15 →
    6.2), the way published tables round; Python's round() would round half to even."""
    if total <= 0:
        raise ValueError("percent of an empty group")
    if type(count) is int and type(total) is int and 0 <= count <= total < _EXACT_LIMIT:
        # Half up in integers (benchmarks round thousands of shares): the quotient in
        # units of the last decimal, plus one when the remainder is at least half; int /
        # 10**places then rounds correctly to the nearest float.
        scale: int = 10**places
        units, remainder = divmod(count * 100 * scale, total)
        return (units + (2 * remainder >= total)) / scale
    return half_up(exact(count) * 100 / exact(total), places)


def wilson_interval(count: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval for a proportion, as percentages (0–100)."""
    if total <= 0:
        raise ValueError("interval of an empty group")
    p = count / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half_width) * 100, min(1.0, centre + half_width) * 100)


@dataclass(frozen=True, kw_only=True)
class Spread:
    """Median and quartiles of a group's figures (inclusive method, as Excel's
    QUARTILE.INC), with how many figures contribute. The figures are None when the group
    is too small to show; ``contributors`` too when even the size is withheld."""

    contributors: int | None
    median: float | None
    lower_quartile: float | None
    upper_quartile: float | None
    low: float | None = None  # the range, only where the caller shows it
    high: float | None = None

    @classmethod
    def withheld(cls) -> Spread:
        """Nothing shown, not even how many contribute."""
        return cls(contributors=None, median=None, lower_quartile=None, upper_quartile=None)


def spread_of(
    values: Sequence[Figure],
    *,
    minimum: int,
    places: int | None = 1,
    with_range: bool = False,
) -> Spread:
    """The ``Spread`` of ``values``: figures only from ``minimum`` values (at least two),
    worked exactly and rounded half up to ``places`` decimals (None: unrounded, e.g. the
    quarter points between whole-number scores). ``with_range`` adds the lowest and highest.

    Quartiles by the inclusive method of ``statistics.quantiles(values, n=4,
    method="inclusive")``, interpolated exactly between the two values around each."""
    if len(values) < max(minimum, 2):
        return Spread(
            contributors=len(values), median=None, lower_quartile=None, upper_quartile=None
        )
    ordered: Sequence[Figure]
    if all(type(v) is float or type(v) is int for v in values):
        # Plain numbers sort as the decimals they read as (repr is monotonic), so only the
        # values around each quartile need to be made exact (a benchmark sorts thousands).
        ordered = sorted(cast("list[float]", values))
    elif any(isinstance(v, Fraction) for v in values):
        # Fractions compare slowly: by their floats first, exactly only between equals.
        ordered = sorted((exact(v) for v in values), key=lambda v: (float(v), v))
    else:  # decimals are exact here, and quicker
        ordered = sorted(_decimal(v) for v in values if not isinstance(v, Fraction))
    last = len(ordered) - 1
    quartiles = []
    for quarter in (1, 2, 3):
        below, weight = divmod(quarter * last, 4)
        exact_below, exact_above = exact(ordered[below]), exact(ordered[below + 1])
        quartiles.append((exact_below * (4 - weight) + exact_above * weight) / 4)
    lower, median, upper = (float(q) if places is None else half_up(q, places) for q in quartiles)
    return Spread(
        contributors=len(values),
        median=median,
        lower_quartile=lower,
        upper_quartile=upper,
        low=float(min(values)) if with_range else None,
        high=float(max(values)) if with_range else None,
    )
