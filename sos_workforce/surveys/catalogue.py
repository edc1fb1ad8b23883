"""The catalogue of survey instruments: the versions an organisation can launch, publishing a
new instrument file, publishing an organisation's instrument to the shared library, and
reading one version's definition. A version is immutable: a changed wording is a new
version (``instruments.register`` refuses the same version with different text).

An instrument uploaded by a lead belongs to the lead's organisation and is offered to it
only; the shared library (the shipped ``surveys/`` files, and what an administrator
uploads or publishes there) is offered to every organisation. Benchmarks compare waves of
the same version, so they compare authorities on the library's instruments.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound, PermissionDenied
from sos_workforce.core.models import (
    Instrument,
    InstrumentItem,
    InstrumentVersion,
    Organisation,
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
    instrument_id: int = 0
    organisation_id: int | None = None  # the owner; None: the shared library
    owner: str | None = None  # the owning organisation's name

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def shared(self) -> bool:
        return self.organisation_id is None

    @property
    def offered_to(self) -> str:
        return "Every organisation (shared library)" if self.shared else f"{self.owner} only"


def _offered(actor: Actor, organisation_id: int | None) -> ColumnElement[bool]:
    """Instruments offered to ``organisation_id`` (the library's and its own); without
    one, those of every organisation the actor may work in (an administrator: all)."""
    shared = Instrument.organisation_id.is_(None)
    if organisation_id is not None:
        return shared | (Instrument.organisation_id == organisation_id)
    if actor.is_admin:
        return true()
    return shared | Instrument.organisation_id.in_(sorted(actor.organisation_ids))


def list_instrument_versions(
    db: Database, actor: Actor, organisation_id: int | None = None
) -> list[InstrumentVersionSummary]:
    """The versions offered to ``organisation_id``: the shared library's and the
    organisation's own. Without an organisation: those offered to any organisation the
    actor works in (an administrator sees every organisation's)."""
    require(actor, organisation_id=organisation_id)
    offered = _offered(actor, organisation_id)
    with db.read() as session:
        collections = {
            version.id: definition_of(version).collection
            for version in session.scalars(
                select(InstrumentVersion).join(InstrumentVersion.instrument).where(offered)
            )
        }
        rows = session.execute(
            select(
                InstrumentVersion.id,
                Instrument.code,
                InstrumentVersion.version,
                Instrument.title,
                func.count(InstrumentItem.id),
                Instrument.id,
                Instrument.organisation_id,
                Organisation.name,
            )
            .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
            .outerjoin(Organisation, Organisation.id == Instrument.organisation_id)
            .outerjoin(InstrumentItem, InstrumentItem.instrument_version_id == InstrumentVersion.id)
            .where(offered)
            .group_by(
                InstrumentVersion.id,
                Instrument.code,
                InstrumentVersion.version,
                Instrument.title,
                Instrument.id,
                Instrument.organisation_id,
                Organisation.name,
            )
            .order_by(Instrument.title, InstrumentVersion.version)
        )
        return [
            InstrumentVersionSummary(
                id=version_id,
                code=code,
                version=version,
                title=title,
                item_count=items,
                collection=collections[version_id],
                instrument_id=instrument_id,
                organisation_id=owner_id,
                owner=owner,
            )
            for version_id, code, version, title, items, instrument_id, owner_id, owner in rows
        ]


MAX_INSTRUMENT_BYTES = 200_000


def publish_instrument(
    db: Database,
    actor: Actor,
    text: str,
    *,
    organisation_id: int | None = None,
    source: str = "upload",
) -> InstrumentVersionSummary:
    """Validate an instrument file and store it as a new immutable version of an
    instrument of ``organisation_id``, offered to that organisation only; without one, of
    the shared library offered to every organisation (administrators only). Problems are
    listed with their line; a changed wording under an existing version is refused (it
    must be published as a new version), and so is a code another owner's instrument
    uses. Publishing identical content again is a no-op."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    if organisation_id is None and not actor.is_admin:
        raise PermissionDenied(
            "Only an administrator publishes to the shared library: publish the instrument "
            "for your organisation."
        )
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
        version = register(session, definition, organisation_id)
        if is_new:
            record_event(
                session,
                actor,
                "instrument_published",
                organisation_id=organisation_id,
                target=f"instrument:{definition.code}:v{definition.version}",
                count=len(definition.items),
                detail="own" if organisation_id is not None else "shared library",
            )
        owner = session.get(Organisation, organisation_id) if organisation_id else None
        return InstrumentVersionSummary(
            id=version.id,
            code=definition.code,
            version=definition.version,
            title=definition.title,
            item_count=len(definition.items),
            collection=definition.collection,
            instrument_id=version.instrument_id,
            organisation_id=organisation_id,
            owner=owner.name if owner else None,
        )


def share_instrument(db: Database, actor: Actor, instrument_id: int) -> None:
    """Publish an organisation's instrument, every version of it, to the shared library:
    from now on it is offered to every organisation (administrators only; audited). Its
    owner keeps its waves; new versions are then published by administrators."""
    require(actor, Role.ADMIN)
    with db.write() as session:
        instrument = session.get(Instrument, instrument_id)
        if instrument is None:
            raise NotFound("No such instrument.")
        if instrument.organisation_id is None:
            raise InvalidInput(f"'{instrument.title}' is already in the shared library.")
        versions = session.scalar(
            select(func.count(InstrumentVersion.id)).where(
                InstrumentVersion.instrument_id == instrument.id
            )
        )
        record_event(
            session,
            actor,
            "instrument_shared",
            organisation_id=instrument.organisation_id,
            target=f"instrument:{instrument.code}",
            count=versions,
            detail="published to the shared library",
        )
        instrument.organisation_id = None


def _readable_version(session: Session, actor: Actor, version_id: int) -> InstrumentVersion:
    """A stored version the actor may read: the shared library's, or one of an
    organisation the actor works in."""
    version = session.get(InstrumentVersion, version_id)
    if version is None:
        raise NotFound("No such instrument version.")
    owner = version.instrument.organisation_id
    if owner is not None and not actor.may_access(owner):
        raise PermissionDenied("That instrument belongs to another organisation.")
    return version


def instrument_definition(db: Database, actor: Actor, version_id: int) -> InstrumentDefinition:
    """A stored version's definition, for preview and download: the shared library's, or
    an instrument of an organisation the actor works in."""
    require(actor, Role.LEAD, Role.EXECUTIVE)
    with db.read() as session:
        return definition_of(_readable_version(session, actor, version_id))
