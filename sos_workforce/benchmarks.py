"""Benchmarks: an authority's figures beside other authorities using the same instrument
version, shown only as a de-identified median and quartiles, and only where at least
``MIN_COMPARATORS`` other authorities contribute (likewise for statistical neighbours)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from sos_workforce import audit
from sos_workforce.auth import Actor, require
from sos_workforce.db import Database
from sos_workforce.enums import Role
from sos_workforce.errors import InvalidInput, NotFound
from sos_workforce.instruments import ScaleItem, definition_of
from sos_workforce.models import (
    AnswerTally,
    ClosedWaveTally,
    InstrumentItem,
    InstrumentVersion,
    Organisation,
    StatisticalNeighbour,
    Wave,
)
from sos_workforce.stats import percent

MIN_COMPARATORS = 3


@dataclass(frozen=True)
class Spread:
    contributors: int
    median: float | None  # None when fewer than MIN_COMPARATORS contribute
    lower_quartile: float | None
    upper_quartile: float | None


@dataclass(frozen=True)
class BenchmarkRow:
    item_code: str
    label: str
    top_band: str
    own_share: float | None  # None when this authority's n is under the minimum
    own_n: int | None
    others: Spread
    neighbours: Spread


def spread(values: list[float]) -> Spread:
    if len(values) < MIN_COMPARATORS:
        return Spread(len(values), None, None, None)
    lower, middle, upper = statistics.quantiles(values, n=4, method="inclusive")
    return Spread(len(values), round(middle, 1), round(lower, 1), round(upper, 1))


def _top_shares(
    db: Database, wave_ids: list[int], k: int
) -> dict[int, dict[str, tuple[float, int]]]:
    """wave → item → (share in top band, n answering), for items answered by at least k."""
    if not wave_ids:
        return {}
    with db.read() as session:
        # Closed waves have sealed whole-wave tallies (a few hundred rows each); only
        # open waves need their team tallies summed.
        rows = list(
            session.execute(
                select(
                    ClosedWaveTally.wave_id,
                    InstrumentItem.code,
                    ClosedWaveTally.value,
                    ClosedWaveTally.n,
                )
                .join(InstrumentItem, InstrumentItem.id == ClosedWaveTally.item_id)
                .where(ClosedWaveTally.wave_id.in_(wave_ids))
            ).all()
        )
        sealed = {row[0] for row in rows}
        unsealed = [w for w in wave_ids if w not in sealed]
        if unsealed:
            rows += session.execute(
                select(
                    AnswerTally.wave_id,
                    InstrumentItem.code,
                    AnswerTally.value,
                    func.sum(AnswerTally.n),
                )
                .join(InstrumentItem, InstrumentItem.id == AnswerTally.item_id)
                .where(AnswerTally.wave_id.in_(unsealed))
                .group_by(AnswerTally.wave_id, InstrumentItem.code, AnswerTally.value)
            ).all()
        # Parse each instrument version once, however many waves use it.
        versions = dict(
            session.execute(
                select(Wave.id, Wave.instrument_version_id).where(Wave.id.in_(wave_ids))
            ).all()
        )
        parsed = {
            version.id: definition_of(version)
            for version in session.scalars(
                select(InstrumentVersion).where(InstrumentVersion.id.in_(set(versions.values())))
            )
        }
        definitions = {wave_id: parsed[version_id] for wave_id, version_id in versions.items()}
    histograms: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for wave_id, code, value, count in rows:
        histograms[wave_id][code][value] = int(count)
    shares: dict[int, dict[str, tuple[float, int]]] = {}
    for wave_id, items in histograms.items():
        shares[wave_id] = {}
        for code, histogram in items.items():
            item = definitions[wave_id].item(code)
            n = sum(histogram.values())
            if not isinstance(item, ScaleItem) or n < k:
                continue
            top = item.bands[-1]
            in_top = sum(c for v, c in histogram.items() if top.min <= v <= top.max)
            shares[wave_id][code] = (percent(in_top, n), n)
    return shares


def benchmark_wave(db: Database, actor: Actor, wave_id: int, k: int) -> list[BenchmarkRow]:
    """Each scale item's top-band share for this wave beside the other authorities' latest
    wave of the same instrument version (and beside the statistical neighbours)."""
    with db.read() as session:
        wave = session.get(Wave, wave_id)
        if wave is None:
            raise NotFound("No such survey wave.")
        require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=wave.organisation_id)
        definition = definition_of(wave.instrument_version)
        latest = (
            select(Wave.organisation_id, func.max(Wave.id).label("wave_id"))
            .where(
                Wave.instrument_version_id == wave.instrument_version_id,
                Wave.organisation_id != wave.organisation_id,
            )
            .group_by(Wave.organisation_id)
        )
        others = dict(session.execute(latest).all())
        neighbour_ids = set(
            session.scalars(
                select(StatisticalNeighbour.neighbour_id).where(
                    StatisticalNeighbour.organisation_id == wave.organisation_id
                )
            )
        )
    shares = _top_shares(db, [wave_id, *others.values()], k)
    rows = []
    for item in definition.items:
        if not isinstance(item, ScaleItem):
            continue
        own = shares.get(wave_id, {}).get(item.code)
        other_values = [
            shares[w][item.code][0] for w in others.values() if item.code in shares.get(w, {})
        ]
        neighbour_values = [
            shares[w][item.code][0]
            for org, w in others.items()
            if org in neighbour_ids and item.code in shares.get(w, {})
        ]
        rows.append(
            BenchmarkRow(
                item_code=item.code,
                label=item.label,
                top_band=item.bands[-1].label,
                own_share=own[0] if own else None,
                own_n=own[1] if own else None,
                others=spread(other_values),
                neighbours=spread(neighbour_values),
            )
        )
    return rows


@dataclass(frozen=True)
class OrganisationName:
    id: int
    name: str


def all_organisations(db: Database, actor: Actor) -> list[OrganisationName]:
    """Names of every authority (public information), e.g. to choose neighbours."""
    require(actor)
    with db.read() as session:
        return [
            OrganisationName(org_id, name)
            for org_id, name in session.execute(
                select(Organisation.id, Organisation.name).order_by(Organisation.name)
            ).all()
        ]


def list_neighbours(db: Database, actor: Actor, organisation_id: int) -> list[int]:
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        return list(
            session.scalars(
                select(StatisticalNeighbour.neighbour_id).where(
                    StatisticalNeighbour.organisation_id == organisation_id
                )
            )
        )


def set_neighbours(
    db: Database, actor: Actor, organisation_id: int, neighbour_ids: list[int]
) -> None:
    """Replace an authority's statistical neighbours (audited)."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    chosen = set(neighbour_ids)
    if organisation_id in chosen:
        raise InvalidInput("An authority cannot be its own statistical neighbour.")
    if len(chosen) > 20:
        raise InvalidInput("Choose at most 20 statistical neighbours.")
    with db.write() as session:
        found = session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.id.in_(chosen))
        )
        if found != len(chosen):
            raise InvalidInput("One of the chosen authorities does not exist.")
        session.execute(
            delete(StatisticalNeighbour).where(
                StatisticalNeighbour.organisation_id == organisation_id
            )
        )
        session.add_all(
            StatisticalNeighbour(organisation_id=organisation_id, neighbour_id=n) for n in chosen
        )
        audit.record(
            session,
            actor,
            "neighbours_changed",
            organisation_id=organisation_id,
            count=len(chosen),
        )
