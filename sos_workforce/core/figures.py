"""Small statistical helpers used by every report."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

Z_95 = 1.959963984540054
_EXACT_LIMIT = 10**15  # integer rounding in ``percent`` below this total


def percent(count: int, total: int) -> float:
    """``count / total`` as a percentage rounded half-up to one decimal (6.15 → 6.2), the
    way published tables round; Python's round() would round half to even."""
    if total <= 0:
        raise ValueError("percent of an empty group")
    if type(count) is int and type(total) is int and 0 <= count <= total < _EXACT_LIMIT:
        # The same rounding in integers (benchmarks round thousands of shares): tenths,
        # half up. The Decimal division below is exact to 28 digits, and a share this
        # size is at least 1 / (20 * total) away from a half-tenth unless exactly on one,
        # so both give the same tenths; int / 10 and float(Decimal) both round correctly.
        tenths, remainder = divmod(count * 1000, total)
        return (tenths + (2 * remainder >= total)) / 10
    exact = Decimal(count) * 100 / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def wilson_interval(count: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval for a proportion, as percentages (0–100)."""
    if total <= 0:
        raise ValueError("interval of an empty group")
    p = count / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half_width) * 100, min(1.0, centre + half_width) * 100)
