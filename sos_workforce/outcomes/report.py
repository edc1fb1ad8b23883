"""Outcomes beside the implementation: each indicator over the years for the authority, its
statistical neighbours, its region and England, with the change since the Signs of Safety
start beside the neighbours' change. Shown as association, never as effect (seed 003)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import delete, select

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.models import Organisation, OutcomeDirection
from sos_workforce.dfe import (
    ModelNeighbour,
    PublishedFigure,
    model_neighbours,
    published_figures,
    stored_files,
)
from sos_workforce.outcomes.indicators import indicator_definitions
from sos_workforce.outcomes.series import DIRECTIONS, AreaKey, IndicatorSeries, build_series
from sos_workforce.profiling import Timeline, get_timeline

CAUTION_HEADING = "Association, not effect"
CAUTION = (
    "These figures are shown beside the implementation, not as its result: many things "
    "change children's outcomes at the same time (need in the area, thresholds, other "
    "services, recording). The What Works Centre for Children's Social Care's systematic "
    "review (2018) found no robust evidence yet that Signs of Safety reduces the number of "
    "children entering care, and called for robust evaluations. Read a change since the "
    "start beside the years before it and beside the statistical neighbours over the same "
    "years."
)
FICTIONAL = (
    "Fictional figures: the demo authority, its statistical neighbours, its region and England "
    "here are invented for the demonstration. They are not DfE's statistics."
)


@dataclass(frozen=True)
class OutcomeReport:
    organisation_id: int
    authority_name: str
    old_la_code: str | None
    new_la_code: str | None
    neighbours: tuple[ModelNeighbour, ...]
    indicators: tuple[IndicatorSeries, ...]
    timeline: Timeline
    fictional: bool
    missing: str  # why nothing (or less) can be shown, or ""
    files: tuple[str, ...]  # the DfE files the figures come from

    @property
    def region_name(self) -> str:
        return next((s.region_name for s in self.indicators if s.region_name), "")


def outcome_report(db: Database, actor: Actor, organisation_id: int) -> OutcomeReport:
    """Every indicator for the organisation, from the DfE files imported so far."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    timeline = get_timeline(db, actor, organisation_id)
    definitions = indicator_definitions()
    convention = definitions.population
    with db.read() as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound("No such organisation.")
        name = organisation.name
        old, new = organisation.old_la_code, organisation.new_la_code
        directions = dict(
            session.execute(
                select(OutcomeDirection.indicator_id, OutcomeDirection.direction).where(
                    OutcomeDirection.organisation_id == organisation_id
                )
            ).all()
        )
        files = stored_files(session)
        neighbours = tuple(model_neighbours(session, old)) if old else ()
        codes = {c for c in (old, *(n.old_la_code for n in neighbours)) if c is not None}
        new_codes = {new} if new is not None else set()
        # One read per DfE file, with every measure its indicators use.
        measures: dict[str, set[str]] = {}
        for definition in definitions.indicators:
            measures.setdefault(definition.source, set()).update(definition.measures)
        figures: dict[str, list[PublishedFigure]] = {
            source: published_figures(
                session, source, wanted, old_la_codes=codes, new_la_codes=new_codes
            )
            for source, wanted in measures.items()
        }
        population = published_figures(
            session,
            convention.source,
            [convention.measure],
            breakdown=convention.breakdown,
            old_la_codes=codes,
            new_la_codes=new_codes,
        )
    used = sorted(
        {d.source for d in definitions.indicators} | {convention.source, "statistical_neighbours"}
    )
    base = OutcomeReport(
        organisation_id,
        name,
        old,
        new,
        neighbours,
        (),
        timeline,
        any(files[s].fictional for s in used if s in files),
        "",
        tuple(files[s].file_name for s in used if s in files),
    )
    if old is None and new is None:
        return replace(
            base,
            missing=(
                "This organisation has no DfE LA codes yet. An administrator can add them on "
                "the Users and organisations page."
            ),
        )
    if not files:
        return replace(
            base,
            missing=(
                "No DfE files have been imported yet. An administrator can import them on this "
                "page (the files from Explore Education Statistics, as downloaded)."
            ),
        )
    authority: AreaKey = ("la", old or new or "")
    series = tuple(
        build_series(
            definition,
            convention,
            figures[definition.source],
            population,
            authority=authority,
            authority_name=name,
            neighbours=neighbours,
            start_date=timeline.sos_start_date,
            direction=directions.get(definition.id),
        )
        for definition in definitions.indicators
        if definition.source in files
    )
    notes = []
    missing_files = sorted({d.source for d in definitions.indicators} - set(files))
    if missing_files:
        notes.append(f"Not imported yet: {', '.join(missing_files)}.")
    if old is None:
        notes.append(
            "Without the old (3-digit) LA code the statistical neighbours cannot be found."
        )
    elif not neighbours:
        notes.append(
            f"DfE's statistical-neighbour model has no neighbours for LA {old}"
            + (
                " (the model is not imported yet)."
                if "statistical_neighbours" not in files
                else "."
            )
        )
    if not any(row.authority.available for s in series for row in s.rows):
        notes.append(f"DfE's files have no figures for LA {old or new}; check the LA codes.")
    return replace(base, indicators=series, missing=" ".join(notes))


def set_outcome_direction(
    db: Database,
    actor: Actor,
    organisation_id: int,
    indicator_id: str,
    direction: str | None,
) -> None:
    """Say which way the authority wants an indicator to move ("higher" or "lower"; None
    clears it). Only then does the page judge a change, and still as association."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    try:
        indicator_definitions().get(indicator_id)
    except KeyError:
        raise InvalidInput(f"There is no outcome indicator '{indicator_id}'.") from None
    if direction is not None and direction not in DIRECTIONS:
        raise InvalidInput("Choose higher is better, lower is better, or no direction.")
    with db.write() as session:
        if session.get(Organisation, organisation_id) is None:
            raise NotFound("No such organisation.")
        session.execute(
            delete(OutcomeDirection).where(
                OutcomeDirection.organisation_id == organisation_id,
                OutcomeDirection.indicator_id == indicator_id,
            )
        )
        if direction is not None:
            session.add(
                OutcomeDirection(
                    organisation_id=organisation_id,
                    indicator_id=indicator_id,
                    direction=direction,
                )
            )
        record_event(
            session,
            actor,
            "outcome_direction_set",
            organisation_id=organisation_id,
            target=f"indicator:{indicator_id}",
            detail=direction or "none",
        )
