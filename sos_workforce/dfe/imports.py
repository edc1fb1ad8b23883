"""Importing DfE's published files (once per deployment, by an administrator) and reading
the stored figures back.

A file is validated whole before anything is written, then stored in one transaction: a
newer release of the same kind of file replaces the older one, and the same file again
(same checksum) changes nothing. The figures are public statistics, shared by every
organisation; only administrators change them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import DfeFile, DfeNeighbour, DfeRow
from sos_workforce.dfe.reader import (
    LOCAL_AUTHORITY,
    NEIGHBOUR_MODEL,
    Progress,
    decode,
    header_of,
    identify,
    read_neighbour_model,
    read_tidy,
    read_upload,
    source_title,
)

_BATCH = 1_000  # rows per executemany, so the progress bar moves while a file is written


@dataclass(frozen=True)
class DfeImport:
    """What an import did. ``created`` is False when the same file was already imported
    (nothing changed); ``replaced`` names the earlier file of the same kind it replaced."""

    source: str
    title: str
    file_name: str
    rows: int
    figures: int
    skipped_rows: int
    created: bool
    replaced: str | None = None


@dataclass(frozen=True)
class DfeFileInfo:
    source: str
    title: str
    file_name: str
    rows: int
    figures: int
    fictional: bool
    imported_at: dt.datetime


def import_dfe_file(
    db: Database,
    actor: Actor,
    file_name: str,
    content: bytes | BinaryIO,
    *,
    progress: Progress | None = None,
    fictional: bool = False,
) -> DfeImport:
    """Import one DfE file (an EES tidy CSV or the statistical-neighbour model), all or
    nothing. ``fictional`` is for the demo's invented series only (the page says so)."""
    require(actor, Role.ADMIN)
    file_name = " ".join(file_name.split())[:200] or "upload.csv"
    data = read_upload(content, file_name)
    checksum = hashlib.sha256(data).hexdigest()
    text = decode(data)
    source = identify(header_of(text), file_name)
    key = NEIGHBOUR_MODEL if source is None else source.key

    def reading(share: float) -> None:
        if progress is not None:
            progress(0.5 * share)

    with db.read() as session:  # the same file again: say so before reading it all
        current_checksum = session.scalar(select(DfeFile.checksum).where(DfeFile.source == key))
    if current_checksum == checksum:
        return DfeImport(key, source_title(key), file_name, 0, 0, 0, created=False)
    if source is None:
        model = read_neighbour_model(text, file_name)
        rows, skipped, records, figures = model.authorities, 0, model.pairs, len(model.pairs)
        table: type[DfeRow] | type[DfeNeighbour] = DfeNeighbour
    else:
        tidy = read_tidy(text, source, file_name, reading)
        rows, skipped, records, figures = tidy.rows, tidy.skipped, tidy.stored, tidy.cells
        table = DfeRow
    reading(1.0)
    with db.write() as session:
        current = session.scalar(select(DfeFile).where(DfeFile.source == key))
        if current is not None and current.checksum == checksum:  # imported meanwhile
            return DfeImport(key, source_title(key), file_name, rows, 0, skipped, created=False)
        replaced = None
        if current is not None:
            replaced = current.file_name
            # Explicit deletes (not only ON DELETE CASCADE): quicker, and the same on both
            # databases.
            session.execute(delete(table).where(table.file_id == current.id))
            session.execute(delete(DfeFile).where(DfeFile.id == current.id))
            session.flush()
        stored = DfeFile(
            source=key,
            file_name=file_name,
            checksum=checksum,
            rows=rows,
            figures=figures,
            fictional=fictional,
            imported_by_id=actor.user_id or None,
        )
        session.add(stored)
        session.flush()
        # render_nulls: one executemany per batch (without it the ORM starts a new statement
        # wherever the pattern of empty columns changes).
        statement = insert(table).execution_options(render_nulls=True)
        for start in range(0, len(records), _BATCH):
            batch = records[start : start + _BATCH]
            session.execute(statement, [{**r, "file_id": stored.id} for r in batch])
            if progress is not None:
                progress(0.5 + 0.5 * min(start + _BATCH, len(records)) / len(records))
        record_event(
            session,
            actor,
            "dfe_file_imported",
            target=f"dfe:{key}",
            count=figures,
            detail=f"{file_name}{' (replaced ' + replaced + ')' if replaced else ''}"[:500],
        )
    return DfeImport(key, source_title(key), file_name, rows, figures, skipped, True, replaced)


