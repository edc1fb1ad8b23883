"""The indicators file: the shipped one is valid, and a wrong one is refused naming the
file, the line, the field and why."""

from __future__ import annotations

import pytest

from sos_workforce.core.errors import InvalidInput
from sos_workforce.outcomes import indicator_definitions, parse_indicators

GOOD = """\
version: 1
population:
  source: population
  measure: population_estimate
  breakdown: Children aged 0 to 17 years
  period: mid_year
  year_offset: -1
indicators:
  - id: children_in_need_rate
    label: Children in need per 10,000 children
    description: Children in need at any point in the year.
    source: children_in_need
    period: reporting_year
    numerator: Anypoint_child
    denominator: population
    unit: per_10000
    places: 1
"""


def test_the_shipped_indicators_are_valid_and_say_their_conventions() -> None:
    definitions = indicator_definitions()
    assert [d.id for d in definitions.indicators] == [
        "children_in_need_rate",
        "referral_rate",
        "rereferral_percent",
        "child_protection_plan_rate",
        "second_or_subsequent_plans",
        "looked_after_rate",
    ]
    population = definitions.population
    # 2016-17 (time_period 2017) uses the mid-2016 estimate (time_period 2016).
    assert population.year_for(2017) == 2016 and population.describe(2017) == "mid-2016"
    published = {d.id: d.published for d in definitions.indicators}
    assert published["second_or_subsequent_plans"] == "CPP_subsequent_percent"
    assert published["children_in_need_rate"] is None  # DfE's b1 has no rate: worked out
    assert definitions.get("looked_after_rate").breakdown == (
        "Children looked after on 31 March each year"
    )
    assert parse_indicators(GOOD).indicators[0].year_text(2017) == "2016-17"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("numerator: Anypoint_child", "numerator: Anypoint_children"),
            "line 9: indicators[0]: Value error, numerator 'Anypoint_children' is not a "
            "column kept from 'children_in_need'",
        ),
        (
            ("source: children_in_need", "source: schools"),
            "line 9: indicators[0]: Value error, 'schools' is not a DfE file",
        ),
        (("unit: per_10000", "unit: per_1000"), "line 16: indicators[0].unit: Input should be"),
        (("places: 1", "places: 5"), "line 17: indicators[0].places: Input should be less"),
        (("year_offset: -1", "year_offset: 1"), "line 7: population.year_offset"),
    ],
)
def test_a_wrong_definition_is_refused_with_its_line(
    change: tuple[str, str], expected: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_indicators(GOOD.replace(*change), "indicators.yaml")
    assert f"indicators.yaml {expected}" in str(refused.value)


def test_indicator_ids_are_unique() -> None:
    twice = GOOD + GOOD.split("indicators:\n", 1)[1]
    with pytest.raises(InvalidInput, match="indicator ids must be unique"):
        parse_indicators(twice)
