"""DfE's children's social work workforce census as an administrator imported it (the EES
file, read and stored by ``dfe``, once per deployment): England, every region and every
authority. An organisation finds its own rows by its DfE LA codes (and a row DfE publishes
for it together with a neighbour, such as "314 / 318"). A census ``time_period`` is the
count on 30 September of that year, not a financial year.

Where DfE publishes a rate, the rate shown is DfE's. Beside it, the app's own calculation
from the published counts uses the same ``measures`` as rosters and summary figures, so the
two can be compared (DfE works from unrounded counts and publishes them rounded to one
decimal, so the two can differ slightly). DfE's codes (``c``, ``x``, ``z``, ``low``, ``k``,
``u``) are "not available" with the code explained, never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sos_workforce.access import Actor, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import NotFound
from sos_workforce.core.figures import as_shown
from sos_workforce.core.models import Organisation
from sos_workforce.dfe import (
    BLANK,
    LOCAL_AUTHORITY,
    NATIONAL,
    REGIONAL,
    SUB_REGIONS,
    SYMBOLS,
    PublishedFigure,
    known_sources,
    published_figures,
    stored_files,
)
from sos_workforce.workforce.measures import (
    NOT_AVAILABLE,
    Measure,
    WorkforceFigures,
    as_entered,
    measures,
)

CENSUS_SOURCE = "workforce_census"  # its key in dfe/sources.yaml
CENSUS_MONTH, CENSUS_DAY = 9, 30

# The app's measure → the column where DfE publishes that rate.
RATE_COLUMNS: dict[str, str] = {
    "turnover": "turnover_rate_fte",
    "agency": "agency_rate_fte",
    "vacancy": "vacancy_rate_fte",
    "caseload": "caseload_fte",
    "absence": "absence_rate_fte",
}
# DfE's counts, as the summary form's fields hold them: (column, label, field).
COUNT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("inpost_fte", "FTE in post", "employed_fte"),
    ("inpost_headcount", "Headcount in post", "permanent_headcount"),
    ("starters_fte", "Starters, FTE", "starters_fte"),
    ("starters_headcount", "Starters, headcount", "starters_headcount"),
    ("leavers_fte", "Leavers, FTE", "leavers_fte"),
    ("leavers_headcount", "Leavers, headcount", "leavers_headcount"),
    ("agency_fte", "Agency workers, FTE", "agency_fte"),
    ("agency_headcount", "Agency workers, headcount", "agency_headcount"),
    ("vacancy_fte", "Vacancies, FTE", "vacancy_fte"),
    ("case_holders_fte", "Case holders, FTE", "case_holder_fte"),
    ("cases", "Cases held", "cases"),
    ("working_days_lost_fte", "Working days lost to sickness, FTE days", "sickness_fte_days"),
)
_WHOLE = {"inpost_headcount", "starters_headcount", "leavers_headcount", "agency_headcount"}
NO_ROW = "no row"
REASONS: dict[str, str] = {
    **{code: f"DfE code {code}: {meaning}" for code, meaning in SYMBOLS.items()},
    BLANK: "blank in DfE's file",
    NO_ROW: "not in DfE's file for that year",
}


def census_date(year: int) -> dt.date:
    """The day a census ``time_period`` counts: 2025 is 30 September 2025."""
    return dt.date(year, CENSUS_MONTH, CENSUS_DAY)


def census_label(year: int) -> str:
    return f"30 September {year}"


@dataclass(frozen=True)
class CensusFigure:
    """One published cell: a value, or None and why (DfE's code, a blank cell, no row)."""

    value: float | None
    symbol: str | None = None
    unit: str = ""  # "%" for a rate, "" for caseload and counts
    rate: bool = True  # a rate (one decimal, half up) or a count (as published)

    @property
    def available(self) -> bool:
        return self.value is not None

    @property
    def display(self) -> str:
        if self.value is not None:
            return as_shown(self.value, 1, self.unit) if self.rate else as_entered(self.value)
        if self.symbol in SYMBOLS:
            return f"{NOT_AVAILABLE} ({self.symbol})"
        return NOT_AVAILABLE

    @property
    def explanation(self) -> str:
        """Why it is not available ("" when it is)."""
        if self.value is not None:
            return ""
        return REASONS.get(self.symbol or NO_ROW, REASONS[NO_ROW])


MISSING_ROW = CensusFigure(None, NO_ROW)


@dataclass(frozen=True)
class CensusYear:
    """One area's census on 30 September of ``year``."""

    year: int
    rates: Mapping[str, CensusFigure]  # measure key → DfE's published rate
    worked: Mapping[str, Measure]  # measure key → the app's calculation from the counts
    counts: Mapping[str, CensusFigure]  # DfE column → published count

    @property
    def census_date(self) -> dt.date:
        return census_date(self.year)

    @property
    def label(self) -> str:
        return census_label(self.year)


def _value(cell: PublishedFigure | None) -> float | None:
    return None if cell is None else cell.value


def figures_from_census(year: int, cells: Mapping[str, PublishedFigure]) -> WorkforceFigures:
    """A census row as the figures every measure is worked from (a code is not recorded)."""
    values: dict[str, float | int | None] = {}
    for column, _, name in COUNT_COLUMNS:
        value = _value(cells.get(column))
        values[name] = int(value) if value is not None and column in _WHOLE | {"cases"} else value
    return WorkforceFigures(as_of=census_date(year), **values)  # type: ignore[arg-type]


def census_year(year: int, cells: Mapping[str, PublishedFigure]) -> CensusYear:
    """DfE's rates, the app's own calculation and the counts of one published row."""
    worked = {m.key: m for m in measures(figures_from_census(year, cells)) if m.key in RATE_COLUMNS}
    rates = {}
    for key, column in RATE_COLUMNS.items():
        cell = cells.get(column)
        unit = worked[key].unit
        rates[key] = (
            CensusFigure(None, NO_ROW, unit)
            if cell is None
            else CensusFigure(cell.value, cell.symbol, unit)
        )
    counts = {
        column: CensusFigure(None, NO_ROW, rate=False)
        if (cell := cells.get(column)) is None
        else CensusFigure(cell.value, cell.symbol, rate=False)
        for column, _, _ in COUNT_COLUMNS
    }
    return CensusYear(year, rates, worked, counts)


@dataclass(frozen=True)
class CensusArea:
    level: str  # NATIONAL, REGIONAL or LOCAL_AUTHORITY
    code: str  # the area code (an LA's new code, or old code where it has none)
    old_la_code: str | None
    name: str
    region_code: str | None  # an LA's region (London for Inner and Outer London)
    years: tuple[CensusYear, ...]  # oldest first

    def at(self, year: int) -> CensusYear | None:
        return next((y for y in self.years if y.year == year), None)

    def rate(self, key: str, year: int) -> CensusFigure:
        found = self.at(year)
        return MISSING_ROW if found is None else found.rates[key]


def census_areas(figures: Iterable[PublishedFigure]) -> list[CensusArea]:
    """Published census figures grouped into areas, each with its years (oldest first)."""
    cells: dict[tuple[str, str], dict[int, dict[str, PublishedFigure]]] = {}
    about: dict[tuple[str, str], PublishedFigure] = {}
    for figure in figures:
        key = (figure.level, figure.area_code)
        cells.setdefault(key, {}).setdefault(figure.time_period, {})[figure.measure] = figure
        if key not in about or about[key].time_period <= figure.time_period:
            about[key] = figure
    areas = []
    for key, years in cells.items():
        latest = about[key]
        region = latest.region_code
        areas.append(
            CensusArea(
                latest.level,
                latest.area_code,
                latest.old_la_code,
                latest.area_name,
                SUB_REGIONS.get(region, region) if region else None,
                tuple(census_year(year, years[year]) for year in sorted(years)),
            )
        )
    return areas


@dataclass(frozen=True)
class CensusReport:
    """DfE's census for one organisation: its own rows, its region's and England's."""

    file_name: str | None  # None: not imported yet
    fictional: bool
    authority: CensusArea | None
    region: CensusArea | None
    england: CensusArea | None
    missing: str  # why something cannot be shown, or ""

    @property
    def years(self) -> list[int]:
        found = {
            y.year
            for area in (self.authority, self.region, self.england)
            if area
            for y in area.years
        }
        return sorted(found)

    def areas(self) -> list[CensusArea]:
        return [a for a in (self.authority, self.region, self.england) if a is not None]

    def year_for(self, day: dt.date) -> int | None:
        """The census to set beside figures on ``day``: the latest counted on or before it."""
        earlier = [year for year in self.years if census_date(year) <= day]
        return max(earlier) if earlier else None

    def beside(self, key: str, year: int) -> list[tuple[str, CensusFigure]]:
        """DfE's rate of ``key`` in ``year`` for the authority, its region and England."""
        return [(area.name, area.rate(key, year)) for area in self.areas()]

    def codes_used(self) -> list[str]:
        """The codes that appear in the report, for a legend that explains them."""
        found = {
            figure.symbol
            for area in self.areas()
            for year in area.years
            for figure in (*year.rates.values(), *year.counts.values())
            if figure.value is None and figure.symbol in SYMBOLS
        }
        return sorted(code for code in found if code)


def _merge_authority(areas: list[CensusArea], old: str | None, new: str | None) -> CensusArea:
    """An authority's rows across the years: its own where DfE publishes them, else a row
    it shares with a neighbour (the latest name and region)."""
    own = [a for a in areas if a.code in {old, new} or a.old_la_code in {old, new}]
    order = own + [a for a in areas if a not in own]
    years: dict[int, CensusYear] = {}
    for area in order:
        for year in area.years:
            years.setdefault(year.year, year)
    named = max(areas, key=lambda a: (a in own, a.years[-1].year))
    return CensusArea(
        LOCAL_AUTHORITY,
        named.code,
        named.old_la_code,
        named.name,
        named.region_code,
        tuple(years[y] for y in sorted(years)),
    )


def census_report(db: Database, actor: Actor, organisation_id: int) -> CensusReport:
    """DfE's census figures for the organisation (by its LA codes), its region and England,
    from the file an administrator imported."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    columns = known_sources().get(CENSUS_SOURCE).measures
    with db.read() as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound("No such organisation.")
        old, new = organisation.old_la_code, organisation.new_la_code
        stored = stored_files(session).get(CENSUS_SOURCE)
        if stored is None:
            return CensusReport(
                None,
                False,
                None,
                None,
                None,
                "DfE's workforce census has not been imported yet: an administrator imports "
                "it once for everyone (Outcomes page, Import DfE files), as downloaded from "
                "Explore Education Statistics.",
            )
        figures = published_figures(
            session,
            CENSUS_SOURCE,
            columns,
            old_la_codes=[old] if old else [],
            new_la_codes=[new] if new else [],
            combined=True,
        )
    areas = census_areas(figures)
    england = next((a for a in areas if a.level == NATIONAL), None)
    authorities = [a for a in areas if a.level == LOCAL_AUTHORITY]
    authority = _merge_authority(authorities, old, new) if authorities and (old or new) else None
    region = None
    if authority is not None and authority.region_code:
        region = next(
            (a for a in areas if a.level == REGIONAL and a.code == authority.region_code), None
        )
    if not (old or new):
        missing = (
            "This organisation has no DfE LA code yet, so its own census rows cannot be "
            "found: an administrator records it on the Users and organisations page."
        )
    elif authority is None:
        missing = "DfE's census file has no rows for this organisation's LA codes."
    else:
        missing = ""
    return CensusReport(stored.file_name, stored.fictional, authority, region, england, missing)
