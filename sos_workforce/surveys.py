"""Survey waves: launch, single-use links, exactly-once anonymous submission, rates.

Exactly-once: the link is spent by a conditional ``UPDATE … WHERE spent = false`` in the
same transaction that stores the response, so of any number of concurrent submissions of
one link exactly one sees a row updated; the rest are refused and store nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from sos_workforce import audit, tallies
from sos_workforce.auth import Actor, require
from sos_workforce.db import Database
from sos_workforce.enums import Channel, Role, WaveStatus
from sos_workforce.errors import InvalidInput, LinkRefused, NotFound
from sos_workforce.instruments import (
    SELF_PROFILE_PREFIX,
    ChoiceItem,
    InstrumentDefinition,
    ScaleItem,
    TextItem,
    definition_of,
    parse_instrument,
    register,
)
from sos_workforce.models import (
    Answer,
    Instrument,
    InstrumentItem,
    InstrumentVersion,
    Invitation,
    Organisation,
    RespondentTally,
    Response,
    ResponseDraft,
    Team,
    TextAnswer,
    Wave,
    WaveTeam,
    utcnow,
)
from sos_workforce.security import hash_token, is_well_formed_token, new_token

MAX_HEADCOUNT = 2000
AnswerValue = int | list[int] | str | None


# --- instruments ------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentVersionSummary:
    id: int
    code: str
    version: int
    title: str
    item_count: int

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"


def list_instrument_versions(db: Database, actor: Actor) -> list[InstrumentVersionSummary]:
    require(actor)
    with db.read() as session:
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
        return [InstrumentVersionSummary(*row) for row in rows]


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
            audit.record(
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


# --- answers ----------------------------------------------------------------------------


@dataclass
class ValidatedAnswers:
    """Answers checked against an instrument, split by how they are stored."""

    values: list[tuple[str, int]] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    groupings: dict[str, str] = field(default_factory=dict)


def _as_int(value: object, code: str) -> int:
    # bool is an int in Python; a scale answer of True is a bug, not a 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"'{code}': the answer must be a whole number, not {value!r}.")
    return value


def visible_items(
    definition: InstrumentDefinition, answers: Mapping[str, AnswerValue]
) -> list[ScaleItem | ChoiceItem | TextItem]:
    """Items shown given earlier answers (``show_if`` conditions)."""
    shown = []
    for item in definition.items:
        condition = item.show_if
        if condition is not None:
            controlling = answers.get(condition.item)
            if not isinstance(controlling, int) or controlling not in condition.values:
                continue
        shown.append(item)
    return shown


def validate_answers(
    definition: InstrumentDefinition, answers: Mapping[str, AnswerValue]
) -> ValidatedAnswers:
    """Check every answer against its item. Skipped optional items are simply absent.
    Answers to items hidden by a ``show_if`` condition are dropped (stale UI state)."""
    known = {item.code for item in definition.items}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise InvalidInput(f"Unknown question(s): {', '.join(unknown)}.")
    result = ValidatedAnswers()
    for item in visible_items(definition, answers):
        raw = answers.get(item.code)
        if raw is None or raw == "" or raw == []:
            if item.required:
                raise InvalidInput(f"Please answer: {item.text}")
            continue
        if isinstance(item, ScaleItem):
            value = _as_int(raw, item.code)
            if not item.min <= value <= item.max:
                raise InvalidInput(
                    f"'{item.code}': {value} is outside the scale {item.min}–{item.max}."
                )
            result.values.append((item.code, value))
        elif isinstance(item, ChoiceItem):
            chosen = raw if isinstance(raw, list) else [raw]
            if item.kind == "single_choice" and len(chosen) != 1:
                raise InvalidInput(f"'{item.code}': choose one option.")
            allowed = {option.value for option in item.options}
            for choice in chosen:
                if _as_int(choice, item.code) not in allowed:
                    raise InvalidInput(f"'{item.code}': {choice!r} is not one of the options.")
            if len(set(chosen)) != len(chosen):
                raise InvalidInput(f"'{item.code}': an option was chosen twice.")
            result.values.extend((item.code, int(choice)) for choice in chosen)
            if item.grouping:
                result.groupings[item.grouping] = item.option_label(int(chosen[0]))
        else:
            if not isinstance(raw, str):
                raise InvalidInput(f"'{item.code}': the answer must be text.")
            text = raw.strip()
            if len(text) > item.max_length:
                raise InvalidInput(
                    f"'{item.code}': please keep this under {item.max_length} characters "
                    f"(it has {len(text)})."
                )
            if "\x00" in text:
                raise InvalidInput(f"'{item.code}': the text contains a NUL character.")
            if text:
                result.texts.append((item.code, text))
    return result


# --- waves ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    team: str
    url: str
    staff_ref: str | None = None  # from an audience roster, for mail merge
    email: str | None = None  # from the roster file; returned once, never stored


@dataclass(frozen=True)
class AudienceMember:
    """One person of a roster audience: a personal link each, headcount per team."""

    staff_ref: str
    team_id: int
    email: str | None = None


@dataclass(frozen=True)
class LaunchedWave:
    wave_id: int
    links: list[IssuedLink]


def survey_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/survey?t={token}"


def launch_wave(
    db: Database,
    actor: Actor,
    *,
    organisation_id: int,
    instrument_version_id: int,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    headcounts: Mapping[int, int] | None = None,
    audience: Sequence[AudienceMember] | None = None,
    base_url: str,
    allow_identified: bool = False,
    draft: bool = False,
    today: dt.date | None = None,
) -> LaunchedWave:
    """Create a wave for the chosen teams and one single-use link per expected member of
    staff: either ``headcounts`` per team, or an ``audience`` roster (one link per person,
    the headcount is the roster's count per team). The plain links are returned once; only
    their hashes are stored. A ``draft`` wave refuses responses until it is opened."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    today = today or dt.date.today()
    if audience is not None:
        if headcounts:
            raise InvalidInput("Give either headcounts per team or a roster, not both.")
        if not audience:
            raise InvalidInput("The roster has nobody in it.")
        refs = [member.staff_ref for member in audience]
        if len(set(refs)) != len(refs):
            raise InvalidInput("A staff id appears twice in the roster.")
        headcounts = dict(Counter(member.team_id for member in audience))
    headcounts = headcounts or {}
    title = title.strip()
    if not title:
        raise InvalidInput("Give the wave a title, e.g. 'Autumn 2026 confidence survey'.")
    if closes_on < opens_on:
        raise InvalidInput("The close date must be on or after the open date.")
    if closes_on < today:
        raise InvalidInput("The close date is in the past.")
    if not headcounts:
        raise InvalidInput("Choose at least one team.")
    for headcount in headcounts.values():
        if not 1 <= headcount <= MAX_HEADCOUNT:
            raise InvalidInput(f"Each team's headcount must be between 1 and {MAX_HEADCOUNT}.")
    with db.write() as session:
        if session.get(InstrumentVersion, instrument_version_id) is None:
            raise InvalidInput("That instrument version does not exist.")
        # Also stops a double-clicked "Launch" from creating two waves.
        if (
            session.scalar(
                select(Wave.id).where(Wave.organisation_id == organisation_id, Wave.title == title)
            )
            is not None
        ):
            raise InvalidInput(f"A wave called '{title}' already exists; choose another title.")
        teams = dict(
            session.execute(
                select(Team.id, Team.name).where(
                    Team.organisation_id == organisation_id, Team.id.in_(list(headcounts))
                )
            ).all()
        )
        if len(teams) != len(headcounts):
            raise InvalidInput("Every team must belong to the chosen organisation.")
        wave = Wave(
            organisation_id=organisation_id,
            instrument_version_id=instrument_version_id,
            title=title,
            status=WaveStatus.DRAFT if draft else WaveStatus.OPEN,
            opens_on=opens_on,
            closes_on=closes_on,
            allow_identified=allow_identified,
            created_by_id=actor.user_id,
        )
        session.add(wave)
        session.flush()
        session.add_all(
            WaveTeam(wave_id=wave.id, team_id=team_id, expected_headcount=headcount)
            for team_id, headcount in headcounts.items()
        )
        people = (
            sorted(audience, key=lambda m: (teams[m.team_id], m.staff_ref))
            if audience is not None
            else [
                AudienceMember("", team_id)
                for team_id, headcount in sorted(headcounts.items(), key=lambda kv: teams[kv[0]])
                for _ in range(headcount)
            ]
        )
        links: list[IssuedLink] = []
        invitation_rows = []
        for person in people:
            token = new_token()
            invitation_rows.append(
                {
                    "wave_id": wave.id,
                    "team_id": person.team_id,
                    "token_hash": hash_token(token),
                    "spent": False,
                    "roster_ref": person.staff_ref or None,
                    "channel": Channel.PERSONAL_LINK,
                }
            )
            links.append(
                IssuedLink(
                    team=teams[person.team_id],
                    url=survey_url(base_url, token),
                    staff_ref=person.staff_ref or None,
                    email=person.email,
                )
            )
        session.execute(insert(Invitation), invitation_rows)
        audit.record(
            session,
            actor,
            "wave_launched",
            organisation_id=organisation_id,
            target=f"wave:{wave.id}",
            count=len(links),
            detail=f"teams={len(headcounts)} audience={'roster' if audience else 'headcount'}"
            f"{' draft' if draft else ''}",
        )
        return LaunchedWave(wave_id=wave.id, links=links)


@dataclass(frozen=True)
class WaveSummary:
    id: int
    title: str
    instrument: str
    instrument_version_id: int
    status: WaveStatus
    opens_on: dt.date
    closes_on: dt.date
    responses: int
    expected: int

    @property
    def label(self) -> str:
        return f"{self.title} ({self.status.value}, {self.opens_on:%d %b %Y})"


def list_waves(db: Database, actor: Actor, organisation_id: int) -> list[WaveSummary]:
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        responses = (
            select(RespondentTally.wave_id, func.sum(RespondentTally.n).label("n"))
            .group_by(RespondentTally.wave_id)
            .subquery()
        )
        expected = (
            select(WaveTeam.wave_id, func.sum(WaveTeam.expected_headcount).label("n"))
            .group_by(WaveTeam.wave_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Wave,
                Instrument.title,
                func.coalesce(responses.c.n, 0),
                func.coalesce(expected.c.n, 0),
            )
            .join(InstrumentVersion, InstrumentVersion.id == Wave.instrument_version_id)
            .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
            .outerjoin(responses, responses.c.wave_id == Wave.id)
            .outerjoin(expected, expected.c.wave_id == Wave.id)
            .where(Wave.organisation_id == organisation_id)
            .order_by(Wave.opens_on.desc(), Wave.id.desc())
        )
        return [
            WaveSummary(
                id=wave.id,
                title=wave.title,
                instrument=instrument_title,
                instrument_version_id=wave.instrument_version_id,
                status=wave.status,
                opens_on=wave.opens_on,
                closes_on=wave.closes_on,
                responses=int(n_responses),
                expected=int(n_expected),
            )
            for wave, instrument_title, n_responses, n_expected in rows
        ]


def _wave_for(session: Session, actor: Actor, wave_id: int, *roles: Role) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound("No such survey wave.")
    require(actor, *roles, organisation_id=wave.organisation_id)
    return wave


def close_wave(db: Database, actor: Actor, wave_id: int) -> None:
    """Close a wave now: from this commit on, no response is accepted."""
    with db.write() as session:
        wave = _wave_for(session, actor, wave_id, Role.LEAD)
        if wave.status is WaveStatus.CLOSED:
            raise InvalidInput("This wave is already closed.")
        if wave.status is WaveStatus.DRAFT:
            raise InvalidInput("This wave has not been opened; discard the draft instead.")
        wave.status = WaveStatus.CLOSED
        tallies.seal_wave(session, wave.id)
        audit.record(
            session,
            actor,
            "wave_closed",
            organisation_id=wave.organisation_id,
            target=f"wave:{wave.id}",
        )


# --- the staff side ---------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyForm:
    """What a respondent needs to fill in a survey from their link."""

    wave_title: str
    organisation: str
    team: str
    closes_on: dt.date
    allow_identified: bool
    definition: InstrumentDefinition
    draft: dict[str, AnswerValue]


def _refuse_unless_open(
    status: WaveStatus, opens_on: dt.date, closes_on: dt.date, today: dt.date
) -> None:
    if status is WaveStatus.DRAFT or today < opens_on:
        raise LinkRefused(f"This survey opens on {opens_on:%d %B %Y}. Please come back then.")
    if status is WaveStatus.CLOSED or today > closes_on:
        raise LinkRefused("This survey has closed. Thank you for your interest.")


_INVALID_LINK = (
    "This link is not valid. Please check that you copied the whole link, or ask your "
    "implementation lead for a new one."
)
_SPENT_LINK = (
    "This link has already been used to send a response, and each link can be used once. "
    "Your earlier response is safely recorded."
)


def _invitation_for(session: Session, token: str, *, lock: bool = False) -> Invitation:
    """The link's invitation; ``lock`` holds its row (PostgreSQL ``FOR SHARE``) until the
    transaction ends, so a submission spending it waits, or is waited for."""
    if not is_well_formed_token(token):
        raise LinkRefused(_INVALID_LINK)
    query = select(Invitation).where(Invitation.token_hash == hash_token(token))
    invitation = session.scalar(query.with_for_update(read=True) if lock else query)
    if invitation is None:
        raise LinkRefused(_INVALID_LINK)
    return invitation


def open_survey(db: Database, token: str, *, today: dt.date | None = None) -> SurveyForm:
    """Check a link and return the form to fill in, with any saved draft. Stores nothing."""
    today = today or dt.date.today()
    with db.read() as session:
        invitation = _invitation_for(session, token)
        if invitation.spent:
            raise LinkRefused(_SPENT_LINK)
        wave = session.get_one(Wave, invitation.wave_id)
        _refuse_unless_open(wave.status, wave.opens_on, wave.closes_on, today)
        team = session.get_one(Team, invitation.team_id)
        organisation = session.get_one(Organisation, wave.organisation_id)
        draft = session.get(ResponseDraft, invitation.token_hash)
        return SurveyForm(
            wave_title=wave.title,
            organisation=organisation.name,
            team=team.name,
            closes_on=wave.closes_on,
            allow_identified=wave.allow_identified,
            definition=definition_of(wave.instrument_version),
            draft=dict(draft.answers) if draft else {},  # type: ignore[arg-type]
        )


def save_draft(
    db: Database, token: str, answers: Mapping[str, AnswerValue], *, today: dt.date | None = None
) -> None:
    """Keep unfinished answers so the same link can resume later; the link is not spent."""
    today = today or dt.date.today()
    with db.write() as session:
        # Locked: a submission of the same link (another tab) either spends it first, and
        # this save is refused, or waits and then deletes the draft saved here. (SQLite
        # writers are serialised anyway.)
        invitation = _invitation_for(session, token, lock=True)
        if invitation.spent:
            raise LinkRefused(_SPENT_LINK)
        wave = session.get_one(Wave, invitation.wave_id)
        _refuse_unless_open(wave.status, wave.opens_on, wave.closes_on, today)
        definition = definition_of(wave.instrument_version)
        # Validate known codes only: a draft may be incomplete but never holds junk.
        known = {item.code for item in definition.items}
        cleaned = {code: value for code, value in answers.items() if code in known}
        draft = session.get(ResponseDraft, invitation.token_hash)
        if draft is None:
            session.add(
                ResponseDraft(token_hash=invitation.token_hash, wave_id=wave.id, answers=cleaned)
            )
        else:
            draft.answers = cleaned  # type: ignore[assignment]
            draft.updated_at = utcnow()


@dataclass(frozen=True)
class Identity:
    """A respondent's opt-in to be identified (e.g. to be offered support)."""

    name: str
    email: str | None = None


@dataclass(frozen=True)
class _VersionPlan:
    """What a submission needs of an instrument version: its definition and item ids."""

    definition: InstrumentDefinition
    item_ids: dict[str, int]


# Per database, by (version id, checksum): versions and their items are immutable once
# registered, so they are read once per process instead of on every submission.
_plans: WeakKeyDictionary[Database, dict[tuple[int, str], _VersionPlan]] = WeakKeyDictionary()


def _version_plan(
    db: Database, connection: Connection, version_id: int, checksum: str
) -> _VersionPlan:
    plans = _plans.get(db)
    if plans is None:
        plans = _plans.setdefault(db, {})
    plan = plans.get((version_id, checksum))
    if plan is None:
        definition_json = connection.scalar(
            select(InstrumentVersion.definition).where(InstrumentVersion.id == version_id)
        )
        item_ids = connection.execute(
            select(InstrumentItem.code, InstrumentItem.id).where(
                InstrumentItem.instrument_version_id == version_id
            )
        )
        plan = plans[(version_id, checksum)] = _VersionPlan(
            InstrumentDefinition.model_validate(definition_json),
            dict(item_ids.all()),
        )
    return plan


# The link, its wave and whether a draft was saved, in one statement. FOR SHARE OF wave
# (PostgreSQL) makes close_wave wait for submissions in flight, so a response is never
# stored after the close commits. SQLite ignores it: BEGIN IMMEDIATE serialises writers.
_SUBMIT_LOOKUP = (
    select(
        Invitation.id,
        Invitation.team_id,
        Invitation.spent,
        Invitation.channel,
        Wave.id.label("wave_id"),
        Wave.status,
        Wave.opens_on,
        Wave.closes_on,
        Wave.allow_identified,
        Wave.instrument_version_id,
        InstrumentVersion.checksum,
        ResponseDraft.token_hash.label("draft"),
    )
    .join(Wave, Wave.id == Invitation.wave_id)
    .join(InstrumentVersion, InstrumentVersion.id == Wave.instrument_version_id)
    .outerjoin(ResponseDraft, ResponseDraft.token_hash == Invitation.token_hash)
    .where(Invitation.token_hash == bindparam("token_hash"))
    .with_for_update(read=True, of=Wave)
)
_SPEND = (
    update(Invitation)
    .where(Invitation.id == bindparam("invitation_id"), Invitation.spent.is_(False))
    .values(spent=True)
)
_INSERT_RESPONSE = insert(Response)
_INSERT_ANSWER = insert(Answer)
_INSERT_TEXT = insert(TextAnswer)
_DELETE_DRAFT = delete(ResponseDraft).where(ResponseDraft.token_hash == bindparam("token_hash"))


def submit_response(
    db: Database,
    token: str,
    answers: Mapping[str, AnswerValue],
    *,
    identity: Identity | None = None,
    today: dt.date | None = None,
) -> None:
    """Store one response for a personal link and spend the link, atomically.

    Raises ``LinkRefused`` (unknown, spent, closed) or ``InvalidInput``; in both cases
    nothing is stored. Returns only once the response is committed.

    The hot path of the survey: Core statements on one connection in one write
    transaction (link and wave in one statement, the instrument version and its item ids
    cached, answers and tallies by executemany).
    """
    today = today or dt.date.today()
    if not is_well_formed_token(token):
        raise LinkRefused(_INVALID_LINK)
    token_hash = hash_token(token)
    with db.write_connection() as connection:
        link = connection.execute(_SUBMIT_LOOKUP, {"token_hash": token_hash}).one_or_none()
        if link is None:
            raise LinkRefused(_INVALID_LINK)
        if link.spent:
            raise LinkRefused(_SPENT_LINK)
        _refuse_unless_open(link.status, link.opens_on, link.closes_on, today)
        plan = _version_plan(db, connection, link.instrument_version_id, link.checksum)
        validated = validate_answers(plan.definition, answers)
        if identity is not None and not link.allow_identified:
            raise InvalidInput("This survey is anonymous; names cannot be attached to it.")
        if connection.execute(_SPEND, {"invitation_id": link.id}).rowcount != 1:
            raise LinkRefused(_SPENT_LINK)
        _store_response(
            connection,
            link.wave_id,
            link.team_id,
            plan.item_ids,
            validated,
            link.channel,
            identity,
            today,
        )
        # A draft holds answers under a personal link, so it goes with the submission. On
        # SQLite writers are serialised, so a draft absent at the lookup stays absent; on
        # PostgreSQL one may be saved meanwhile, so the delete always runs there.
        if link.draft is not None or not db.is_sqlite:
            connection.execute(_DELETE_DRAFT, {"token_hash": token_hash})


def _store_response(
    connection: Connection,
    wave_id: int,
    team_id: int,
    item_ids: Mapping[str, int],
    validated: ValidatedAnswers,
    channel: Channel,
    identity: Identity | None,
    today: dt.date,
) -> int:
    groupings = validated.groupings
    staff_role = groupings.get("staff_role")
    employment_type = groupings.get("employment_type")
    tenure_band = groupings.get("tenure_band")
    inserted = connection.execute(
        _INSERT_RESPONSE,
        {
            "wave_id": wave_id,
            "team_id": team_id,
            "submitted_on": today,  # the date only: a time could be matched to a link's use
            "channel": channel,
            "staff_role": staff_role,
            "employment_type": employment_type,
            "tenure_band": tenure_band,
            "respondent_name": identity.name.strip()[:200] if identity else None,
            "respondent_email": (
                identity.email.strip()[:320] if identity and identity.email else None
            ),
        },
    ).inserted_primary_key
    if inserted is None:  # pragma: no cover - a single-row INSERT always has a key
        raise RuntimeError("The response was not stored.")
    response_id: int = inserted[0]
    item_values = [(item_ids[code], value) for code, value in validated.values]
    if item_values:
        connection.execute(
            _INSERT_ANSWER,
            [
                {"response_id": response_id, "item_id": item_id, "value": value}
                for item_id, value in item_values
            ],
        )
    tallies.add_response(
        connection,
        wave_id,
        team_id,
        tallies.grouping_of(staff_role, employment_type, tenure_band),
        item_values,
    )
    if validated.texts:
        connection.execute(
            _INSERT_TEXT,
            [
                {"wave_id": wave_id, "team_id": team_id, "item_id": item_ids[code], "body": text}
                for code, text in validated.texts
            ],
        )
    return response_id


# --- response rates ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseRate:
    team: str
    expected: int
    responses: int | None  # None when fewer than the minimum group size
    rate: float | None

    @property
    def responses_label(self) -> str:
        return "fewer than the minimum" if self.responses is None else str(self.responses)


@dataclass(frozen=True)
class ResponseRates:
    min_group_size: int
    teams: list[ResponseRate]
    overall: ResponseRate


def _rate(team: str, expected: int, responses: int, min_group_size: int) -> ResponseRate:
    if responses < min_group_size:
        return ResponseRate(team, expected, None, None)
    return ResponseRate(team, expected, responses, responses / expected if expected else None)


def response_rates(
    db: Database, actor: Actor, wave_id: int, *, min_group_size: int
) -> ResponseRates:
    """Responses against expected headcount, per team and overall. A count under the
    minimum group size is shown as a band ("fewer than 5"), never as a number."""
    with db.read() as session:
        _wave_for(session, actor, wave_id, Role.LEAD, Role.EXECUTIVE)
        counts = dict(
            session.execute(
                select(RespondentTally.team_id, func.sum(RespondentTally.n))
                .where(RespondentTally.wave_id == wave_id)
                .group_by(RespondentTally.team_id)
            ).all()
        )
        audience = session.execute(
            select(Team.id, Team.name, WaveTeam.expected_headcount)
            .join(WaveTeam, WaveTeam.team_id == Team.id)
            .where(WaveTeam.wave_id == wave_id)
            .order_by(Team.name)
        )
        teams = [
            _rate(name, expected, counts.get(team_id, 0), min_group_size)
            for team_id, name, expected in audience
        ]
        total_expected = sum(team.expected for team in teams)
        overall = _rate("All teams", total_expected, sum(counts.values()), min_group_size)
        return ResponseRates(min_group_size, teams, overall)
