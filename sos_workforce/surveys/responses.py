"""The staff side of a survey link: open it, save a draft, submit exactly once.

Exactly-once: the link is spent by a conditional ``UPDATE … WHERE spent = false`` in the
same transaction that stores the answers in the pool, so of any number of concurrent
submissions of one link exactly one sees a row updated; the rest are refused and store
nothing. The pooled answers have no column linking them to their link and record the date
only; they enter the results later, in steps of at least k (``release``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Channel, WaveStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.core.models import (
    InstrumentItem,
    InstrumentVersion,
    Invitation,
    InvitationIdentity,
    MailRecipient,
    OpenLinkPending,
    Organisation,
    PendingResponse,
    ResponseDraft,
    Team,
    TrainingOptIn,
    Wave,
    utcnow,
)
from sos_workforce.core.sealing import UnreadableDraft, seal, unseal
from sos_workforce.core.security import hash_token, is_well_formed_token
from sos_workforce.surveys import release
from sos_workforce.surveys.instruments import (
    ChoiceItem,
    InstrumentDefinition,
    ScaleItem,
    TextItem,
    definition_of,
)

AnswerValue = int | list[int] | str | None
DRAFT_PURPOSE = "survey draft"  # core.sealing keeps each use of a token's key apart


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
    # The wave lets this person ask for support or to become an in-house trainer.
    allow_optin: bool = False
    # The section (index) the draft was saved on, so the form resumes there.
    draft_section: int = 0


# Kept in the sealed draft beside the answers; item codes start with a letter, so it never
# meets one.
_SECTION_KEY = "_section"


def _refuse_unless_open(
    status: WaveStatus, opens_on: dt.date, closes_on: dt.date, today: dt.date
) -> None:
    if status is WaveStatus.DRAFT or today < opens_on:
        raise LinkRefused(
            f"This survey opens on {as_date(opens_on, long=True)}. Please come back then."
        )
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
        saved: dict[str, AnswerValue] = {}
        section = 0
        if draft is not None:
            with contextlib.suppress(UnreadableDraft):  # a changed draft is not shown
                saved = unseal(token, DRAFT_PURPOSE, draft.sealed_answers)
            kept = saved.pop(_SECTION_KEY, 0)
            section = kept if isinstance(kept, int) and not isinstance(kept, bool) else 0
        return SurveyForm(
            wave_title=wave.title,
            organisation=organisation.name,
            team=team.name,
            closes_on=wave.closes_on,
            allow_identified=wave.allow_identified,
            definition=definition_of(wave.instrument_version),
            draft=saved,
            draft_section=max(section, 0),
            allow_optin=wave.allow_optin
            and session.get(InvitationIdentity, invitation.id) is not None,
        )


def save_draft(
    db: Database,
    token: str,
    answers: Mapping[str, AnswerValue],
    *,
    today: dt.date | None = None,
    section: int = 0,
) -> None:
    """Keep unfinished answers, and the section (index) the person is on, so the same link
    can resume there later; the link is not spent."""
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
        cleaned: dict[str, AnswerValue] = {
            code: value for code, value in answers.items() if code in known
        }
        if section:
            cleaned[_SECTION_KEY] = max(int(section), 0)
        sealed = seal(token, DRAFT_PURPOSE, cleaned)
        draft = session.get(ResponseDraft, invitation.token_hash)
        if draft is None:
            session.add(
                ResponseDraft(
                    token_hash=invitation.token_hash, wave_id=wave.id, sealed_answers=sealed
                )
            )
        else:
            draft.sealed_answers = sealed
            draft.updated_at = utcnow()


@dataclass(frozen=True)
class Identity:
    """A respondent's opt-in to be identified (e.g. to be offered support)."""

    name: str
    email: str | None = None


@dataclass(frozen=True)
class OptIn:
    """A respondent's request, made with their response but stored apart from it: more
    support and/or to become an in-house trainer, and the codes of the answers they chose
    to share by name (none is shared unless chosen)."""

    support: bool = False
    trainer: bool = False
    share: tuple[str, ...] = ()


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
        Wave.allow_optin,
        Wave.organisation_id,
        Wave.release_step,
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
# An open-link start's time goes when its link is spent (surveys.open_link).
_FORGET_START = delete(OpenLinkPending).where(
    OpenLinkPending.invitation_id == bindparam("invitation_id")
)
_INSERT_PENDING = insert(PendingResponse)
_DELETE_DRAFT = delete(ResponseDraft).where(ResponseDraft.token_hash == bindparam("token_hash"))
# The address kept for reminders goes when the link is spent (sos_workforce.mail).
_FORGET_ADDRESS = delete(MailRecipient).where(
    MailRecipient.invitation_id == bindparam("invitation_id")
)
_FORGET_IDENTITY = delete(InvitationIdentity).where(
    InvitationIdentity.invitation_id == bindparam("invitation_id")
)


