"""The catalogue of survey instruments: the versions an authority can launch, publishing a
new instrument file, and reading one version's definition. A version is immutable: a
changed wording is a new version (``instruments.register`` refuses the same version with
different text).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.models import (
    Instrument,
    InstrumentItem,
    InstrumentVersion,
)
from sos_workforce.surveys.instruments import (
    SELF_PROFILE_PREFIX,
    InstrumentDefinition,
    definition_of,
    parse_instrument,
    register,
)

# --- instruments ------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentVersionSummary:
    id: int
    code: str
    version: int
    title: str
    item_count: int
    collection: str = "wave"  # "continuous": collected all year, never launched as a wave

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"


def list_instrument_versions(db: Database, actor: Actor) -> list[InstrumentVersionSummary]:
    require(actor)
    with db.read() as session:
        collections = {
            version.id: definition_of(version).collection
            for version in session.scalars(select(InstrumentVersion))
        }
        rows = session.execute(
            select(
                InstrumentVersion.id,
                Instrument.code,
                InstrumentVersion.version,
                Instrument.title,
                func.count(InstrumentItem.id),
            )
            .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
            .outerjoin(InstrumentItem, InstrumentItem.instrument_version_id == InstrumentVersion.id)
            .group_by(
                InstrumentVersion.id, Instrument.code, InstrumentVersion.version, Instrument.title
            )
            .order_by(Instrument.title, InstrumentVersion.version)
        )
        return [InstrumentVersionSummary(*row, collections[row[0]]) for row in rows]


MAX_INSTRUMENT_BYTES = 200_000


def publish_instrument(
    db: Database, actor: Actor, text: str, *, source: str = "upload"
) -> InstrumentVersionSummary:
    """Validate an instrument file and store it as a new immutable version. Problems are
    listed with their line; a changed wording under an existing version is refused (it
    must be published as a new version). Publishing identical content again is a no-op."""
    require(actor, Role.LEAD)
    if len(text.encode("utf-8")) > MAX_INSTRUMENT_BYTES:
        raise InvalidInput(f"{source}: the file is larger than {MAX_INSTRUMENT_BYTES:,} bytes.")
    definition = parse_instrument(text, source=source)
    if definition.code.startswith(SELF_PROFILE_PREFIX):
        raise InvalidInput(f"{source}: codes starting '{SELF_PROFILE_PREFIX}' are reserved.")
    with db.write() as session:
        is_new = (
            session.scalar(
                select(InstrumentVersion.id)
                .join(Instrument)
                .where(
                    Instrument.code == definition.code,
                    InstrumentVersion.version == definition.version,
                )
            )
            is None
        )
        version = register(session, definition)
        if is_new:
            record_event(
                session,
                actor,
                "instrument_published",
                target=f"instrument:{definition.code}:v{definition.version}",
                count=len(definition.items),
            )
        return InstrumentVersionSummary(
            version.id, definition.code, definition.version, definition.title, len(definition.items)
        )


def instrument_definition(db: Database, actor: Actor, version_id: int) -> InstrumentDefinition:
    """A stored version's definition, for preview and download."""
    require(actor, Role.LEAD, Role.EXECUTIVE)
    with db.read() as session:
        version = session.get(InstrumentVersion, version_id)
        if version is None:
            raise NotFound("No such instrument version.")
        return definition_of(version)
