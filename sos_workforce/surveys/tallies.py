"""Maintenance of the pre-aggregated ``answer_tally`` and ``respondent_tally`` tables.

They change in the same transaction as the raw rows they summarise (submission, erasure),
so they are exactly as durable and as current. Rows are upserted in primary-key order,
so concurrent submissions to one team lock tally rows in the same order (no deadlocks).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Executable, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sos_workforce.core.models import (
    AnswerTally,
    ClosedWaveItem,
    ClosedWaveTally,
    InstrumentItem,
    RespondentTally,
    Wave,
)
from sos_workforce.surveys.instruments import ScaleItem, definition_of

Grouping = tuple[str, str, str]  # staff_role, employment_type, tenure_band ("" = none)
_GROUPING_COLUMNS = ("staff_role", "employment_type", "tenure_band")


def grouping_of(
    staff_role: str | None, employment_type: str | None, tenure: str | None
) -> Grouping:
    return (staff_role or "", employment_type or "", tenure or "")


_Executor = Session | Connection
_upserts: dict[tuple[str, str], Executable] = {}


def _upsert_statement(
    dialect: str, model: type[AnswerTally] | type[RespondentTally], keys: list[str]
) -> Executable:
    """``INSERT … ON CONFLICT (keys) DO UPDATE SET n = n + excluded.n``, built once per
    dialect and table and run with one parameter set per row (executemany)."""
    cache_key = (dialect, model.__tablename__)
    statement = _upserts.get(cache_key)
    if statement is None:
        make = postgresql_insert if dialect == "postgresql" else sqlite_insert
        insert = make(model)
        statement = _upserts[cache_key] = insert.on_conflict_do_update(
            index_elements=keys, set_={"n": model.n + insert.excluded.n}
        )
    return statement


def _upsert(
    executor: _Executor,
    model: type[AnswerTally] | type[RespondentTally],
    keys: list[str],
    rows: list[dict[str, object]],
) -> None:
    if not rows:
        return
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    statement = _upsert_statement(bind.dialect.name, model, keys)
    # Primary-key order: concurrent transactions lock tally rows in the same order.
    executor.execute(statement, sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys)))


def add_response(
    executor: _Executor,
    wave_id: int,
    team_id: int,
    grouping: Grouping,
    item_values: Iterable[tuple[int, int]],
    delta: int = 1,
) -> None:
    """Count one response (``delta=-1`` removes one, e.g. on erasure), in the caller's
    transaction (an ORM session or a Core connection)."""
    group = dict(zip(_GROUPING_COLUMNS, grouping, strict=True))
    _upsert(
        executor,
        RespondentTally,
        ["wave_id", "team_id", *_GROUPING_COLUMNS],
        [{"wave_id": wave_id, "team_id": team_id, **group, "n": delta}],
    )
    _upsert(
        executor,
        AnswerTally,
        ["wave_id", "team_id", "item_id", "value", *_GROUPING_COLUMNS],
        [
            {
                "wave_id": wave_id,
                "team_id": team_id,
                "item_id": item_id,
                "value": value,
                **group,
                "n": delta,
            }
            for item_id, value in item_values
        ],
    )
    if delta < 0:
        executor.execute(delete(RespondentTally).where(RespondentTally.n <= 0))
        executor.execute(delete(AnswerTally).where(AnswerTally.n <= 0))


def seal_wave(session: Session, wave_id: int) -> None:
    """Write the whole-wave tallies of a wave that has just closed (idempotent): counts per
    item and value, and per scale item the number answering and in its top band."""
    unseal_wave(session, wave_id)
    session.execute(
        insert(ClosedWaveTally).from_select(
            ["wave_id", "item_id", "value", "n"],
            select(
                AnswerTally.wave_id, AnswerTally.item_id, AnswerTally.value, func.sum(AnswerTally.n)
            )
            .where(AnswerTally.wave_id == wave_id)
            .group_by(AnswerTally.wave_id, AnswerTally.item_id, AnswerTally.value),
        )
    )
    wave = session.get(Wave, wave_id)
    if wave is None:
        return
    item_ids = dict(
        session.execute(
            select(InstrumentItem.code, InstrumentItem.id).where(
                InstrumentItem.instrument_version_id == wave.instrument_version_id
            )
        ).all()
    )
    top_bands = {
        item_ids[item.code]: item.bands[-1]
        for item in definition_of(wave.instrument_version).items
        if isinstance(item, ScaleItem) and item.code in item_ids
    }
    counts: dict[int, list[int]] = {}  # item → [answering, in the top band]
    for item_id, value, n in session.execute(
        select(ClosedWaveTally.item_id, ClosedWaveTally.value, ClosedWaveTally.n).where(
            ClosedWaveTally.wave_id == wave_id, ClosedWaveTally.item_id.in_(top_bands)
        )
    ):
        total = counts.setdefault(item_id, [0, 0])
        total[0] += n
        if top_bands[item_id].min <= value <= top_bands[item_id].max:
            total[1] += n
    if counts:
        session.execute(
            insert(ClosedWaveItem),
            [
                {"wave_id": wave_id, "item_id": item_id, "n": n, "top_n": top_n}
                for item_id, (n, top_n) in sorted(counts.items())
            ],
        )


def unseal_wave(session: Session, wave_id: int) -> None:
    """Delete a wave's whole-wave tallies (before it is sealed again, or reopened)."""
    session.execute(delete(ClosedWaveTally).where(ClosedWaveTally.wave_id == wave_id))
    session.execute(delete(ClosedWaveItem).where(ClosedWaveItem.wave_id == wave_id))
