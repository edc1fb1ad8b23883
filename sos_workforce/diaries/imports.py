"""Importing diaries kept on paper or in a spreadsheet (CSV/XLSX with a template): every
person-day in the file passes the same rules as a day saved through a link, all or
nothing; the same file twice changes nothing (checksum).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from sos_workforce.access import Actor, record_event
from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus, Role
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.models import (
    DiaryEntry,
    DiaryImport,
    DiaryParticipant,
)
from sos_workforce.core.tabular import (
    Column,
    Progress,
    Table,
    normalise_staff_id,
    parse_rows,
    propose_mapping,
    read_table,
    refuse_import,
)
from sos_workforce.diaries.codes import DiaryCodes, diary_codes
from sos_workforce.diaries.days import Entry, EntryInput, check_day
from sos_workforce.diaries.periods import _period

# --- importing diaries recorded elsewhere -----------------------------------------------------


def diary_columns(codes: DiaryCodes) -> list[Column]:
    return [
        Column(
            "staff_ref",
            "Staff id",
            synonyms=("staff id", "employee id", "worker id", "worker", "id", "payroll number"),
            max_length=100,
            help="The pseudonymous staff id the person takes part under.",
        ),
        Column("entry_date", "Date", kind="date", synonyms=("day", "diary date", "entry date")),
        Column(
            "activity",
            "Activity",
            kind="choice",
            choices=codes.activity_lookup(),
            synonyms=("activity code", "code", "task"),
            help="An activity code or its label.",
        ),
        Column(
            "minutes",
            "Minutes",
            kind="number",
            required=False,
            synonyms=("duration", "duration minutes", "mins", "time spent", "minutes spent"),
        ),
        Column("starts_at", "Start", kind="time", required=False, synonyms=("start time", "from")),
        Column("ends_at", "End", kind="time", required=False, synonyms=("end time", "to", "until")),
        Column(
            "sos_tool",
            "SoS tool",
            kind="choice",
            required=False,
            choices=codes.tool_lookup(),
            synonyms=("tool", "signs of safety tool", "sos tool used"),
        ),
    ]


def diary_template() -> bytes:
    """A CSV template with example rows (dates are day/month/year, times hours:minutes)."""
    codes = diary_codes()
    columns = diary_columns(codes)
    return csv_bytes(
        [c.label for c in columns],
        [
            ["SW0001", "02/03/2026", "direct_family", "", "09:30", "11:00", "mapping"],
            ["SW0001", "02/03/2026", "Travel", "40", "", "", ""],
            ["SW0001", "02/03/2026", "recording", "150", "", "", ""],
        ],
    )


def preview_diaries(data: bytes, filename: str) -> tuple[Table, dict[str, str | None]]:
    """Read an upload and propose which file column feeds each field."""
    table = read_table(data, filename)
    return table, propose_mapping(table.headers, diary_columns(diary_codes()))


@dataclass(frozen=True)
class DiaryImportResult:
    rows: int
    days: int  # worker-days replaced
    created: bool  # False when the same file had been imported into this period already


def import_diaries(
    db: Database,
    actor: Actor,
    period_id: int,
    *,
    data: bytes,
    filename: str,
    mapping: Mapping[str, str | None] | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> DiaryImportResult:
    """Import diary rows (staff id, date, activity, minutes or start and end, SoS tool)
    into a period. Every worker-day in the file replaces that day's entries, as saving a
    day does. All rows or none; the same file twice changes nothing."""
    today = today or dt.date.today()
    codes = diary_codes()
    columns = diary_columns(codes)
    checksum = hashlib.sha256(data + f"\x00diary-period:{period_id}".encode()).hexdigest()
    with db.read() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is DiaryStatus.CLOSED:
            raise InvalidInput("This diary period is closed; diaries can no longer be imported.")
        done = session.scalar(
            select(DiaryImport.rows).where(
                DiaryImport.period_id == period_id, DiaryImport.checksum == checksum
            )
        )
        if done is not None:
            return DiaryImportResult(int(done), 0, created=False)
        starts_on, ends_on = period.starts_on, period.ends_on
        people = dict(
            session.execute(
                select(DiaryParticipant.worker_ref, DiaryParticipant.id).where(
                    DiaryParticipant.period_id == period_id
                )
            ).all()
        )
    table = read_table(data, filename)
    records = parse_rows(
        table, mapping or propose_mapping(table.headers, columns), columns, progress
    )
    problems: list[str] = []
    days: dict[tuple[int, dt.date], list[tuple[int, EntryInput]]] = defaultdict(list)
    refs: dict[int, str] = {}
    for line, record in enumerate(records, 2):
        ref = normalise_staff_id(record["staff_ref"])
        day = record["entry_date"]
        assert isinstance(day, dt.date)
        participant = people.get(ref)
        if participant is None:
            problems.append(f"Row {line}: staff id {ref} is not taking part in this diary period.")
            continue
        if not starts_on <= day <= ends_on:
            problems.append(
                f"Row {line}, column 'Date': {day:%d/%m/%Y} is outside the period "
                f"({starts_on:%d/%m/%Y} to {ends_on:%d/%m/%Y})."
            )
            continue
        if day > today:
            problems.append(f"Row {line}, column 'Date': {day:%d/%m/%Y} is in the future.")
            continue
        refs[participant] = ref
        minutes = record.get("minutes")
        days[(participant, day)].append(
            (
                line,
                EntryInput(
                    str(record["activity"]),
                    float(minutes) if isinstance(minutes, int | float) else None,
                    record.get("starts_at"),  # type: ignore[arg-type]
                    record.get("ends_at"),  # type: ignore[arg-type]
                    record.get("sos_tool"),  # type: ignore[arg-type]
                ),
            )
        )
    clean: dict[tuple[int, dt.date], list[Entry]] = {}
    for (participant, day), rows in days.items():
        lines = [line for line, _ in rows]
        entries, day_problems = check_day(
            codes,
            [entry for _, entry in rows],
            [f"Row {line}" for line in lines],
            where=f"Staff id {refs[participant]} on {day:%d/%m/%Y} (rows "
            f"{', '.join(str(n) for n in lines)}): ",
        )
        problems.extend(day_problems)
        clean[(participant, day)] = entries
    if problems:
        refuse_import(problems)
    with db.write() as session:
        period = _period(session, actor, period_id, Role.LEAD)
        if period.status is DiaryStatus.CLOSED:
            raise InvalidInput("This diary period is closed; diaries can no longer be imported.")
        touched: dict[int, list[dt.date]] = defaultdict(list)
        for participant, day in clean:
            touched[participant].append(day)
        for participant, dates in touched.items():
            session.execute(
                delete(DiaryEntry).where(
                    DiaryEntry.participant_id == participant, DiaryEntry.entry_date.in_(dates)
                )
            )
        session.execute(
            insert(DiaryEntry),
            [
                {
                    "participant_id": participant,
                    "entry_date": day,
                    "activity": e.activity,
                    "minutes": e.minutes,
                    "starts_at": e.starts_at,
                    "ends_at": e.ends_at,
                    "sos_tool": e.sos_tool,
                }
                for (participant, day), entries in clean.items()
                for e in entries
            ],
        )
        session.add(
            DiaryImport(
                period_id=period_id, checksum=checksum, source=filename[:200], rows=len(records)
            )
        )
        record_event(
            session,
            actor,
            "diaries_imported",
            organisation_id=period.organisation_id,
            target=f"diary:{period_id}",
            count=len(records),
        )
    return DiaryImportResult(len(records), len(clean), created=True)
