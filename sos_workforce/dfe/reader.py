"""Reading DfE's published files, in one place for every domain that needs them.

Explore Education Statistics (EES) publishes local-authority statistics as tidy CSV: one
row per ``time_period`` and area (``geographic_level`` National / Regional / Local authority
with ``country_code``, ``region_code``, ``old_la_code``, ``new_la_code``, ``la_name``), then
one column per measure. Cells may hold DfE's suppression and shorthand codes instead of a
number (``c``, ``x``, ``z``, ``low``, ``k``, ``u``): they become "not available" with the
code kept, never 0. DfE's statistical-neighbour model is not tidy: one wide row per
authority (old LA code), its neighbours in ``SN_1`` … ``SN_10`` and DfE's closeness words
(with trailing spaces) in ``SN_1P`` … ``SN_10P``.

Which files exist and which columns they keep is data (``sources.yaml``); a file is
recognised by its columns, so a file downloaded from EES imports as it is, whatever its
name. Every problem is collected and named by row before anything is written.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.tabular import refuse_import
from sos_workforce.surveys import Code, parse_yaml_model

# EES data files for one topic are a few MB; the cap is checked before a file is read.
MAX_FILE_BYTES = 50_000_000
MAX_ROWS = 1_000_000
NEIGHBOUR_MODEL = "statistical_neighbours"
NEIGHBOUR_MODEL_TITLE = "DfE statistical neighbour model"

# DfE's suppression and shorthand codes (GSS symbols as EES uses them).
SYMBOLS: dict[str, str] = {
    "c": "confidential (suppressed to protect individuals)",
    "x": "not available",
    "z": "not applicable",
    "low": "a rate below 0.5",
    "k": "low reliability",
    "u": "low reliability",
}
BLANK = ""  # a blank cell: not available, with no code

NATIONAL, REGIONAL, LOCAL_AUTHORITY = "national", "regional", "local_authority"
LEVELS = {"national": NATIONAL, "regional": REGIONAL, "local authority": LOCAL_AUTHORITY}
ENGLAND = "E92000001"
LONDON = "E12000007"
# EES gives London boroughs DfE's Inner or Outer London as their region; the region an
# authority is compared with is London, one of England's nine regions.
SUB_REGIONS = {"E13000001": LONDON, "E13000002": LONDON}

OLD_LA_CODE = re.compile(r"^\d{3}$")
NEW_LA_CODE = re.compile(r"^[EWSN]\d{8}$")
# Combined rows (e.g. the workforce census's "314 / 318") keep DfE's combined codes.
_COMBINED_OLD = re.compile(r"^\d{3}( / \d{3})*$")
_COMBINED_NEW = re.compile(r"^[EWSN]\d{8}( / [EWSN]\d{8})*$")
_SHORT_YEAR = re.compile(r"^(\d{4})(\d{2})$")  # EES's "201617" for an academic year
_MAX_AREA_NAME = 200
_MAX_BREAKDOWN = 120

Progress = Callable[[float], None]


# --- the known files (sources.yaml) -------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceDefinition(_Strict):
    """One kind of DfE tidy file."""

    key: Code = Field(max_length=60)
    title: str = Field(min_length=1, max_length=200)
    identified_by: list[str] = Field(min_length=1)
    measures: list[str] = Field(min_length=1)
    breakdown: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SourceDefinition:
        known = {m.lower() for m in self.measures} | {(self.breakdown or "").lower()}
        strays = [c for c in self.identified_by if c.lower() not in known]
        if strays:
            raise ValueError(f"identified_by names columns that are not kept: {strays}")
        if len({m.lower() for m in self.measures}) != len(self.measures):
            raise ValueError("a measure is listed twice")
        if any(len(m) > 60 for m in self.measures):
            raise ValueError("measure names are at most 60 characters")
        return self


class DfeSources(_Strict):
    version: int = Field(ge=1)
    sources: list[SourceDefinition] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> DfeSources:
        keys = [s.key for s in self.sources]
        if len(set(keys)) != len(keys) or NEIGHBOUR_MODEL in keys:
            raise ValueError("source keys must be unique (and not 'statistical_neighbours')")
        for index, source in enumerate(self.sources):
            for other in self.sources[index + 1 :]:
                mine = {c.lower() for c in source.identified_by}
                theirs = {c.lower() for c in other.identified_by}
                if mine <= theirs or theirs <= mine:
                    raise ValueError(
                        f"'{source.key}' and '{other.key}' cannot be told apart by their "
                        "identifying columns"
                    )
        return self

    def get(self, key: str) -> SourceDefinition:
        for source in self.sources:
            if source.key == key:
                return source
        raise KeyError(key)


def parse_sources(text: str, source: str = "sources.yaml") -> DfeSources:
    """Validate a sources file; ``InvalidInput`` names the file, line and field."""
    return parse_yaml_model(text, source, DfeSources)


@cache
def known_sources() -> DfeSources:
    """The DfE files this version of sos-workforce knows (package data)."""
    text = resources.files("sos_workforce.dfe").joinpath("sources.yaml").read_text("utf-8")
    return parse_sources(text, "sos_workforce/dfe/sources.yaml")


def source_title(key: str) -> str:
    if key == NEIGHBOUR_MODEL:
        return NEIGHBOUR_MODEL_TITLE
    try:
        return known_sources().get(key).title
    except KeyError:
        return key


# --- cells, periods, files -------------------------------------------------------------


def parse_cell(text: str) -> tuple[float | None, str | None]:
    """A measure cell as (value, symbol): a number and None, or None and the DfE code (or
    ``BLANK``). Anything else raises ``ValueError``; a code is never read as 0."""
    cleaned = text.strip()
    if not cleaned:
        return None, BLANK
    lowered = cleaned.lower()
    if lowered in SYMBOLS:
        return None, lowered
    number = float(cleaned)  # ValueError for words, "1,234", "12%"
    if not math.isfinite(number):
        raise ValueError(cleaned)
    return number, None


def parse_period(text: str) -> int:
    """A ``time_period`` as the year it names: "2025" → 2025; EES's six-digit "201617"
    (a year spanning two) → 2017, the year it ends in."""
    cleaned = text.strip()
    if re.fullmatch(r"\d{4}", cleaned):
        year = int(cleaned)
    elif (match := _SHORT_YEAR.match(cleaned)) and int(match[2]) == (int(match[1]) + 1) % 100:
        year = int(match[1]) + 1
    else:
        raise ValueError(cleaned)
    if not 1990 <= year <= 2100:
        raise ValueError(cleaned)
    return year


def year_label(year: int) -> str:
    """A reporting year ending 31 March, as DfE writes it: 2017 → "2016-17"."""
    return f"{year - 1}-{year % 100:02d}"


def read_upload(content: bytes | BinaryIO, file_name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing it before reading when it is larger than ``limit`` (a
    stream's size is found by seeking, so nothing beyond the limit is ever read)."""
    too_large = InvalidInput(
        f"{file_name} is larger than {limit // 1_000_000} MB; DfE's files for one topic are "
        "far smaller. Check that this is the right file."
    )
    if isinstance(content, bytes | bytearray):
        if len(content) > limit:
            raise too_large
        data = bytes(content)
    else:
        if content.seekable():
            position = content.tell()
            size = content.seek(0, io.SEEK_END) - position
            content.seek(position)
            if size > limit:
                raise too_large
        data = content.read(limit + 1)
        if len(data) > limit:
            raise too_large
    if not data.strip():
        raise InvalidInput(f"{file_name} is empty.")
    if data[:4] == b"PK\x03\x04":
        raise InvalidInput(
            f"{file_name} is a ZIP or Excel file. DfE's data files are CSV: if you downloaded "
            "a ZIP from Explore Education Statistics, open it and import the CSV file in its "
            "data folder."
        )
    return data


