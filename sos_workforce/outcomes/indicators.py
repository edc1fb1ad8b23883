"""Outcome indicators as data (``indicators.yaml``): which DfE file and columns, numerator
and denominator, per 10,000 children with the population convention, the unit, and
whether DfE publishes the figure itself. Validated by pydantic; errors name the file, the
line, the field and why (as instrument files do)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sos_workforce.dfe import known_sources, year_label
from sos_workforce.surveys import Code, parse_yaml_model

POPULATION = "population"  # the denominator that means the ONS estimate of children
Unit = Literal["percent", "per_10000"]
Period = Literal["reporting_year", "mid_year"]
SCALE: dict[str, int] = {"percent": 100, "per_10000": 10_000}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_columns(source_key: str, columns: dict[str, str | None]) -> None:
    try:
        source = known_sources().get(source_key)
    except KeyError:
        raise ValueError(f"'{source_key}' is not a DfE file in dfe/sources.yaml") from None
    kept = {m.lower() for m in source.measures}
    for field, column in columns.items():
        if column is not None and column.lower() not in kept:
            raise ValueError(f"{field} '{column}' is not a column kept from '{source_key}'")


class PopulationConvention(_Strict):
    """Where the children's population for a rate per 10,000 comes from."""

    source: Code
    measure: str
    breakdown: str | None = None
    period: Period
    year_offset: int = Field(ge=-2, le=0)

    @model_validator(mode="after")
    def _known(self) -> PopulationConvention:
        _check_columns(self.source, {"measure": self.measure})
        return self

    def year_for(self, reporting_year: int) -> int:
        return reporting_year + self.year_offset

    def describe(self, reporting_year: int) -> str:
        year = self.year_for(reporting_year)
        return f"mid-{year}" if self.period == "mid_year" else year_label(year)


class IndicatorDefinition(_Strict):
    id: Code = Field(max_length=60)
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=500)
    source: Code
    breakdown: str | None = Field(default=None, max_length=120)
    period: Period
    numerator: str
    denominator: str
    unit: Unit
    places: int = Field(ge=0, le=2)
    published: str | None = None

    @model_validator(mode="after")
    def _known(self) -> IndicatorDefinition:
        columns = {"numerator": self.numerator, "published": self.published}
        if self.denominator != POPULATION:
            columns["denominator"] = self.denominator
        _check_columns(self.source, columns)
        return self

    @property
    def per_population(self) -> bool:
        return self.denominator == POPULATION

    @property
    def measures(self) -> set[str]:
        columns = {
            self.numerator,
            self.published,
            None if self.per_population else self.denominator,
        }
        return {column for column in columns if column is not None}

    @property
    def unit_text(self) -> str:
        return "%" if self.unit == "percent" else " per 10,000"

    @property
    def change_unit(self) -> str:
        return " percentage points" if self.unit == "percent" else " per 10,000"

    def year_text(self, year: int) -> str:
        return year_label(year) if self.period == "reporting_year" else f"mid-{year}"


class IndicatorFile(_Strict):
    version: int = Field(ge=1)
    population: PopulationConvention
    indicators: list[IndicatorDefinition] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> IndicatorFile:
        ids = [indicator.id for indicator in self.indicators]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"indicator ids must be unique: {repeated}")
        return self

    def get(self, indicator_id: str) -> IndicatorDefinition:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)


def parse_indicators(text: str, source: str = "indicators.yaml") -> IndicatorFile:
    """Validate an indicators file; ``InvalidInput`` lists each problem with its line."""
    return parse_yaml_model(text, source, IndicatorFile)


@cache
def indicator_definitions() -> IndicatorFile:
    """The indicators shipped with the package."""
    text = resources.files("sos_workforce.outcomes").joinpath("indicators.yaml")
    return parse_indicators(text.read_text("utf-8"), "sos_workforce/outcomes/indicators.yaml")
