"""Fictional outcome series for the demo: Northbridge, ten invented statistical neighbours,
an invented region and an invented England, written as DfE's files are (the EES tidy layout
and the wide neighbour model) and imported through the real import, marked fictional so the
Outcomes page says so. Nothing here is DfE's data; the tests use DfE's real files. The
workforce census has England, the region and Northbridge only.

One neighbour (Stonecross) only exists from 2019-20, as after a merger, and one cell is
suppressed (``c``), so the demo shows neighbours dropping out of the mean and a code shown
as "not available".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass

from sos_workforce.access import Actor, set_la_codes
from sos_workforce.core.db import Database
from sos_workforce.core.figures import exact, half_up, percent
from sos_workforce.dfe import import_dfe_file, known_sources
from sos_workforce.workforce import census_date, working_days

NORTHBRIDGE_OLD_LA_CODE = "980"
NORTHBRIDGE_NEW_LA_CODE = "E99990980"
REGION = ("E12999001", "Northern Region (fictional)")
YEARS = 13  # reporting years, as DfE's files hold
LOOKED_AFTER_YEARS = 5
LOOKED_AFTER = "Children looked after on 31 March each year"
CLOSENESS = ["Very close", "Close ", "Close ", "Close ", "Close ", "Somewhat close"] + [
    "Somewhat close"
] * 4


@dataclass
class _Area:
    level: str  # National | Regional | Local authority
    code: str
    old_code: str
    name: str
    children: int  # children aged 0 to 17 in the first year
    growth: float  # a year
    # Indicator levels in the first year and their trend a year: children in need, referrals,
    # child protection plans (per 10,000), re-referrals and second or subsequent plans (%),
    # looked after (per 10,000).
    levels: dict[str, tuple[float, float]]
    first_year: int | None = None  # after a merger


def _areas(rng: random.Random, first_year: int) -> list[_Area]:
    def levels(scale: float) -> dict[str, tuple[float, float]]:
        return {
            "cin": (rng.uniform(520, 700) * scale, rng.uniform(-6, 8)),
            "referrals": (rng.uniform(450, 620) * scale, rng.uniform(-8, 6)),
            "cpp": (rng.uniform(38, 60) * scale, rng.uniform(-1.2, 0.8)),
            "rereferral": (rng.uniform(15, 24), rng.uniform(-0.2, 0.4)),
            "subsequent": (rng.uniform(14, 21), rng.uniform(0.2, 0.7)),
            "looked_after": (rng.uniform(50, 85) * scale, rng.uniform(-1, 1.2)),
        }

    names = [
        "Southmoor",
        "Riverside",
        "Westhaven",
        "Redhill",  # the demo's comparator authorities carry these five LA codes
        "Sandford",
        "Greyhaven",
        "Oakhollow",
        "Millbrook Vale",
        "Stonecross",
        "Harbourside",
    ]
    areas = [
        _Area(
            "National",
            "E92000001",
            "",
            "England",
            11_400_000,
            0.005,
            {
                "cin": (600, -1),
                "referrals": (550, -2),
                "cpp": (50, 0),
                "rereferral": (22, 0.1),
                "subsequent": (16, 0.6),
                "looked_after": (62, 0.5),
            },
        ),
        _Area("Regional", REGION[0], "", REGION[1], 1_250_000, 0.004, levels(1.0)),
        _Area(
            "Local authority",
            NORTHBRIDGE_NEW_LA_CODE,
            NORTHBRIDGE_OLD_LA_CODE,
            "Northbridge",
            61_500,
            0.006,
            levels(1.0),
        ),
    ]
    for index, name in enumerate(names, start=1):
        areas.append(
            _Area(
                "Local authority",
                f"E9999{980 + index:04d}",
                f"{980 + index}",
                name,
                rng.randint(38_000, 120_000),
                rng.uniform(-0.002, 0.009),
                levels(rng.uniform(0.9, 1.1)),
                first_year + 7 if name == "Stonecross" else None,
            )
        )
    return areas


def _geography(area: _Area, year: int) -> list[str]:
    region = ("", "") if area.level == "National" else REGION
    return [
        str(year),
        "Reporting year",
        area.level,
        "E92000001",
        "England",
        *region,
        area.old_code,
        area.code if area.level == "Local authority" else "",
        area.name if area.level == "Local authority" else "",
    ]


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def fictional_files(today: dt.date, seed: int = 2014) -> dict[str, bytes]:
    """The demo's DfE-shaped files (name → content), reporting years up to the one ending
    31 March before last (DfE publishes a year's figures in the autumn after it)."""
    rng = random.Random(seed)
    last = today.year - 1
    years = list(range(last - YEARS + 1, last + 1))
    areas = _areas(rng, years[0])
    geography = [
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "old_la_code",
        "new_la_code",
        "la_name",
    ]
    sources = known_sources()
    rows: dict[str, list[list[object]]] = {
        key: [] for key in ("children_in_need", "referrals", "cpp", "cla", "population")
    }
    for area in areas:
        begins = years[0] if area.first_year is None else area.first_year
        for year in [years[0] - 1, *years]:
            if year < begins - 1:
                continue
            step = year - years[0]
            children = int(area.children * (1 + area.growth) ** step)

            def level(name: str, area: _Area = area, step: int = step) -> float:
                start, trend = area.levels[name]
                # Year-to-year noise shrinks with the number of children, as it does.
                noise = start * 0.03 * min(1.0, (60_000 / area.children) ** 0.5)
                return max(start + trend * step + rng.gauss(0, noise), 0.5)

            rows["population"].append(
                [*_geography(area, year), "Children aged 0 to 17 years", children]
            )
            if year < begins:
                continue  # the population a year earlier is the first rates' denominator
            before = int(area.children * (1 + area.growth) ** (step - 1))
            in_need = int(level("cin") * before / 10_000)
            referrals = int(level("referrals") * before / 10_000)
            rereferrals = int(referrals * level("rereferral") / 100)
            plans = max(int(level("cpp") * before / 10_000), 1)
            subsequent = int(plans * level("subsequent") / 100)
            looked_after = int(level("looked_after") * before / 10_000)
            rows["children_in_need"].append(
                [*_geography(area, year), "Children in Need", *_cin(in_need, rng)]
            )
            rows["referrals"].append(
                [
                    *_geography(area, year),
                    "Referrals and Re-referrals",
                    referrals,
                    rereferrals,
                    percent(rereferrals, referrals),
                    *["x"] * 7,
                ]
            )
            suppressed = area.name == "Greyhaven" and year == years[3]
            rows["cpp"].append(
                [
                    *_geography(area, year),
                    "Child Protection Plans which are a second or subsequent plan",
                    plans,
                    "c" if suppressed else subsequent,
                    "c" if suppressed else percent(subsequent, plans),
                ]
            )
            if year > last - LOOKED_AFTER_YEARS:
                rows["cla"].append(
                    [
                        *_geography(area, year),
                        LOOKED_AFTER,
                        before,
                        looked_after,
                        half_up(looked_after * 10_000 / before, 0),
                    ]
                )

    def header(key: str) -> list[str]:
        source = sources.get(key)
        return [*geography, str(source.breakdown), *source.measures]

    files = {
        "northbridge_children_in_need.csv": _csv(
            header("children_in_need"), rows["children_in_need"]
        ),
        "northbridge_referrals.csv": _csv(header("referrals"), rows["referrals"]),
        "northbridge_cpp_subsequent.csv": _csv(header("child_protection_plans"), rows["cpp"]),
        "northbridge_children_looked_after.csv": _csv(header("children_looked_after"), rows["cla"]),
        "northbridge_population.csv": _csv(header("population"), rows["population"]),
    }
    neighbours = [a for a in areas if a.level == "Local authority" and a.name != "Northbridge"]
    model_header = ["old_la_code", "la_name", "region_ind", "region_name"]
    model_header += [f"SN_{rank}" for rank in range(1, 11)]
    model_header += [f"SN_{rank}P" for rank in range(1, 11)]
    model_rows = [
        [NORTHBRIDGE_OLD_LA_CODE, "Northbridge", 99, REGION[1]]
        + [n.old_code for n in neighbours]
        + CLOSENESS
    ]
    # Each neighbour is listed by itself too, so the model names it.
    for neighbour in neighbours:
        others = [NORTHBRIDGE_OLD_LA_CODE] + [n.old_code for n in neighbours if n is not neighbour]
        model_rows.append([neighbour.old_code, neighbour.name, 99, REGION[1], *others, *CLOSENESS])
    files["northbridge_statistical_neighbours.csv"] = _csv(model_header, model_rows)
    return files


CENSUS_YEARS = 5


def fictional_census(today: dt.date, seed: int = 2014) -> bytes:
    """The demo's workforce census in DfE's layout: England, the invented region and
    Northbridge on 30 September of the last five years DfE would have published by
    ``today`` (a census is published the February after). Northbridge had no agency
    workers in the first year (0.0%) and its days lost are suppressed (``c``) in the third."""
    rng = random.Random(seed)
    latest = today.year - (1 if today >= dt.date(today.year, 9, 30) else 2)
    years = list(range(latest - CENSUS_YEARS + 1, latest + 1))
    source = known_sources().get("workforce_census")
    header = [
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "old_la_code",
        "new_la_code",
        "la_name",
        *source.measures,
    ]
    areas = [
        ("National", "", "", "", 33_000.0),
        ("Regional", "", "", "", 2_400.0),
        ("Local authority", NORTHBRIDGE_OLD_LA_CODE, NORTHBRIDGE_NEW_LA_CODE, "Northbridge", 48.0),
    ]
    rows: list[list[object]] = []
    for step, year in enumerate(years):
        for level, old, new, name, size in areas:
            region = ("", "") if level == "National" else REGION
            local = level == "Local authority"
            fte = half_up(size * (1 + 0.02 * step) * rng.uniform(0.97, 1.03))
            headcount = int(fte * 1.06)
            starters = half_up(fte * rng.uniform(0.13, 0.18))
            leavers = half_up(fte * rng.uniform(0.11, 0.17))
            agency = 0.0 if local and step == 0 else half_up(fte * rng.uniform(0.12, 0.2))
            cover = half_up(agency * rng.uniform(0.7, 0.9))
            vacancy = half_up(max(fte * rng.uniform(0.14, 0.2), cover))
            holders = half_up(fte * rng.uniform(0.55, 0.65))
            cases = int(holders * rng.uniform(14, 17))
            days = half_up(fte * 253 * rng.uniform(0.028, 0.038))
            suppressed = local and step == 2

            def rate(numerator: float, denominator: float, scale: int = 100) -> object:
                return (
                    half_up(exact(numerator) / exact(denominator) * scale) if denominator else "z"
                )

            cells: dict[str, object] = {
                "inpost_fte": fte,
                "inpost_headcount": headcount,
                "starters_fte": starters,
                "starters_headcount": int(starters * 1.05),
                "leavers_fte": leavers,
                "leavers_headcount": int(leavers * 1.05),
                "turnover_rate_fte": rate(leavers, fte),
                "turnover_rate_headcount": rate(int(leavers * 1.05), headcount),
                "agency_fte": agency,
                "agency_headcount": int(agency),
                "agency_rate_fte": rate(agency, agency + fte),
                "agency_rate_headcount": rate(int(agency), int(agency) + headcount),
                "agency_cover_fte": cover,
                "agency_cover_rate_fte": rate(cover, agency),
                "vacancy_fte": vacancy,
                "vacancy_rate_fte": rate(vacancy, vacancy + fte),
                "vacancy_agency_cover_rate_fte": rate(cover, vacancy),
                "case_holders_fte": holders,
                "cases": cases,
                "caseload_fte": rate(cases, holders, 1),
                "working_days_lost_fte": "c" if suppressed else days,
                "absence_rate_fte": "c"
                if suppressed
                else rate(days, fte * working_days(census_date(year))),
            }
            rows.append(
                [
                    year,
                    "Reporting year",
                    level,
                    "E92000001",
                    "England",
                    *region,
                    old,
                    new,
                    name,
                    *[cells[m] for m in source.measures],
                ]
            )
    return _csv(header, rows)


def _cin(children: int, rng: random.Random) -> list[object]:
    """The children-in-need file's measures, in its column order."""
    episodes = int(children * 1.06)
    started = int(children * rng.uniform(0.5, 0.56))
    ended = int(children * rng.uniform(0.46, 0.52))
    return [
        episodes,
        children,
        int(started * 1.05),
        started,
        int(ended * 1.05),
        ended,
        children - ended,
        "x",
    ]


def seed_outcomes(db: Database, *, organisation_id: int, admin: Actor, today: dt.date) -> None:
    """Give Northbridge its (fictional) LA codes and import the fictional series."""
    set_la_codes(
        db,
        admin,
        organisation_id,
        old_la_code=NORTHBRIDGE_OLD_LA_CODE,
        new_la_code=NORTHBRIDGE_NEW_LA_CODE,
    )
    for name, content in fictional_files(today).items():
        import_dfe_file(db, admin, name, content, fictional=True)
    import_dfe_file(
        db, admin, "northbridge_workforce_census.csv", fictional_census(today), fictional=True
    )
