"""Working out an indicator's series from DfE's published figures: the authority, each
statistical neighbour and their mean, the region and England, per year; then the change
since the Signs of Safety start beside the neighbours' change over the same years.

Pure functions of the figures (no database), so each rule is tested on its own. Every
figure is exact (a published cell as the decimal DfE printed, a rate as a fraction) and
rounded half up only when shown (``core.figures``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

import pandas as pd

from sos_workforce.core.figures import as_shown, exact, half_up
from sos_workforce.dfe import (
    BLANK,
    LOCAL_AUTHORITY,
    NATIONAL,
    REGIONAL,
    SUB_REGIONS,
    SYMBOLS,
    ModelNeighbour,
    PublishedFigure,
)
from sos_workforce.outcomes.indicators import SCALE, IndicatorDefinition, PopulationConvention

NOT_AVAILABLE = "not available"
NO_ROW = "none"  # the area has no row that year (before a merger, or not yet in the file)
NO_POPULATION = "population"  # no population estimate to divide by
HIGHER, LOWER = "higher", "lower"
DIRECTIONS = {HIGHER: "Higher is better", LOWER: "Lower is better"}

# Why a figure is not available, for the notes under a table.
REASONS: dict[str, str] = {
    **{code: f"DfE code {code}: {meaning}" for code, meaning in SYMBOLS.items()},
    BLANK: "blank in DfE's file",
    NO_ROW: "not in DfE's file for that year (for example before or after a merger)",
    NO_POPULATION: "no population estimate for the year before",
}

AreaKey = tuple[str, str]  # ("la", old or new LA code) | ("region", code) | ("england", "")


@dataclass(frozen=True)
class Figure:
    """One area's figure for one year: an exact value, or None and why (``symbol``). The
    numerator and denominator are the cells it was worked from (None where DfE gave a code)."""

    value: Fraction | None
    symbol: str | None = None
    numerator: float | None = None
    denominator: float | None = None

    @property
    def available(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class NeighbourMean:
    """The mean of the neighbours' figures that year, as DfE's LAIT tool shows it: merged or
    missing authorities drop out, and ``contributors`` of ``neighbours`` say how many."""

    value: Fraction | None
    contributors: int
    neighbours: int


@dataclass(frozen=True)
class YearRow:
    year: int
    label: str
    authority: Figure
    neighbours: NeighbourMean
    region: Figure
    england: Figure
    each_neighbour: tuple[Figure, ...]  # in the model's order, nearest first


@dataclass(frozen=True)
class Change:
    """The change between two years for the authority, its neighbours (the mean change of
    the neighbours with a figure in both years), the region and England."""

    from_year: int
    to_year: int
    authority: Fraction | None
    neighbours: Fraction | None
    neighbours_contributing: int
    region: Fraction | None
    england: Fraction | None


@dataclass(frozen=True)
class Comparison:
    """The change since the SoS start beside the neighbours' change over the same years, and
    the same span before the start. ``judgement`` only when a direction is set."""

    start_date: dt.date
    first_year: int  # the first reporting year with SoS in it
    since_start: Change
    before_start: Change | None
    direction: str | None
    judgement: str | None  # "better" | "worse" | "same" (than the neighbours' change)


@dataclass(frozen=True)
class IndicatorSeries:
    definition: IndicatorDefinition
    authority_name: str
    region_name: str
    neighbour_names: tuple[str, ...]
    rows: tuple[YearRow, ...]
    comparison: Comparison | None
    comparison_note: str  # why there is no comparison, or ""
    direction: str | None
    population_note: str  # how the population is chosen, for per-10,000 indicators

    # --- words and numbers as shown ----------------------------------------------------

    def shown(self, value: Fraction | None) -> str:
        definition = self.definition
        unit = "%" if definition.unit == "percent" else ""
        return as_shown(value, definition.places, unit, missing=NOT_AVAILABLE)

    def shown_change(self, value: Fraction | None) -> str:
        if value is None:
            return NOT_AVAILABLE
        return as_shown(value, self.definition.places, signed=True) + self.definition.change_unit

    def row_for(self, year: int) -> YearRow | None:
        return next((row for row in self.rows if row.year == year), None)

    @property
    def latest(self) -> YearRow | None:
        """The latest year with a figure for the authority (else the latest year)."""
        with_figure = [row for row in self.rows if row.authority.available]
        candidates = with_figure or list(self.rows)
        return candidates[-1] if candidates else None

    def sentence(self, year: int | None = None) -> str:
        """In the shape of Brent's report: "670.0 in 2016-17 (statistical neighbours
        672.0, London 643.0, England 593.7)"."""
        row = self.latest if year is None else self.row_for(year)
        if row is None:
            when = "yet" if year is None else f"for {self.definition.year_text(year)}"
            return f"{self.definition.label}: no figures {when}."
        own = row.authority
        value = self.shown(own.value) if own.available else NOT_AVAILABLE
        neighbours = row.neighbours
        beside = [f"statistical neighbours {self.shown(neighbours.value)}"]
        if neighbours.value is not None and neighbours.contributors < neighbours.neighbours:
            beside[0] += f" (mean of {neighbours.contributors} of {neighbours.neighbours})"
        if self.region_name:
            beside.append(f"{self.region_name} {self.shown(row.region.value)}")
        beside.append(f"England {self.shown(row.england.value)}")
        return (
            f"{self.definition.label}: {self.authority_name} {value} in {row.label} "
            f"({', '.join(beside)})."
        )

    def comparison_sentences(self) -> list[str]:
        comparison = self.comparison
        if comparison is None:
            return [self.comparison_note] if self.comparison_note else []
        since = comparison.since_start
        text = self.definition.year_text
        sentences = [
            f"From {text(since.from_year)}, the last year before Signs of Safety started "
            f"({long_date(comparison.start_date)}), to {text(since.to_year)}: "
            f"{self.authority_name} {self.shown_change(since.authority)}; its statistical "
            f"neighbours {self.shown_change(since.neighbours)} on average "
            f"({since.neighbours_contributing} with figures in both years); "
            + (
                f"{self.region_name} {self.shown_change(since.region)}; "
                if self.region_name
                else ""
            )
            + f"England {self.shown_change(since.england)}."
        ]
        before = comparison.before_start
        if before is None:
            sentences.append("DfE's files have no figures from before that year to compare.")
        else:
            sentences.append(
                f"Before the start, from {text(before.from_year)} to {text(before.to_year)}: "
                f"{self.authority_name} {self.shown_change(before.authority)}; its statistical "
                f"neighbours {self.shown_change(before.neighbours)} on average "
                f"({before.neighbours_contributing} with figures in both years)."
            )
        if comparison.judgement is not None and comparison.direction is not None:
            how = {
                "better": "better than its neighbours' change",
                "worse": "worse than its neighbours' change",
                "same": "the same as its neighbours' change",
            }[comparison.judgement]
            sentences.append(
                f"{DIRECTIONS[comparison.direction]} (as {self.authority_name} has set): the "
                f"change since the start is {how}. Association, not effect."
            )
        return sentences

    def table(self) -> pd.DataFrame:
        """Years × the authority (with what it was worked from), the neighbours' mean and
        how many contributed, the region and England: the numbers beside the chart."""
        definition = self.definition
        records = []
        for row in self.rows:
            own = row.authority
            record = {
                "Year": row.label,
                self.authority_name: self.shown(own.value),
                "Numerator": _count(own.numerator),
                "Denominator": _count(own.denominator),
                "Statistical neighbours (mean)": self.shown(row.neighbours.value),
                "Neighbours contributing": (
                    f"{row.neighbours.contributors} of {row.neighbours.neighbours}"
                ),
            }
            if self.region_name:
                record[self.region_name] = self.shown(row.region.value)
            record["England"] = self.shown(row.england.value)
            records.append(record)
        frame = pd.DataFrame.from_records(records)
        if frame.empty:
            return frame
        frame = frame.set_index("Year")
        frame.columns.name = definition.label
        return frame

    def neighbour_table(self) -> pd.DataFrame:
        """Years × each statistical neighbour: the figures behind the mean."""
        records = [
            {
                "Year": row.label,
                **{
                    name: self.shown(figure.value)
                    for name, figure in zip(self.neighbour_names, row.each_neighbour, strict=True)
                },
            }
            for row in self.rows
        ]
        frame = pd.DataFrame.from_records(records)
        return frame.set_index("Year") if not frame.empty else frame

    def chart_frame(self) -> pd.DataFrame:
        """Long rows for the chart: year end, series and the figure as shown (rounded half
        up, so the chart and the table agree); years without a figure are left out."""
        records = []
        for row in self.rows:
            series = [
                (self.authority_name, row.authority.value),
                ("Statistical neighbours (mean)", row.neighbours.value),
                *([(self.region_name, row.region.value)] if self.region_name else []),
                ("England", row.england.value),
            ]
            for name, value in series:
                if value is None:
                    continue
                records.append(
                    {
                        "year_end": pd.Timestamp(_year_end(row.year, self.definition)),
                        "year": row.label,
                        "series": name,
                        "value": half_up(value, self.definition.places),
                        "shown": self.shown(value),
                    }
                )
        return pd.DataFrame.from_records(
            records, columns=["year_end", "year", "series", "value", "shown"]
        )

    def not_available_notes(self) -> list[str]:
        """Why each figure marked "not available" is so (the authority, region, England)."""
        notes = []
        for row in self.rows:
            for name, figure in (
                (self.authority_name, row.authority),
                (self.region_name, row.region),
                ("England", row.england),
            ):
                if name and not figure.available:
                    reason = REASONS.get(figure.symbol or NO_ROW, figure.symbol or "")
                    notes.append(f"{name}, {row.label}: not available ({reason}).")
        return notes