def submit_response(
    db: Database,
    token: str,
    answers: Mapping[str, AnswerValue],
    *,
    identity: Identity | None = None,
    opt_in: OptIn | None = None,
    today: dt.date | None = None,
) -> None:
    """Store one response for a personal link and spend the link, atomically.

    ``opt_in`` (a wave that allows it): the person's request is stored afterwards in a
    transaction of its own, named from their invitation (never from what they typed), with
    only the answers they chose to share and nothing that names their response.

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
        wants = opt_in is not None and (opt_in.support or opt_in.trainer)
        if wants and not link.allow_optin:
            raise InvalidInput("This survey does not take requests for support or training.")
        shared = _shared_answers(plan.definition, validated, opt_in) if wants else []
        if connection.execute(_SPEND, {"invitation_id": link.id}).rowcount != 1:
            raise LinkRefused(_SPENT_LINK)
        connection.execute(_FORGET_ADDRESS, {"invitation_id": link.id})
        named = None
        if link.allow_optin:
            # Read only when asked for; deleted with the spent link either way.
            if wants:
                named = connection.execute(
                    select(InvitationIdentity.name, InvitationIdentity.email).where(
                        InvitationIdentity.invitation_id == link.id
                    )
                ).one_or_none()
                if named is None:
                    raise InvalidInput(
                        "This link was not sent to a named person, so a request for support "
                        "or training cannot be made with it. Please ask your implementation "
                        "lead directly."
                    )
            connection.execute(_FORGET_IDENTITY, {"invitation_id": link.id})
        connection.execute(_FORGET_START, {"invitation_id": link.id})
        _pool_response(
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
        ready = release.pooled_count(connection, link.wave_id, link.team_id) >= link.release_step
    if named is not None and opt_in is not None:
        # Its own transaction, after the response's: the opt-in's row, id and transaction
        # say nothing about which response is theirs. Stored before the release, so the
        # gate counts what they shared when the team's figures first include them.
        with db.write_connection() as own:
            own.execute(
                insert(TrainingOptIn),
                {
                    "organisation_id": link.organisation_id,
                    "wave_id": link.wave_id,
                    "team_id": link.team_id,
                    "name": named.name,
                    "email": named.email,
                    "wants_support": opt_in.support,
                    "wants_trainer": opt_in.trainer,
                    "shared": shared,
                    "made_on": today,
                },
            )
    # A release runs in a transaction of its own, never the one that spent the link.
    if ready:
        release.release_quietly(db, link.wave_id)


def _shared_answers(
    definition: InstrumentDefinition, validated: ValidatedAnswers, opt_in: OptIn | None
) -> list[list[str]]:
    """[question, answer] for each answer the respondent chose to share by name."""
    chosen = set(opt_in.share if opt_in else ())
    known = {item.code: item for item in definition.items}
    unknown = sorted(chosen - set(known))
    if unknown:
        raise InvalidInput(f"Unknown question(s) to share: {', '.join(unknown)}.")
    shared: list[list[str]] = []
    for code, value in validated.values:
        item = known[code]
        if code not in chosen:
            continue
        if isinstance(item, ScaleItem):
            shared.append([item.text, f"{value} (on a scale of {item.min} to {item.max})"])
        elif isinstance(item, ChoiceItem):
            shared.append([item.text, item.option_label(value)])
    shared.extend([known[code].text, text] for code, text in validated.texts if code in chosen)
    return shared


def _pool_response(
    connection: Connection,
    wave_id: int,
    team_id: int,
    item_ids: Mapping[str, int],
    validated: ValidatedAnswers,
    channel: Channel,
    identity: Identity | None,
    today: dt.date,
) -> None:
    groupings = validated.groupings
    connection.execute(
        _INSERT_PENDING,
        {
            "id": release.new_pending_id(),
            "wave_id": wave_id,
            "team_id": team_id,
            "submitted_on": today,  # the date only: a time could be matched to a link's use
            "channel": channel,
            "staff_role": groupings.get("staff_role"),
            "employment_type": groupings.get("employment_type"),
            "tenure_band": groupings.get("tenure_band"),
            "respondent_name": identity.name.strip()[:200] if identity else None,
            "respondent_email": (
                identity.email.strip()[:320] if identity and identity.email else None
            ),
            "item_values": [[item_ids[code], value] for code, value in validated.values],
            "texts": [[item_ids[code], text] for code, text in validated.texts],
        },
    )
