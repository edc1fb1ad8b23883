"""Training records in: sessions entered in the app, imports of a learning-system export
(CSV/XLSX through ``core.tabular``, a template, a column-mapping step and a mapping of the
system's own course names to ours; all or nothing; the same file twice changes nothing;
a broken row is named), and the lead's coverage targets.

An attendee is a staff id from the authority's rosters or, for someone on no roster
(agency staff, a partner's worker), a name. A session is one course on one date: entering
or importing the same course and date again adds to that session, and an attendee already
recorded there is not recorded twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.models import (
    RosterMember,
    RosterSnapshot,
    TrainingAttendance,
    TrainingImport,
    TrainingSession,
    TrainingTarget,
)
from sos_workforce.core.tabular import (
    Column,
    Table,
    normalise_header,
    normalise_staff_id,
    parse_rows,
    propose_mapping,
    read_table,
    refuse_import,
)
from sos_workforce.training.courses import LEVELS, all_courses, course

TRAINERS = "trainers"  # the target for the number of in-house trainers
MAX_NAME = 200

TRAINING_COLUMNS: list[Column] = [
    Column(
        "staff_ref",
        "Staff id",
        required=False,
        max_length=100,
        synonyms=("employee id", "payroll number", "person id", "learner id", "staff number"),
        help="The staff id used in your rosters. Leave it blank for someone on no roster.",
    ),
    Column(
        "attendee_name",
        "Attendee name",
        required=False,
        max_length=MAX_NAME,
        synonyms=("name", "learner name", "learner", "full name", "delegate"),
        help="Only for attendees on no roster (agency staff, partners' workers).",
    ),
    Column(
        "course",
        "Course",
        max_length=200,
        synonyms=("course name", "course title", "course code", "activity", "learning item"),
        help="The course as your learning system names it; you match each to ours next.",
    ),
    Column(
        "held_on",
        "Date",
        kind="date",
        synonyms=("session date", "completion date", "completed", "date attended", "attended"),
    ),
]


def training_template() -> bytes:
    """A CSV template with example rows (dates are day/month/year)."""
    first = all_courses()[0]
    return csv_bytes(
        [column.label for column in TRAINING_COLUMNS],
        [
            ["SW0001", "", first.title, "14/03/2025"],
            ["", "Alex Agency (agency)", first.title, "14/03/2025"],
        ],
    )


# --- entry -----------------------------------------------------------------------------


def _known_staff(session: Session, organisation_id: int) -> set[str]:
    return set(
        session.scalars(
            select(RosterMember.staff_ref)
            .join(RosterSnapshot, RosterSnapshot.id == RosterMember.snapshot_id)
            .where(RosterSnapshot.organisation_id == organisation_id)
            .distinct()
        )
    )


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"An attendee's name is longer than {MAX_NAME} characters.")
    return cleaned


def _add_attendance(
    session: Session,
    organisation_id: int,
    sessions: Mapping[tuple[str, dt.date], set[tuple[str, str]]],
    import_id: int | None,
) -> int:
    """Add each (course, date)'s attendees, reusing a session on the same course and date
    and skipping anyone already recorded there. Returns the attendances added."""
    added = 0
    for (course_id, held_on), attendees in sorted(sessions.items()):
        session_id = session.scalar(
            select(TrainingSession.id).where(
                TrainingSession.organisation_id == organisation_id,
                TrainingSession.course_id == course_id,
                TrainingSession.held_on == held_on,
            )
        )
        if session_id is None:
            record = TrainingSession(
                organisation_id=organisation_id,
                course_id=course_id,
                held_on=held_on,
                import_id=import_id,
            )
            session.add(record)
            session.flush()
            session_id = record.id
            existing: set[tuple[str, str]] = set()
        else:
            existing = {
                (row.staff_ref, row.attendee_name)
                for row in session.execute(
                    select(TrainingAttendance.staff_ref, TrainingAttendance.attendee_name).where(
                        TrainingAttendance.session_id == session_id
                    )
                )
            }
        rows = [
            {"session_id": session_id, "staff_ref": ref, "attendee_name": name}
            for ref, name in sorted(attendees - existing)
        ]
        if rows:
            session.execute(insert(TrainingAttendance), rows)
            added += len(rows)
    return added


def record_session(
    db: Database,
    actor: Actor,
    organisation_id: int,
    *,
    course_id: str,
    held_on: dt.date,
    staff_refs: Sequence[str] = (),
    names: Sequence[str] = (),
    today: dt.date | None = None,
) -> int:
    """Record who attended a course on a date (staff ids from the rosters, and names of
    attendees on no roster). Returns how many attendances were added."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    today = today or dt.date.today()
    course(course_id)
    if held_on > today:
        raise InvalidInput("The session's date is in the future.")
    refs = {normalise_staff_id(ref) for ref in staff_refs if ref.strip()}
    named = {_clean_name(name) for name in names if name.strip()}
    if not refs and not named:
        raise InvalidInput("Add at least one attendee: a staff id or a name.")
    with db.write() as session:
        unknown = sorted(refs - _known_staff(session, organisation_id))
        if unknown:
            raise InvalidInput(
                "Not on any of your rosters: "
                + ", ".join(unknown)
                + ". Check the staff id, or enter the person by name."
            )
        attendees = {(ref, "") for ref in refs} | {("", name) for name in named}
        added = _add_attendance(session, organisation_id, {(course_id, held_on): attendees}, None)
        record_event(
            session,
            actor,
            "training_session_recorded",
            organisation_id=organisation_id,
            target=course_id,
            count=added,
        )
    return added


