"""Band tables: per item, the share of answers in each band, of those who answered.

This is the table of Brent's scrutiny report (seed 004, section 3.35): each statement, the
% in 1–3 / 4–6 / 7–10, with n answering. A group (or item) answered by fewer than the
minimum group size shows "too few responses", never numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sos_workforce.auth import Actor, require
from sos_workforce.db import Database
from sos_workforce.enums import Role
from sos_workforce.errors import NotFound
from sos_workforce.instruments import InstrumentDefinition, ScaleItem, definition_of
from sos_workforce.models import Answer, InstrumentItem, Response, Wave
from sos_workforce.stats import percent, wilson_interval

TOO_FEW = "too few responses"


@dataclass(frozen=True)
class BandRow:
    item_code: str
    label: str
    text: str
    n: int | None  # None when suppressed
    counts: tuple[int, ...] | None
    percents: tuple[float, ...] | None
    intervals: tuple[tuple[float, float], ...] | None

    @property
    def suppressed(self) -> bool:
        return self.n is None


@dataclass(frozen=True)
class BandTable:
    title: str
    band_labels: tuple[str, ...]
    rows: list[BandRow]
    respondents: int | None  # None when the whole group is under the minimum
    min_group_size: int

    def to_frame(self) -> pd.DataFrame:
        """The table as people read it: statement, % per band, n answering."""
        records = []
        for row in self.rows:
            record: dict[str, object] = {"Statement": row.text}
            for index, band in enumerate(self.band_labels):
                record[f"{band} %"] = row.percents[index] if row.percents else TOO_FEW
            record["n answering"] = row.n if row.n is not None else TOO_FEW
            records.append(record)
        return pd.DataFrame.from_records(records)

    def display_frame(self) -> pd.DataFrame:
        """``to_frame`` formatted for reading: "72.3%", counts as whole numbers."""
        frame = self.to_frame()
        for band in self.band_labels:
            column = f"{band} %"
            frame[column] = [v if isinstance(v, str) else f"{v:.1f}%" for v in frame[column]]
        frame["n answering"] = [str(v) for v in frame["n answering"]]
        return frame.set_index("Statement")

    def long_frame(self) -> pd.DataFrame:
        """One row per shown (item, band): the data behind the chart."""
        records = [
            {
                "item": row.label,
                "statement": row.text,
                "band": band,
                "band_index": index,
                "percent": row.percents[index],
                "count": row.counts[index],
                "n": row.n,
                "ci_low": round(row.intervals[index][0], 1),
                "ci_high": round(row.intervals[index][1], 1),
            }
            for row in self.rows
            if row.percents and row.counts and row.intervals
            for index, band in enumerate(self.band_labels)
        ]
        return pd.DataFrame.from_records(records)


def band_row(item: ScaleItem, values: dict[int, int], min_group_size: int) -> BandRow:
    """The band row for one item from a histogram {value: count}."""
    n = sum(values.values())
    if n < min_group_size:
        return BandRow(item.code, item.label, item.text, None, None, None, None)
    counts = [0] * len(item.bands)
    for value, count in values.items():
        counts[item.band_of(value)] += count
    return BandRow(
        item_code=item.code,
        label=item.label,
        text=item.text,
        n=n,
        counts=tuple(counts),
        percents=tuple(percent(c, n) for c in counts),
        intervals=tuple(wilson_interval(c, n) for c in counts),
    )


def build_band_tables(
    definition: InstrumentDefinition,
    histograms: dict[str, dict[int, int]],
    respondents: int,
    min_group_size: int,
) -> list[BandTable]:
    """Band tables for every scale item, one table per band scheme (e.g. 1–3/4–6/7–10)."""
    shown_respondents = None if respondents < min_group_size else respondents
    by_scheme: dict[tuple[str, ...], list[BandRow]] = defaultdict(list)
    for item in definition.items:
        if not isinstance(item, ScaleItem):
            continue
        scheme = tuple(band.label for band in item.bands)
        if shown_respondents is None:
            row = BandRow(item.code, item.label, item.text, None, None, None, None)
        else:
            row = band_row(item, histograms.get(item.code, {}), min_group_size)
        by_scheme[scheme].append(row)
    return [
        BandTable(definition.title, scheme, rows, shown_respondents, min_group_size)
        for scheme, rows in by_scheme.items()
    ]


def _histograms(
    session: Session, wave: Wave, team_ids: Collection[int] | None
) -> tuple[dict[str, dict[int, int]], int]:
    response_filter = [Response.wave_id == wave.id]
    if team_ids is not None:
        response_filter.append(Response.team_id.in_(list(team_ids)))
    rows = session.execute(
        select(InstrumentItem.code, Answer.value, func.count())
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(InstrumentItem, InstrumentItem.id == Answer.item_id)
        .where(*response_filter)
        .group_by(InstrumentItem.code, Answer.value)
    )
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    for code, value, count in rows:
        histograms[code][value] = count
    respondents = session.scalar(select(func.count()).select_from(Response).where(*response_filter))
    return histograms, int(respondents or 0)


def wave_band_tables(
    db: Database,
    actor: Actor,
    wave_id: int,
    *,
    min_group_size: int,
    team_ids: Collection[int] | None = None,
) -> list[BandTable]:
    """Band tables for a wave (optionally only some teams), with small groups suppressed."""
    with db.read() as session:
        wave = session.get(Wave, wave_id)
        if wave is None:
            raise NotFound("No such survey wave.")
        require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=wave.organisation_id)
        histograms, respondents = _histograms(session, wave, team_ids)
        definition = definition_of(wave.instrument_version)
    return build_band_tables(definition, histograms, respondents, min_group_size)
