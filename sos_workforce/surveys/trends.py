"""Trends across survey waves, for compatible item versions only.

An item's answers are comparable between two waves only when the item code *and* its
fingerprint (wording, scale, options) match; a reworded item starts a new series and the
report says so. Changes are shown only where ``disclosure.change_safe`` allows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from sos_workforce.access import Actor, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.figures import change, percent
from sos_workforce.core.models import (
    AnswerTally,
    Instrument,
    InstrumentItem,
    InstrumentVersion,
    Wave,
)
from sos_workforce.privacy import change_safe
from sos_workforce.surveys.instruments import ScaleItem, definition_of
from sos_workforce.surveys.release import named_in_waves


@dataclass(frozen=True)
class _WaveInfo:
    id: int
    title: str
    opens_on: dt.date


@dataclass(frozen=True)
class TrendPoint:
    wave_id: int
    wave_title: str
    opens_on: dt.date
    version: int
    item_code: str
    label: str
    fingerprint: str
    n: int | None  # None when under the minimum group size
    top_share: float | None
    change: float | None  # since the previous comparable wave, when safe to show


@dataclass(frozen=True)
class ItemProgress:
    label: str
    first_share: float
    latest_share: float

    @property
    def change(self) -> float:
        return change(self.latest_share, self.first_share)


@dataclass(frozen=True)
class Trend:
    points: list[TrendPoint]
    notes: list[str]
    greatest_progress: list[ItemProgress]  # rises since the first comparable wave, largest first
    weakest: list[ItemProgress]  # lowest current level


def instrument_trend(
    db: Database, actor: Actor, organisation_id: int, instrument_code: str, k: int
) -> Trend:
    """Top-band share per item across an organisation's waves of one instrument."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        found = session.execute(
            select(Wave, InstrumentVersion.version)
            .join(InstrumentVersion, InstrumentVersion.id == Wave.instrument_version_id)
            .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
            .where(Wave.organisation_id == organisation_id, Instrument.code == instrument_code)
            .order_by(Wave.opens_on, Wave.id)
        ).all()
        waves = [
            (
                _WaveInfo(wave.id, wave.title, wave.opens_on),
                version,
                definition_of(wave.instrument_version),
            )
            for wave, version in found
        ]
        wave_ids = [wave.id for wave, _, _ in waves]
        rows = session.execute(
            select(
                AnswerTally.wave_id,
                InstrumentItem.code,
                InstrumentItem.fingerprint,
                AnswerTally.value,
                func.sum(AnswerTally.n),
            )
            .join(InstrumentItem, InstrumentItem.id == AnswerTally.item_id)
            .where(AnswerTally.wave_id.in_(wave_ids))
            .group_by(
                AnswerTally.wave_id,
                InstrumentItem.code,
                InstrumentItem.fingerprint,
                AnswerTally.value,
            )
        ).all()
        named = named_in_waves(session.connection(), wave_ids)
    histograms: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    fingerprints: dict[tuple[int, str], str] = {}
    for wave_id, code, fingerprint, value, count in rows:
        histograms[(wave_id, code)][value] = int(count)
        fingerprints[(wave_id, code)] = fingerprint

    points: list[TrendPoint] = []
    notes: list[str] = []
    previous: dict[str, TrendPoint] = {}
    shown: dict[str, TrendPoint] = {}  # each item's latest point with a figure
    first: dict[tuple[str, str], TrendPoint] = {}
    for wave, version, definition in waves:
        for item in definition.items:
            if not isinstance(item, ScaleItem):
                continue
            fingerprint = item.fingerprint()
            histogram = histograms.get((wave.id, item.code), {})
            n = sum(histogram.values())
            top = item.bands[-1]
            # Answers shared by name with a request for support count as known.
            enough = n - named.get(wave.id, 0) >= k
            share = (
                percent(sum(c for v, c in histogram.items() if top.min <= v <= top.max), n)
                if enough
                else None
            )
            before = previous.get(item.code)
            moved = None
            if before is not None and before.fingerprint != fingerprint:
                notes.append(
                    f"“{item.label}” changed in version {version} of the survey "
                    f"({wave.title}); it is not compared with earlier waves."
                )
            elif (
                before is not None
                and share is not None
                and before.top_share is not None
                and before.n is not None
                and change_safe(before.n, n, k)
            ):
                moved = change(share, before.top_share)
            point = TrendPoint(
                wave.id,
                wave.title,
                wave.opens_on,
                version,
                item.code,
                item.label,
                fingerprint,
                n if enough else None,
                share,
                moved,
            )
            points.append(point)
            previous[item.code] = point
            if share is not None:
                first.setdefault((item.code, fingerprint), point)
                shown[item.code] = point
    progress = []
    for (code, fingerprint), start in first.items():
        # The latest wave with a figure: a newer wave nobody has answered yet (or too few)
        # leaves the progress so far as it is.
        latest = shown.get(code)
        if latest is None or latest.fingerprint != fingerprint or latest.top_share is None:
            continue
        if latest.wave_id == start.wave_id or start.top_share is None:
            continue
        progress.append(ItemProgress(latest.label, start.top_share, latest.top_share))
    # Progress is a rise: statements that stayed level or fell are left out.
    greatest = sorted((p for p in progress if p.change > 0), key=lambda p: (-p.change, p.label))
    weakest = sorted(progress, key=lambda p: (p.latest_share, p.label))
    return Trend(points, notes, greatest, weakest)