@dataclass(frozen=True)
class SessionRecord:
    id: int
    course_id: str
    course_title: str
    level: str
    held_on: dt.date
    staff_refs: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def attendees(self) -> int:
        return len(self.staff_refs) + len(self.names)


def list_sessions(db: Database, actor: Actor, organisation_id: int) -> list[SessionRecord]:
    """Every session with its attendees, newest first (leads and administrators)."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    with db.read() as session:
        found = session.execute(
            select(TrainingSession.id, TrainingSession.course_id, TrainingSession.held_on)
            .where(TrainingSession.organisation_id == organisation_id)
            .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
        ).all()
        people: dict[int, list[tuple[str, str]]] = {}
        for ref_row in session.execute(
            select(
                TrainingAttendance.session_id,
                TrainingAttendance.staff_ref,
                TrainingAttendance.attendee_name,
            )
            .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
            .where(TrainingSession.organisation_id == organisation_id)
        ):
            people.setdefault(ref_row.session_id, []).append(
                (ref_row.staff_ref, ref_row.attendee_name)
            )
    records = []
    for row in found:
        known = course(row.course_id)
        attendees = people.get(row.id, [])
        records.append(
            SessionRecord(
                row.id,
                row.course_id,
                known.title,
                known.level_label,
                row.held_on,
                tuple(sorted(ref for ref, _ in attendees if ref)),
                tuple(sorted(name for _, name in attendees if name)),
            )
        )
    return records


def delete_session(db: Database, actor: Actor, organisation_id: int, session_id: int) -> None:
    """Delete a session and its attendance (a mistake in entry)."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    with db.write() as session:
        found = session.get(TrainingSession, session_id)
        if found is None or found.organisation_id != organisation_id:
            raise NotFound("That training session no longer exists.")
        course_id = found.course_id
        session.execute(delete(TrainingSession).where(TrainingSession.id == session_id))
        record_event(
            session,
            actor,
            "training_session_deleted",
            organisation_id=organisation_id,
            target=course_id,
        )


# --- import ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingPreview:
    """An uploaded file read, with the proposed column mapping (before any choice)."""

    table: Table
    mapping: dict[str, str | None]


def preview_training(data: bytes, filename: str) -> TrainingPreview:
    """Read a learning-system export and propose which column feeds each field."""
    table = read_table(data, filename)
    return TrainingPreview(table, propose_mapping(table.headers, TRAINING_COLUMNS))


def course_names_in(table: Table, mapping: Mapping[str, str | None]) -> list[str]:
    """The distinct course names of the file's course column (for the course mapping)."""
    header = mapping.get("course")
    if not header or header not in table.headers:
        raise InvalidInput("Choose the column that holds the course.")
    position = table.headers.index(header)
    names = {
        " ".join(str(row[position]).split())
        for row in table.rows
        if position < len(row) and row[position] is not None and str(row[position]).strip()
    }
    return sorted(names)


def propose_courses(names: Sequence[str]) -> dict[str, str | None]:
    """Each of the file's course names matched to our course whose id or title it is
    (ignoring case and punctuation), else None."""
    ours = {normalise_header(c.id): c.id for c in all_courses()} | {
        normalise_header(c.title): c.id for c in all_courses()
    }
    return {name: ours.get(normalise_header(name)) for name in names}


@dataclass(frozen=True)
class TrainingImported:
    rows: int
    added: int  # attendances not recorded before
    created: bool  # False: this file was imported before, nothing changed