def decode(data: bytes) -> str:
    """EES files are UTF-8 (often with a byte-order mark); Excel re-saves them as cp1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def header_of(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [cell.strip().lstrip("\ufeff") for cell in first]


def identify(header: Sequence[str], file_name: str) -> SourceDefinition | None:
    """Which known file this is, from its columns; None for the statistical-neighbour model.
    A file that is none of them is refused, saying what was expected."""
    names = {name.lower() for name in header}
    if {"old_la_code", "sn_1"} <= names:
        return None
    sources = known_sources().sources
    matches = [s for s in sources if all(c.lower() in names for c in s.identified_by)]
    if len(matches) == 1:
        return matches[0]
    expected = "; ".join(f"{s.title} ({', '.join(s.identified_by)})" for s in sources)
    raise InvalidInput(
        f"{file_name} is not one of the DfE files sos-workforce reads: its columns match "
        f"none of them. Expected one of: {expected}; or {NEIGHBOUR_MODEL_TITLE} "
        "(old_la_code, SN_1 … SN_10)."
    )


# --- the tidy reader -------------------------------------------------------------------


@dataclass(frozen=True)
class TidyFile:
    """A validated tidy file: its national, regional and local-authority rows, each with its
    measures in ``cells`` (a number, or DfE's code; "" for a blank cell), ready to store."""

    source: SourceDefinition
    rows: int  # data rows read
    skipped: int  # rows at other geographic levels (not stored)
    stored: list[dict[str, object]]
    cells: int  # measure cells in the stored rows


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(file row number, cells) of every non-blank data row; the header is row 1."""
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if number > 1 and any(cell.strip() for cell in row):
            yield number, row


def _columns(header: Sequence[str], wanted: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Positions of ``wanted`` columns (matched ignoring case) and the ones missing."""
    positions = {name.lower(): index for index, name in enumerate(header)}
    found = {name: positions[name.lower()] for name in wanted if name.lower() in positions}
    return found, [name for name in wanted if name.lower() not in positions]


def _check_code(value: str, pattern: re.Pattern[str], what: str) -> str | None:
    if value and not pattern.match(value):
        return f"{what} '{value}' is not a DfE code"
    return None


def read_tidy(
    text: str, source: SourceDefinition, file_name: str, progress: Progress | None = None
) -> TidyFile:
    """Validate every row of an EES tidy file and return its figures; ``InvalidInput``
    lists every problem by row (nothing is stored unless the whole file is right)."""
    header = header_of(text)
    geography = [
        "time_period",
        "geographic_level",
        "country_code",
        "region_code",
        "region_name",
        "old_la_code",
        "new_la_code",
        "la_name",
    ]
    wanted = [*geography, *source.measures, *([source.breakdown] if source.breakdown else [])]
    positions, missing = _columns(header, wanted)
    optional = {"country_code", "region_code", "region_name", "old_la_code", "new_la_code"}
    absent = [name for name in missing if name not in optional]
    if absent:
        refuse_import([f"{file_name} has no column '{name}'." for name in absent])
    width = len(header)
    measures = [(m, positions[m]) for m in source.measures]
    breakdown_at = positions.get(source.breakdown) if source.breakdown else None
    problems: list[str] = []
    stored: list[dict[str, object]] = []
    seen: dict[tuple[int, str, str], int] = {}
    rows = skipped = 0
    total_lines = max(text.count("\n"), 1)

    def cell(row: list[str], name: str) -> str:
        index = positions.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    for number, row in _rows(text):
        rows += 1
        if rows > MAX_ROWS:
            refuse_import([f"{file_name} has more than {MAX_ROWS:,} rows; split it."])
        if progress is not None and rows % 2000 == 0:
            progress(min(number / total_lines, 1.0))
        if len(row) < width or any(c.strip() for c in row[width:]):
            problems.append(f"Row {number}: {len(row)} cells, but the header has {width}.")
            continue
        level_text = cell(row, "geographic_level")
        level = LEVELS.get(level_text.lower())
        if level is None:
            if level_text:
                skipped += 1  # other geographies (districts, constituencies…) are not used
            else:
                problems.append(f"Row {number}: geographic_level is blank.")
            continue
        row_problems: list[str] = []
        try:
            period = parse_period(cell(row, "time_period"))
        except ValueError:
            row_problems.append(f"time_period '{cell(row, 'time_period')}' is not a year")
            period = 0
        old_code: str | None = None
        region: str | None = None
        if level == NATIONAL:
            area, name = cell(row, "country_code") or ENGLAND, "England"
        elif level == REGIONAL:
            area, name = cell(row, "region_code"), cell(row, "region_name")
            if not area:
                row_problems.append("a regional row needs its region_code")
        else:
            old_code = cell(row, "old_la_code") or None
            new_code = cell(row, "new_la_code")
            name = cell(row, "la_name")
            region = cell(row, "region_code") or None
            row_problems += filter(
                None,
                [
                    _check_code(old_code or "", _COMBINED_OLD, "old_la_code"),
                    _check_code(new_code, _COMBINED_NEW, "new_la_code"),
                ],
            )
            area = new_code or old_code or ""
            if not area:
                row_problems.append("a local-authority row needs its old_la_code or new_la_code")
            if not name:
                row_problems.append("la_name is blank")
        if len(name) > _MAX_AREA_NAME or len(area) > 40:
            row_problems.append("the area's name or code is too long")
        breakdown = row[breakdown_at].strip() if breakdown_at is not None else ""
        if len(breakdown) > _MAX_BREAKDOWN:
            row_problems.append(f"'{source.breakdown}' is longer than {_MAX_BREAKDOWN} characters")
        key = (period, area, breakdown)
        if area and period and key in seen:
            row_problems.append(
                f"{name or area} {period}{f' ({breakdown})' if breakdown else ''} is already "
                f"on row {seen[key]}"
            )
        seen.setdefault(key, number)
        cells: dict[str, float | str] = {}
        for measure, index in measures:
            raw = row[index]
            try:
                value, symbol = parse_cell(raw)
            except ValueError:
                row_problems.append(
                    f"column '{measure}': '{raw.strip()}' is not a number or one of DfE's "
                    "codes (c, x, z, low, k, u)"
                )
                continue
            cells[measure] = value if value is not None else symbol or BLANK
        if row_problems:
            problems += [f"Row {number}, {problem}." for problem in row_problems]
        else:
            stored.append(
                {
                    "time_period": period,
                    "area_code": area,
                    "breakdown": breakdown,
                    "level": level,
                    "old_la_code": old_code,
                    "area_name": name,
                    "region_code": region,
                    "cells": cells,
                }
            )
    if problems:
        refuse_import(problems)
    if not stored:
        refuse_import([f"{file_name} has no national, regional or local-authority rows to import."])
    return TidyFile(source, rows, skipped, stored, len(stored) * len(measures))


# --- the statistical-neighbour model ---------------------------------------------------


@dataclass(frozen=True)
class NeighbourModel:
    authorities: int
    pairs: list[dict[str, object]]  # one per authority and neighbour, nearest first


def read_neighbour_model(text: str, file_name: str) -> NeighbourModel:
    """Validate DfE's wide neighbour model: every authority once, by a 3-digit old LA code,
    with distinct neighbours that are not itself; closeness words trimmed."""
    header = header_of(text)
    names = [name.lower() for name in header]
    ranks: list[int] = []
    while f"sn_{len(ranks) + 1}" in names:
        ranks.append(len(ranks) + 1)
    positions, missing = _columns(header, ["old_la_code", "la_name"])
    if missing:
        refuse_import([f"{file_name} has no column '{name}'." for name in missing])
    neighbour_at = {rank: names.index(f"sn_{rank}") for rank in ranks}
    closeness_at = {rank: names.index(f"sn_{rank}p") for rank in ranks if f"sn_{rank}p" in names}
    problems: list[str] = []
    pairs: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    authorities = 0
    for number, row in _rows(text):
        padded = row + [""] * (len(header) - len(row))
        code = padded[positions["old_la_code"]].strip()
        name = " ".join(padded[positions["la_name"]].split())
        row_problems = []
        if not OLD_LA_CODE.match(code):
            row_problems.append(f"old_la_code '{code}' is not a 3-digit LA code")
        elif code in seen:
            row_problems.append(f"LA {code} is already on row {seen[code]}")
        if not name or len(name) > 120:
            row_problems.append("la_name is blank or too long")
        seen.setdefault(code, number)
        chosen: list[str] = []
        row_pairs = []
        for rank in ranks:
            neighbour = padded[neighbour_at[rank]].strip()
            if not neighbour:
                continue  # fewer neighbours than columns
            if not OLD_LA_CODE.match(neighbour):
                row_problems.append(f"SN_{rank} '{neighbour}' is not a 3-digit LA code")
                continue
            if neighbour == code or neighbour in chosen:
                row_problems.append(f"SN_{rank} repeats LA {neighbour}")
                continue
            chosen.append(neighbour)
            closeness = " ".join(padded[closeness_at[rank]].split()) if rank in closeness_at else ""
            row_pairs.append(
                {
                    "old_la_code": code,
                    "rank": rank,
                    "la_name": name,
                    "neighbour_code": neighbour,
                    "closeness": (closeness or "not stated")[:40],
                }
            )
        if not chosen and not row_problems:
            row_problems.append("no statistical neighbours")
        if row_problems:
            problems += [f"Row {number}, {problem}." for problem in row_problems]
        else:
            authorities += 1
            pairs += row_pairs
    if problems:
        refuse_import(problems)
    if not pairs:
        refuse_import([f"{file_name} has no authorities."])
    return NeighbourModel(authorities, pairs)
