"""Outcomes and enablers beside the implementation: DfE's indicators (children in need,
referrals and re-referrals, child protection plans, children looked after) for the
authority, its statistical neighbours, its region and England, with the change since the
Signs of Safety start beside the neighbours' change: association, not effect.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.outcomes.indicators import (
    POPULATION,
    IndicatorDefinition,
    IndicatorFile,
    PopulationConvention,
    indicator_definitions,
    parse_indicators,
)
from sos_workforce.outcomes.report import (
    CAUTION,
    CAUTION_HEADING,
    FICTIONAL,
    OutcomeReport,
    outcome_report,
    set_outcome_direction,
)
from sos_workforce.outcomes.series import (
    DIRECTIONS,
    HIGHER,
    LOWER,
    NOT_AVAILABLE,
    Change,
    Comparison,
    Figure,
    IndicatorSeries,
    NeighbourMean,
    YearRow,
    build_series,
    first_year_with_sos,
)

__all__ = [
    "CAUTION",
    "CAUTION_HEADING",
    "Change",
    "Comparison",
    "DIRECTIONS",
    "FICTIONAL",
    "Figure",
    "HIGHER",
    "IndicatorDefinition",
    "IndicatorFile",
    "IndicatorSeries",
    "LOWER",
    "NOT_AVAILABLE",
    "NeighbourMean",
    "OutcomeReport",
    "POPULATION",
    "PopulationConvention",
    "YearRow",
    "build_series",
    "first_year_with_sos",
    "indicator_definitions",
    "outcome_report",
    "parse_indicators",
    "set_outcome_direction",
]