def import_training(
    db: Database,
    actor: Actor,
    organisation_id: int,
    *,
    data: bytes,
    filename: str,
    mapping: Mapping[str, str | None] | None = None,
    course_map: Mapping[str, str | None] | None = None,
    today: dt.date | None = None,
) -> TrainingImported:
    """Import attendance from a learning-system export: every row or none. ``course_map``
    takes each of the file's course names to one of our course ids (None: the row is not
    Signs of Safety training and is left out); names left unmapped are refused."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    today = today or dt.date.today()
    checksum = hashlib.sha256(data).hexdigest()
    with db.read() as session:
        before = session.scalar(
            select(TrainingImport.rows).where(
                TrainingImport.organisation_id == organisation_id,
                TrainingImport.checksum == checksum,
            )
        )
    if before is not None:
        return TrainingImported(before, 0, created=False)
    table = read_table(data, filename)
    mapping = dict(mapping or propose_mapping(table.headers, TRAINING_COLUMNS))
    records = parse_rows(table, mapping, TRAINING_COLUMNS)
    course_map = dict(course_map or propose_courses(course_names_in(table, mapping)))
    known_ids = {c.id for c in all_courses()}
    problems: list[str] = []
    for name, target in course_map.items():
        if target is not None and target not in known_ids:
            problems.append(f"The course '{name}' is matched to '{target}', not a known course.")
    wanted: dict[tuple[str, dt.date], set[tuple[str, str]]] = {}
    pending: list[tuple[int, str]] = []  # (row, staff id) to check against the rosters
    for line, record in enumerate(records, 2):
        raw_course = str(record["course"])
        if raw_course not in course_map:
            problems.append(
                f"Row {line}: the course '{raw_course}' is not matched to one of ours "
                "(match it, or mark it as not Signs of Safety training)."
            )
            continue
        course_id = course_map[raw_course]
        held_on = record["held_on"]
        assert isinstance(held_on, dt.date)
        if held_on > today:
            problems.append(f"Row {line}: the date {held_on:%d/%m/%Y} is in the future.")
        ref_value, name_value = record.get("staff_ref"), record.get("attendee_name")
        ref = normalise_staff_id(ref_value) if ref_value else ""
        name = str(name_value) if name_value and not ref else ""
        if not ref and not name:
            problems.append(f"Row {line}: give a staff id or, for someone on no roster, a name.")
            continue
        if ref:
            pending.append((line, ref))
        if course_id is not None:
            wanted.setdefault((course_id, held_on), set()).add((ref, name))
    with db.write() as session:
        known = _known_staff(session, organisation_id)
        problems.extend(
            f"Row {line}: staff id {ref} is on none of your rosters (give a name instead)."
            for line, ref in pending
            if ref not in known
        )
        if problems:
            refuse_import(problems)
        imported = TrainingImport(
            organisation_id=organisation_id,
            checksum=checksum,
            source=filename[:200],
            rows=len(records),
        )
        session.add(imported)
        session.flush()
        added = _add_attendance(session, organisation_id, wanted, imported.id)
        record_event(
            session,
            actor,
            "training_imported",
            organisation_id=organisation_id,
            target=filename[:200],
            count=added,
        )
    return TrainingImported(len(records), added, created=True)


# --- targets ---------------------------------------------------------------------------


def set_target(
    db: Database, actor: Actor, organisation_id: int, measure: str, value: float | None
) -> None:
    """Set (or, with None, clear) a target: a level's share of current staff in percent,
    or (``TRAINERS``) the number of in-house trainers."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    if measure != TRAINERS and measure not in LEVELS:
        raise InvalidInput(f"'{measure}' is not a training level.")
    if value is not None:
        if measure == TRAINERS and (value < 0 or value != int(value) or value > 10_000):
            raise InvalidInput("The number of in-house trainers must be a whole number.")
        if measure != TRAINERS and not 0 <= value <= 100:
            raise InvalidInput("A coverage target is a percentage from 0 to 100.")
    with db.write() as session:
        session.execute(
            delete(TrainingTarget).where(
                TrainingTarget.organisation_id == organisation_id,
                TrainingTarget.measure == measure,
            )
        )
        if value is not None:
            session.add(
                TrainingTarget(organisation_id=organisation_id, measure=measure, value=value)
            )
        record_event(
            session, actor, "training_target_set", organisation_id=organisation_id, target=measure
        )


def training_targets(db: Database, actor: Actor, organisation_id: int) -> dict[str, float]:
    """The targets set, by level (and ``TRAINERS``)."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        return targets_in(session, organisation_id)


def targets_in(session: Session, organisation_id: int) -> dict[str, float]:
    rows = session.execute(
        select(TrainingTarget.measure, TrainingTarget.value).where(
            TrainingTarget.organisation_id == organisation_id
        )
    )
    return {row.measure: row.value for row in rows}


def attendance_count(db: Database, actor: Actor, organisation_id: int) -> int:
    """How many attendances are recorded (for an empty state)."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(TrainingAttendance)
                .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
                .where(TrainingSession.organisation_id == organisation_id)
            )
            or 0
        )