def long_date(day: dt.date) -> str:
    """A date as people write it: 1 September 2014."""
    return f"{day.day} {day:%B %Y}"


def _count(value: float | None) -> str:
    """A count as printed, with thousands separators (counts are whole numbers)."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return as_shown(value)


def _year_end(year: int, definition: IndicatorDefinition) -> dt.date:
    """Where a year's point sits on a time axis: 31 March for a reporting year, 30 June for
    a mid-year estimate."""
    return dt.date(year, 3, 31) if definition.period == "reporting_year" else dt.date(year, 6, 30)


def first_year_with_sos(start: dt.date) -> int:
    """The first reporting year (ending 31 March) with Signs of Safety in it: a start on
    1 September 2014 falls in 2014-15 (2015); the year before it is the last without."""
    return start.year + 1 if start >= dt.date(start.year, 4, 1) else start.year


# --- from published figures to a series --------------------------------------------------


class _Cells:
    """Published cells by area and year: {measure: figure}."""

    def __init__(self, figures: Iterable[PublishedFigure], breakdown: str | None) -> None:
        self.by_area: dict[AreaKey, dict[int, dict[str, PublishedFigure]]] = {}
        self.region_of: dict[str, tuple[int, str]] = {}  # LA code → (year, region code)
        self.names: dict[AreaKey, str] = {}
        self.breakdowns: set[str] = set()
        for figure in figures:
            if breakdown is not None and figure.breakdown != breakdown:
                continue
            self.breakdowns.add(figure.breakdown)
            for key in _keys(figure):
                cells = self.by_area.setdefault(key, {}).setdefault(figure.time_period, {})
                cells[figure.measure] = figure
                self.names.setdefault(key, figure.area_name)
            if figure.level == LOCAL_AUTHORITY and figure.region_code:
                for code in filter(None, (figure.old_la_code, figure.area_code)):
                    seen = self.region_of.get(code)
                    if seen is None or seen[0] < figure.time_period:
                        self.region_of[code] = (figure.time_period, figure.region_code)

    def years(self) -> list[int]:
        return sorted({year for cells in self.by_area.values() for year in cells})

    def get(self, key: AreaKey, year: int) -> dict[str, PublishedFigure] | None:
        return self.by_area.get(key, {}).get(year)


def _keys(figure: PublishedFigure) -> list[AreaKey]:
    if figure.level == NATIONAL:
        return [("england", "")]
    if figure.level == REGIONAL:
        return [("region", figure.area_code)]
    keys = [("la", figure.area_code)]
    if figure.old_la_code and figure.old_la_code != figure.area_code:
        keys.append(("la", figure.old_la_code))
    return keys


def _figure(
    definition: IndicatorDefinition,
    cells: Mapping[str, PublishedFigure] | None,
    population: PublishedFigure | None,
) -> Figure:
    if cells is None:
        return Figure(None, NO_ROW)
    numerator = cells.get(definition.numerator)
    denominator = population if definition.per_population else cells.get(definition.denominator)
    worked_from = {
        "numerator": numerator.value if numerator else None,
        "denominator": denominator.value if denominator else None,
    }
    if definition.published is not None:
        published = cells.get(definition.published)
        if published is None:
            return Figure(None, NO_ROW, **worked_from)
        if published.value is None:
            return Figure(None, published.symbol, **worked_from)
        return Figure(exact(published.value), None, **worked_from)
    if numerator is None or numerator.value is None:
        return Figure(None, numerator.symbol if numerator else NO_ROW, **worked_from)
    if denominator is None or denominator.value is None:
        missing = NO_POPULATION if definition.per_population else NO_ROW
        return Figure(None, denominator.symbol if denominator else missing, **worked_from)
    if denominator.value <= 0:
        return Figure(None, "z", **worked_from)  # nothing to divide by: not applicable
    value = exact(numerator.value) * SCALE[definition.unit] / exact(denominator.value)
    return Figure(value, None, **worked_from)


def _mean(values: Sequence[Fraction]) -> Fraction | None:
    return sum(values, Fraction(0)) / len(values) if values else None


def build_series(
    definition: IndicatorDefinition,
    population_convention: PopulationConvention,
    figures: Iterable[PublishedFigure],
    population: Iterable[PublishedFigure],
    *,
    authority: AreaKey,
    authority_name: str,
    neighbours: Sequence[ModelNeighbour],
    start_date: dt.date | None,
    direction: str | None,
) -> IndicatorSeries:
    """The indicator per year for the authority, each neighbour, their mean, the region
    (the authority's region in the file; London for Inner and Outer London) and England."""
    cells = _Cells(figures, definition.breakdown)
    people = _Cells(population, population_convention.breakdown)
    region_code = _region(cells, people, authority)
    region_key: AreaKey = ("region", region_code or "")
    region_name = cells.names.get(region_key) or people.names.get(region_key) or ""
    neighbour_keys: list[AreaKey] = [("la", n.old_la_code) for n in neighbours]

    def figure_for(key: AreaKey, year: int) -> Figure:
        population_cells = people.get(key, population_convention.year_for(year)) or {}
        return _figure(
            definition, cells.get(key, year), population_cells.get(population_convention.measure)
        )

    if definition.breakdown is None and len(cells.breakdowns) > 1:
        # A new release split the file further: never add different breakdowns together.
        return IndicatorSeries(
            definition,
            authority_name,
            region_name,
            tuple(n.name for n in neighbours),
            (),
            None,
            "DfE's file now has several rows per year and area "
            f"({', '.join(sorted(cells.breakdowns))}); the indicator definition must say which "
            "one to use.",
            direction,
            "",
        )
    rows = []
    for year in cells.years():
        each = tuple(figure_for(key, year) for key in neighbour_keys)
        available = [f.value for f in each if f.value is not None]
        rows.append(
            YearRow(
                year,
                definition.year_text(year),
                figure_for(authority, year),
                NeighbourMean(_mean(available), len(available), len(neighbours)),
                figure_for(region_key, year) if region_code else Figure(None, NO_ROW),
                figure_for(("england", ""), year),
                each,
            )
        )
    series = IndicatorSeries(
        definition,
        authority_name,
        region_name,
        tuple(n.name for n in neighbours),
        tuple(rows),
        None,
        "",
        direction,
        _population_note(definition, population_convention, rows),
    )
    comparison, note = compare(series, start_date, direction)
    return replace(series, comparison=comparison, comparison_note=note)


def _population_note(
    definition: IndicatorDefinition, convention: PopulationConvention, rows: Sequence[YearRow]
) -> str:
    """Which population estimate a rate per 10,000 uses, said with a year of the series."""
    if not definition.per_population or not rows:
        return ""
    year = rows[-1].year
    return (
        f"Per 10,000 children aged 0 to 17: {definition.year_text(year)} uses the ONS estimate "
        f"for {convention.describe(year)}, as DfE's rates do."
    )


def _region(cells: _Cells, people: _Cells, authority: AreaKey) -> str | None:
    found = cells.region_of.get(authority[1]) or people.region_of.get(authority[1])
    if found is None:
        return None
    return SUB_REGIONS.get(found[1], found[1])


# --- the honest comparison ---------------------------------------------------------------


def _change(series: IndicatorSeries, from_year: int, to_year: int) -> Change:
    before, after = series.row_for(from_year), series.row_for(to_year)
    assert before is not None and after is not None

    def difference(old: Figure, new: Figure) -> Fraction | None:
        if old.value is None or new.value is None:
            return None
        return new.value - old.value

    changes = [
        change
        for old, new in zip(before.each_neighbour, after.each_neighbour, strict=True)
        if (change := difference(old, new)) is not None
    ]
    return Change(
        from_year,
        to_year,
        difference(before.authority, after.authority),
        _mean(changes),
        len(changes),
        difference(before.region, after.region),
        difference(before.england, after.england),
    )


def compare(
    series: IndicatorSeries, start_date: dt.date | None, direction: str | None
) -> tuple[Comparison | None, str]:
    """The change from the last year before the start to the latest year with a figure,
    beside the neighbours' and England's over the same years, and the same number of years
    before the start. A judgement (better, worse, same as the neighbours' change) only
    when the authority has set a direction for the indicator."""
    definition = series.definition
    if start_date is None:
        return None, (
            "Set the Signs of Safety start date on the Implementation timeline page to see "
            "the change since the start."
        )
    if definition.period != "reporting_year":
        return None, ""
    first = first_year_with_sos(start_date)
    baseline = first - 1
    own_years = [row.year for row in series.rows if row.authority.available]
    if not own_years or max(own_years) < first:
        return None, (
            f"No figure yet for {definition.year_text(first)} or later, the years since Signs "
            f"of Safety started ({long_date(start_date)})."
        )
    if baseline not in own_years:
        return None, (
            f"No figure for {definition.year_text(baseline)}, the last year before Signs of "
            "Safety started, to compare with."
        )
    latest = max(own_years)
    since = _change(series, baseline, latest)
    earlier = [year for year in own_years if year < baseline]
    before = None
    if earlier:
        # The same number of years before the start, or as many as DfE's files hold.
        target = baseline - (latest - baseline)
        at_or_before = [year for year in earlier if year <= target]
        before = _change(series, max(at_or_before) if at_or_before else min(earlier), baseline)
    judgement = None
    if direction in DIRECTIONS and since.authority is not None and since.neighbours is not None:
        ours = half_up(since.authority, definition.places)
        theirs = half_up(since.neighbours, definition.places)
        if ours == theirs:
            judgement = "same"
        else:
            better = ours < theirs if direction == LOWER else ours > theirs
            judgement = "better" if better else "worse"
    return (
        Comparison(start_date, first, since, before, direction, judgement),
        "",
    )
