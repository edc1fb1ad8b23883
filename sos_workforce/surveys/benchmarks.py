"""Benchmarks: an authority's figures beside other authorities using the same instrument
version, shown only as a de-identified median and quartiles, and only where at least
``MIN_COMPARATORS`` other authorities contribute (likewise for statistical neighbours, a
fixed group: DfE's model where the authority has its LA code, else an administrator's)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.figures import Spread, percent, spread_of
from sos_workforce.core.models import (
    AnswerTally,
    ClosedWaveItem,
    DfeNeighbour,
    InstrumentItem,
    Organisation,
    StatisticalNeighbour,
    Wave,
)
from sos_workforce.privacy import MIN_COMPARATORS
from sos_workforce.surveys.instruments import InstrumentDefinition, ScaleItem, definition_of
from sos_workforce.surveys.release import named_in_waves


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
    """Others' median and quartiles (inclusive), one decimal, only from
    ``MIN_COMPARATORS`` contributors; how many contribute is always shown."""
    return spread_of(values, minimum=MIN_COMPARATORS)


def _top_shares(
    session: Session, definition: InstrumentDefinition, wave_ids: list[int], k: int
) -> dict[int, dict[str, tuple[float, int]]]:
    """wave → item → (share in top band, n answering), for the scale items answered by at
    least k, for waves that all use the instrument version ``definition`` describes."""
    if not wave_ids:
        return {}
    scale_items = {item.code: item for item in definition.items if isinstance(item, ScaleItem)}
    # Plain Core rows: one per wave and item, no ORM identity work.
    connection = session.connection()
    counts: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    # Closed waves have sealed per-item counts (answering, in the top band); only open
    # waves need their team tallies summed.
    for wave_id, code, n, top_n in connection.execute(
        select(ClosedWaveItem.wave_id, InstrumentItem.code, ClosedWaveItem.n, ClosedWaveItem.top_n)
        .join(InstrumentItem, InstrumentItem.id == ClosedWaveItem.item_id)
        .where(ClosedWaveItem.wave_id.in_(wave_ids))
    ).all():
        counts[wave_id][code] = (n, top_n)
    unsealed = [w for w in wave_ids if w not in counts]
    if unsealed:
        histograms: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
        for wave_id, code, value, n in connection.execute(
            select(
                AnswerTally.wave_id, InstrumentItem.code, AnswerTally.value, func.sum(AnswerTally.n)
            )
            .join(InstrumentItem, InstrumentItem.id == AnswerTally.item_id)
            .where(AnswerTally.wave_id.in_(unsealed))
            .group_by(AnswerTally.wave_id, InstrumentItem.code, AnswerTally.value)
        ):
            histograms[(wave_id, code)][value] = int(n)
        for (wave_id, code), histogram in histograms.items():
            item = scale_items.get(code)
            if item is None:
                continue
            top = item.bands[-1]
            counts[wave_id][code] = (
                sum(histogram.values()),
                sum(c for v, c in histogram.items() if top.min <= v <= top.max),
            )
    named = named_in_waves(connection, wave_ids)  # answers shared by name count as known
    return {
        wave_id: {
            code: (percent(top_n, n), n)
            for code, (n, top_n) in items.items()
            if n - named.get(wave_id, 0) >= k and code in scale_items
        }
        for wave_id, items in counts.items()
    }


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
        neighbour_ids = _neighbours(session, wave.organisation_id)
        # Every wave compared uses this wave's instrument version, so one definition.
        shares = _top_shares(session, definition, [wave_id, *others.values()], k)
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


def _neighbours(session: Session, organisation_id: int) -> set[int]:
    """The authority's comparator group of statistical neighbours, from a fixed definition:
    DfE's statistical-neighbour model where the authority carries its LA code and the
    model is imported (those of its ten neighbours that use this app), otherwise the set an
    administrator keeps. Never a lead's or an executive's pick."""
    old_la_code = session.scalar(
        select(Organisation.old_la_code).where(Organisation.id == organisation_id)
    )
    if old_la_code:
        codes = list(
            session.scalars(
                select(DfeNeighbour.neighbour_code).where(DfeNeighbour.old_la_code == old_la_code)
            )
        )
        if codes:
            return set(
                session.scalars(select(Organisation.id).where(Organisation.old_la_code.in_(codes)))
            )
    return set(
        session.scalars(
            select(StatisticalNeighbour.neighbour_id).where(
                StatisticalNeighbour.organisation_id == organisation_id
            )
        )
    )


def list_neighbours(db: Database, actor: Actor, organisation_id: int) -> list[int]:
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        return sorted(_neighbours(session, organisation_id))


def set_neighbours(
    db: Database, actor: Actor, organisation_id: int, neighbour_ids: list[int]
) -> None:
    """Replace an authority's statistical neighbours (audited). Administrators only: a
    comparator group a lead or executive could choose could isolate one authority."""
    require(actor, Role.ADMIN, organisation_id=organisation_id)
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
        record_event(
            session,
            actor,
            "neighbours_changed",
            organisation_id=organisation_id,
            count=len(chosen),
        )