def list_dfe_files(db: Database, actor: Actor) -> list[DfeFileInfo]:
    """The DfE files imported so far (public statistics: any signed-in user)."""
    require(actor)
    with db.read() as session:
        return [
            DfeFileInfo(
                f.source,
                source_title(f.source),
                f.file_name,
                f.rows,
                f.figures,
                f.fictional,
                f.imported_at,
            )
            for f in session.scalars(select(DfeFile).order_by(DfeFile.source))
        ]


# --- reading the stored figures (inside a caller's session) -----------------------------


@dataclass(frozen=True, slots=True)
class PublishedFigure:
    """One stored cell. ``value`` is None when DfE published a code (``symbol``) or left
    the cell blank (``symbol`` "")."""

    time_period: int
    level: str
    area_code: str
    old_la_code: str | None
    area_name: str
    region_code: str | None
    breakdown: str
    measure: str
    value: float | None
    symbol: str | None


@dataclass(frozen=True)
class StoredFile:
    file_name: str
    fictional: bool


def stored_files(session: Session) -> dict[str, StoredFile]:
    """Each imported kind of file (source key) with its file name and whether it is the
    demo's fictional series."""
    return {
        source: StoredFile(name, fictional)
        for source, name, fictional in session.execute(
            select(DfeFile.source, DfeFile.file_name, DfeFile.fictional)
        )
    }


def published_figures(
    session: Session,
    source: str,
    measures: Collection[str],
    *,
    breakdown: str | None = None,
    old_la_codes: Collection[str] = (),
    new_la_codes: Collection[str] = (),
    combined: bool = False,
) -> list[PublishedFigure]:
    """The figures of ``measures`` from the imported file of ``source``: every national and
    regional row, and the local-authority rows of the given codes (with ``combined``, also
    the rows DfE publishes for two authorities together that include one of them, such as
    the workforce census's "314 / 318")."""
    authorities = [DfeRow.level != LOCAL_AUTHORITY]
    if old_la_codes:
        authorities.append(DfeRow.old_la_code.in_(sorted(old_la_codes)))
    if new_la_codes:
        authorities.append(DfeRow.area_code.in_(sorted(new_la_codes)))
    if combined:
        for column, codes in ((DfeRow.old_la_code, old_la_codes), (DfeRow.area_code, new_la_codes)):
            for code in sorted(codes):
                authorities += [
                    column.like(f"{code} / %"),
                    column.like(f"% / {code}"),
                    column.like(f"% / {code} / %"),
                ]
    query = (
        select(
            DfeRow.time_period,
            DfeRow.level,
            DfeRow.area_code,
            DfeRow.old_la_code,
            DfeRow.area_name,
            DfeRow.region_code,
            DfeRow.breakdown,
            DfeRow.cells,
        )
        .join(DfeFile, DfeFile.id == DfeRow.file_id)
        .where(DfeFile.source == source, or_(*authorities))
    )
    if breakdown is not None:
        query = query.where(DfeRow.breakdown == breakdown)
    found = []
    for period, level, area, old_code, name, region, row_breakdown, cells in session.execute(query):
        for measure in measures:
            if measure not in cells:
                continue
            cell = cells[measure]
            found.append(
                PublishedFigure(
                    period,
                    level,
                    area,
                    old_code,
                    name,
                    region,
                    row_breakdown,
                    measure,
                    None if isinstance(cell, str) else float(cell),
                    cell if isinstance(cell, str) else None,
                )
            )
    return found


@dataclass(frozen=True)
class ModelNeighbour:
    rank: int
    old_la_code: str
    name: str
    closeness: str


def model_neighbours(session: Session, old_la_code: str) -> list[ModelNeighbour]:
    """An authority's statistical neighbours in DfE's model, nearest first (names from the
    model's own rows; a neighbour the model does not list by itself keeps its code)."""
    pairs = session.execute(
        select(DfeNeighbour.rank, DfeNeighbour.neighbour_code, DfeNeighbour.closeness)
        .where(DfeNeighbour.old_la_code == old_la_code)
        .order_by(DfeNeighbour.rank)
    ).all()
    names = authority_names(session, [code for _, code, _ in pairs])
    return [
        ModelNeighbour(rank, code, names.get(code, f"LA {code}"), closeness)
        for rank, code, closeness in pairs
    ]


def authority_names(session: Session, old_la_codes: Sequence[str]) -> dict[str, str]:
    """Names of authorities in the neighbour model, by old LA code."""
    if not old_la_codes:
        return {}
    return dict(
        session.execute(
            select(DfeNeighbour.old_la_code, DfeNeighbour.la_name)
            .where(DfeNeighbour.old_la_code.in_(sorted(set(old_la_codes))))
            .distinct()
        ).all()
    )
