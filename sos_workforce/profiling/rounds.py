"""Self-profiling rounds: a lead opens a round, raters score independently through
single-use links, the round shows each item's median and spread (and how far apart the
rater roles are), and the lead records the agreed score with its evidence.

Raters' scores are stored by round, role and item only, with no link to the link that
sent them (as survey answers are). A group of raters smaller than the minimum group size
is never shown, neither for the round as a whole, nor for an item, nor for a role.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import RaterRole, Role, RoundStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused, NotFound
from sos_workforce.core.figures import Spread, spread_of
from sos_workforce.core.links import mint_token, rating_url
from sos_workforce.core.models import (
    AgreedScore,
    MailRecipient,
    Organisation,
    ProfileInstrumentVersion,
    ProfileRound,
    RaterDraft,
    RaterLink,
    RaterScore,
)
from sos_workforce.core.sealing import UnreadableDraft, seal, unseal
from sos_workforce.core.security import hash_token, is_well_formed_token
from sos_workforce.mail import (
    RATER_INVITATION,
    Letter,
    MailScope,
    forget_recipients,
    normalise_address,
    queue_invitations,
)
from sos_workforce.privacy import GroupCount, gated_counts
from sos_workforce.profiling.instrument import (
    SCORE_MAX,
    SCORE_MIN,
    ProfileDefinition,
    profile_definition_of,
)
from sos_workforce.profiling.timeline import EARLIEST_DATE

MAX_RATERS_PER_ROLE = 100
MAX_EVIDENCE_LENGTH = 4000


def fewer_than(k: int) -> str:
    return f"fewer than {k}"


def score_value(raw: object, what: str) -> int:
    """A whole score from 0 to 10; anything else (3.5, "three", True, 11) is refused."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidInput(f"{what}: the score must be a whole number from 0 to 10, not {raw!r}.")
    if not SCORE_MIN <= raw <= SCORE_MAX:
        raise InvalidInput(f"{what}: {raw} is outside the scale 0–10.")
    return raw


# --- instrument versions ------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileVersionSummary:
    id: int
    code: str
    version: int
    title: str

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"


def list_profile_versions(db: Database, actor: Actor) -> list[ProfileVersionSummary]:
    require(actor)
    with db.read() as session:
        return [
            ProfileVersionSummary(v.id, v.code, v.version, v.title)
            for v in session.scalars(
                select(ProfileInstrumentVersion).order_by(
                    ProfileInstrumentVersion.code, ProfileInstrumentVersion.version.desc()
                )
            )
        ]


def profile_definition(db: Database, actor: Actor, version_id: int) -> ProfileDefinition:
    require(actor)
    with db.read() as session:
        version = session.get(ProfileInstrumentVersion, version_id)
        if version is None:
            raise NotFound("No such self-profile version.")
        return profile_definition_of(version)


# --- rounds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaterInvite:
    role: RaterRole
    url: str


@dataclass(frozen=True)
class OpenedRound:
    round_id: int
    raters: int  # links made: emailed, or made as a file by ``issue_rater_links``
    emailed: bool = False


def _rater_addresses(emails: Mapping[RaterRole, Sequence[str]]) -> dict[RaterRole, list[str]]:
    """Each role's addresses, checked before anything is stored: one ``InvalidInput``
    naming every problem (a blank line is skipped; an address may appear only once)."""
    problems: list[str] = []
    seen: set[str] = set()
    checked: dict[RaterRole, list[str]] = {}
    for role in RaterRole:
        checked[role] = []
        for raw in emails.get(role, ()):
            if not raw.strip():
                continue
            try:
                address = normalise_address(raw)
            except InvalidInput as error:
                problems.append(f"{role.label}: {error}")
                continue
            if address.lower() in seen:
                problems.append(f"{role.label}: {address} is listed twice.")
                continue
            seen.add(address.lower())
            checked[role].append(address)
    if problems:
        raise InvalidInput(
            f"Nothing was opened: {len(problems)} problem(s) with the raters' addresses.\n"
            + "\n".join(problems[:50]),
            problems[:50],
        )
    return checked


def open_round(
    db: Database,
    actor: Actor,
    *,
    organisation_id: int,
    instrument_version_id: int,
    title: str,
    held_on: dt.date,
    raters: Mapping[RaterRole, int] | None = None,
    emails: Mapping[RaterRole, Sequence[str]] | None = None,
    base_url: str = "",
    today: dt.date | None = None,
) -> OpenedRound:
    """Open a round with one single-use link per rater, stored hashed and never returned.

    With ``emails`` (each role's raters' addresses) the app emails each rater their own
    link and can remind them; nobody holds the links. Otherwise ``raters`` gives how many
    per role, and the links are made as a file for the chair only where an administrator
    allows it for the round (``enable_rater_links_file``, ``issue_rater_links``). No raters
    at all is allowed: the lead then records agreed scores directly, e.g. for a past
    profile kept on paper."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    addresses = _rater_addresses(emails) if emails is not None else None
    if addresses is not None:
        raters = {role: len(listed) for role, listed in addresses.items()}
    raters = raters or {}
    today = today or dt.date.today()
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("Give the round a title, e.g. 'Spring 2027 self-profile'.")
    if len(title) > 200:
        raise InvalidInput("Keep the title under 200 characters.")
    if held_on < EARLIEST_DATE:
        raise InvalidInput("The round's date is before 1990; check the year.")
    if held_on > today + dt.timedelta(days=366):
        raise InvalidInput("The round's date is more than a year ahead; check the year.")
    for role, count in raters.items():
        if not 0 <= count <= MAX_RATERS_PER_ROLE:
            raise InvalidInput(
                f"{role.label}: the number of raters must be between 0 and {MAX_RATERS_PER_ROLE}."
            )
    with db.write() as session:
        if session.get(ProfileInstrumentVersion, instrument_version_id) is None:
            raise InvalidInput("That self-profile version does not exist.")
        clash = session.scalar(
            select(ProfileRound.id).where(
                ProfileRound.organisation_id == organisation_id, ProfileRound.title == title
            )
        )
        if clash is not None:
            raise InvalidInput(f"A round called '{title}' already exists; choose another title.")
        profile_round = ProfileRound(
            organisation_id=organisation_id,
            instrument_version_id=instrument_version_id,
            title=title,
            held_on=held_on,
            status=RoundStatus.OPEN,
            created_by_id=actor.user_id,
        )
        session.add(profile_round)
        session.flush()
        # A placeholder nobody holds for a links file (made by issue_rater_links); the
        # emailed link's own token otherwise.
        tokens = [(role, mint_token()) for role in RaterRole for _ in range(raters.get(role, 0))]
        rows = [
            {
                "round_id": profile_round.id,
                "rater_role": role,
                "token_hash": hash_token(token),
                "spent": False,
            }
            for role, token in tokens
        ]
        link_ids = (
            list(
                session.scalars(
                    insert(RaterLink).returning(RaterLink.id, sort_by_parameter_order=True), rows
                )
            )
            if rows
            else []
        )
        if addresses is not None:
            profile_round.mail_subject = RATER_INVITATION.subject
            profile_round.mail_body = RATER_INVITATION.body
            queue_invitations(
                session,
                MailScope(round_id=profile_round.id),
                Letter(RATER_INVITATION, title, held_on),
                [
                    (link_id, rating_url(base_url, token), address)
                    for link_id, (_, token), address in zip(
                        link_ids,
                        tokens,
                        [a for role in RaterRole for a in addresses[role]],
                        strict=True,
                    )
                ],
                organisation_id=organisation_id,
            )
        record_event(
            session,
            actor,
            "profile_round_opened",
            organisation_id=organisation_id,
            target=f"profile_round:{profile_round.id}",
            count=len(rows),
        )
        return OpenedRound(profile_round.id, len(rows), emailed=addresses is not None)


def enable_rater_links_file(
    db: Database, actor: Actor, round_id: int, *, enabled: bool = True
) -> None:
    """An administrator lets the lead make this round's rater links as a file for the chair
    to hand out (or takes that back). Audited: whoever holds the file can score as anyone."""
    with db.write() as session:
        profile_round = round_for(session, actor, round_id, Role.ADMIN)
        if enabled and profile_round.status is not RoundStatus.OPEN:
            raise InvalidInput("This round is closed.")
        if enabled and profile_round.mail_body is not None:
            raise InvalidInput(
                "This round's raters were emailed their links by the app; a links file would "
                "replace the emailed links."
            )
        profile_round.links_file_enabled = enabled
        record_event(
            session,
            actor,
            "links_file_enabled" if enabled else "links_file_disabled",
            organisation_id=profile_round.organisation_id,
            target=f"profile_round:{profile_round.id}",
        )


def issue_rater_links(
    db: Database, actor: Actor, round_id: int, *, base_url: str
) -> list[RaterInvite]:
    """New links for every rater who has not scored yet, returned once, where an
    administrator has allowed the file for this round. An earlier file's links stop
    working. Audited with the count."""
    with db.write() as session:
        profile_round = round_for(session, actor, round_id, Role.LEAD)
        if not profile_round.links_file_enabled:
            raise InvalidInput(
                "Rater links are not given out as a file. An administrator can allow it for "
                "this round."
            )
        if profile_round.status is not RoundStatus.OPEN:
            raise InvalidInput("This round is closed; its links can no longer be used.")
        order = list(RaterRole)  # leaders first, as the page lists the roles
        unspent = sorted(
            session.scalars(
                select(RaterLink).where(
                    RaterLink.round_id == profile_round.id, RaterLink.spent.is_(False)
                )
            ),
            key=lambda link: (order.index(link.rater_role), link.id),
        )
        invites = []
        for link in unspent:
            token = mint_token()
            link.token_hash = hash_token(token)
            invites.append(RaterInvite(link.rater_role, rating_url(base_url, token)))
        forget_rater_drafts(session, *(link.id for link in unspent))
        record_event(
            session,
            actor,
            "rater_links_issued",
            organisation_id=profile_round.organisation_id,
            target=f"profile_round:{profile_round.id}",
            count=len(invites),
        )
        return invites


@dataclass(frozen=True)
class RoundSummary:
    id: int
    title: str
    held_on: dt.date
    status: RoundStatus
    instrument: str
    links_issued: int
    agreed: int
    items: int
    links_file_enabled: bool = False
    emailed: bool = False  # the raters' links were emailed by the app

    @property
    def label(self) -> str:
        return f"{self.title} ({self.status.value}, {as_date(self.held_on)})"


def list_rounds(db: Database, actor: Actor, organisation_id: int) -> list[RoundSummary]:
    """Rounds, newest first."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        own_rounds = select(ProfileRound.id).where(ProfileRound.organisation_id == organisation_id)
        issued = dict(
            session.execute(
                select(RaterLink.round_id, func.count())
                .where(RaterLink.round_id.in_(own_rounds))
                .group_by(RaterLink.round_id)
            ).all()
        )
        agreed = dict(
            session.execute(
                select(AgreedScore.round_id, func.count())
                .where(AgreedScore.round_id.in_(own_rounds))
                .group_by(AgreedScore.round_id)
            ).all()
        )
        rounds = session.scalars(
            select(ProfileRound)
            .where(ProfileRound.organisation_id == organisation_id)
            .order_by(ProfileRound.held_on.desc(), ProfileRound.id.desc())
        )
        summaries = []
        for profile_round in rounds:
            version = profile_round.instrument_version
            summaries.append(
                RoundSummary(
                    id=profile_round.id,
                    title=profile_round.title,
                    held_on=profile_round.held_on,
                    status=profile_round.status,
                    instrument=f"{version.title} (v{version.version})",
                    links_issued=int(issued.get(profile_round.id, 0)),
                    links_file_enabled=profile_round.links_file_enabled,
                    emailed=profile_round.mail_body is not None,
                    agreed=int(agreed.get(profile_round.id, 0)),
                    items=len(profile_definition_of(version).items),
                )
            )
        return summaries


def round_for(session: Session, actor: Actor, round_id: int, *roles: Role) -> ProfileRound:
    profile_round = session.get(ProfileRound, round_id)
    if profile_round is None:
        raise NotFound("No such self-profiling round.")
    require(actor, *roles, organisation_id=profile_round.organisation_id)
    return profile_round


# --- raters ---------------------------------------------------------------------------------

_INVALID_LINK = (
    "This link is not valid. Please check that you copied the whole link, or ask your "
    "implementation lead for a new one."
)
_SPENT_LINK = "This link has already been used to send scores, and each link can be used once."
_CLOSED_ROUND = "This self-profiling round has closed. Thank you for your interest."


@dataclass(frozen=True)
class RatingForm:
    round_title: str
    organisation: str
    role: RaterRole
    held_on: dt.date
    definition: ProfileDefinition
    # A draft saved from this link: the scores so far and the section (domain index) the
    # rater was on, so the form resumes there.
    draft: dict[str, int] = field(default_factory=dict)
    draft_section: int = 0


DRAFT_PURPOSE = "rater draft"  # core.sealing keeps each use of a token's key apart
# Every rater draft is sealed at one size (a 24-item form fits in one block), so the
# stored bytes do not tell how many statements a rater has scored so far.
DRAFT_PAD = 2048


def _link_for(session: Session, token: str, *, lock: bool = False) -> RaterLink:
    if not is_well_formed_token(token):
        raise LinkRefused(_INVALID_LINK)
    query = select(RaterLink).where(RaterLink.token_hash == hash_token(token))
    link = session.scalar(query.with_for_update(read=True) if lock else query)
    if link is None:
        raise LinkRefused(_INVALID_LINK)
    return link


def open_rating_form(db: Database, token: str) -> RatingForm:
    """Check a rater's link and return what to score. Stores nothing."""
    with db.read() as session:
        link = _link_for(session, token)
        if link.spent:
            raise LinkRefused(_SPENT_LINK)
        profile_round = session.get_one(ProfileRound, link.round_id)
        if profile_round.status is not RoundStatus.OPEN:
            raise LinkRefused(_CLOSED_ROUND)
        organisation = session.get_one(Organisation, profile_round.organisation_id)
        definition = profile_definition_of(profile_round.instrument_version)
        scores: dict[str, int] = {}
        section = 0
        draft = session.get(RaterDraft, link.id)
        if draft is not None:
            with contextlib.suppress(UnreadableDraft, InvalidInput, TypeError, ValueError):
                saved = unseal(token, DRAFT_PURPOSE, draft.sealed_scores)
                scores = _known_scores(definition, dict(saved.get("scores") or {}))
                section = min(max(int(saved.get("section") or 0), 0), len(definition.domains))
        return RatingForm(
            round_title=profile_round.title,
            organisation=organisation.name,
            role=link.rater_role,
            held_on=profile_round.held_on,
            definition=definition,
            draft=scores,
            draft_section=section,
        )


def _known_scores(definition: ProfileDefinition, scores: Mapping[str, object]) -> dict[str, int]:
    """The scores of known items (blanks left out), each checked to be 0-10."""
    labels = {item.code: item.short_label for item in definition.items}
    return {
        code: score_value(raw, labels[code])
        for code, raw in scores.items()
        if code in labels and raw is not None and raw != ""
    }


def save_rater_draft(
    db: Database, token: str, scores: Mapping[str, object], *, section: int = 0
) -> None:
    """Keep a rater's unfinished scores and the section they are on, so the same link can
    resume there; the link is not spent. Sealed for the link's holder, padded to one size
    and with no time kept: nothing in the row says what the rater scored or when."""
    with db.write() as session:
        # Locked (PostgreSQL FOR SHARE): a send from the same link either spends it first,
        # and this save is refused, or waits and then deletes the draft saved here.
        link = _link_for(session, token, lock=True)
        profile_round = session.scalars(
            select(ProfileRound).where(ProfileRound.id == link.round_id).with_for_update(read=True)
        ).one()
        if link.spent:
            raise LinkRefused(_SPENT_LINK)
        if profile_round.status is not RoundStatus.OPEN:
            raise LinkRefused(_CLOSED_ROUND)
        definition = profile_definition_of(profile_round.instrument_version)
        payload = {
            "scores": _known_scores(definition, scores),
            "section": min(max(int(section), 0), len(definition.domains)),
        }
        sealed = seal(token, DRAFT_PURPOSE, payload, pad_to=DRAFT_PAD)
        draft = session.get(RaterDraft, link.id)
        if draft is None:
            session.add(
                RaterDraft(rater_link_id=link.id, round_id=profile_round.id, sealed_scores=sealed)
            )
        else:
            draft.sealed_scores = sealed


def forget_rater_drafts(session: Session, *link_ids: int, round_id: int | None = None) -> None:
    """Delete the drafts of these links (their token was replaced, so the drafts can never
    open again) or of a whole round (it closed)."""
    if link_ids:
        session.execute(
            delete(RaterDraft).where(RaterDraft.rater_link_id.in_(link_ids)),
            execution_options={"synchronize_session": False},
        )
    if round_id is not None:
        session.execute(
            delete(RaterDraft).where(RaterDraft.round_id == round_id),
            execution_options={"synchronize_session": False},
        )


def validate_scores(definition: ProfileDefinition, scores: Mapping[str, object]) -> dict[str, int]:
    """Scores by item code; blank (``None``) items are skipped; at least one is needed."""
    labels = {item.code: item.short_label for item in definition.items}
    unknown = sorted(set(scores) - set(labels))
    if unknown:
        raise InvalidInput(f"Unknown item(s): {', '.join(unknown)}.")
    given = {
        code: score_value(raw, labels[code])
        for code, raw in scores.items()
        if raw is not None and raw != ""
    }
    if not given:
        raise InvalidInput("Score at least one statement before sending.")
    return given


def submit_scores(db: Database, token: str, scores: Mapping[str, object]) -> None:
    """Store one rater's scores and spend the link, atomically (exactly once, as survey
    links are: a conditional update decides which of two concurrent sends wins)."""
    with db.write() as session:
        link = _link_for(session, token)
        profile_round = session.scalars(
            select(ProfileRound).where(ProfileRound.id == link.round_id).with_for_update(read=True)
        ).one()
        if link.spent:
            raise LinkRefused(_SPENT_LINK)
        if profile_round.status is not RoundStatus.OPEN:
            raise LinkRefused(_CLOSED_ROUND)
        given = validate_scores(profile_definition_of(profile_round.instrument_version), scores)
        spent = session.execute(
            update(RaterLink)
            .where(RaterLink.id == link.id, RaterLink.spent.is_(False))
            .values(spent=True)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            raise LinkRefused(_SPENT_LINK)
        # The address kept for a reminder goes with the spent link (sos_workforce.mail),
        # and so does any draft, in the same transaction as the scores.
        session.execute(
            delete(MailRecipient).where(MailRecipient.rater_link_id == link.id),
            execution_options={"synchronize_session": False},
        )
        forget_rater_drafts(session, link.id)
        session.execute(
            insert(RaterScore),
            [
                {
                    "round_id": profile_round.id,
                    "rater_role": link.rater_role,
                    "item_code": code,
                    "score": score,
                }
                for code, score in given.items()
            ],
        )


# --- consolidation --------------------------------------------------------------------------


def score_spread(values: list[int], min_group_size: int) -> Spread:
    """Median, quartiles (inclusive, unrounded: quarter points between whole scores) and
    range of a group's scores; nothing, not even their number, under the minimum."""
    if len(values) < min_group_size:
        return Spread.withheld()
    return spread_of(values, minimum=min_group_size, places=None, with_range=True)


@dataclass(frozen=True)
class ItemConsolidation:
    domain: str
    item_code: str
    label: str
    text: str
    low_anchor: str
    high_anchor: str
    evidence_prompt: str
    overall: Spread
    by_role: dict[RaterRole, Spread]
    agreed_score: int | None
    agreed_evidence: str | None

    @property
    def role_gap(self) -> float | None:
        """Largest difference between the medians of the roles that can be shown."""
        medians = [s.median for s in self.by_role.values() if s.median is not None]
        return max(medians) - min(medians) if len(medians) >= 2 else None


@dataclass(frozen=True)
class RoundConsolidation:
    round_id: int
    title: str
    status: RoundStatus
    held_on: dt.date
    raters_submitted: int | None  # None when fewer than the minimum group size
    raters_by_role: dict[RaterRole, int | None]
    links_issued: int
    min_group_size: int
    items: list[ItemConsolidation]

    @property
    def missing_agreed(self) -> int:
        return sum(item.agreed_score is None for item in self.items)


def round_consolidation(
    db: Database, actor: Actor, round_id: int, *, min_group_size: int
) -> RoundConsolidation:
    with db.read() as session:
        profile_round = round_for(session, actor, round_id, Role.LEAD, Role.EXECUTIVE)
        definition = profile_definition_of(profile_round.instrument_version)
        submitted: dict[RaterRole, int] = defaultdict(int)
        issued = 0
        for role, spent in session.execute(
            select(RaterLink.rater_role, RaterLink.spent).where(RaterLink.round_id == round_id)
        ):
            issued += 1
            submitted[role] += int(spent)
        scores: dict[str, dict[RaterRole, list[int]]] = defaultdict(lambda: defaultdict(list))
        for role, code, score in session.execute(
            select(RaterScore.rater_role, RaterScore.item_code, RaterScore.score).where(
                RaterScore.round_id == round_id
            )
        ):
            scores[code][role].append(score)
        agreed = {
            row.item_code: row
            for row in session.scalars(select(AgreedScore).where(AgreedScore.round_id == round_id))
        }
        # Raters by role pass the gate as siblings under the round: no role's count (or
        # scores) can be worked out from the round's total minus the roles shown.
        roles = list(RaterRole)
        counts = gated_counts(
            {0: GroupCount(None, 0)}
            | {index: GroupCount(0, submitted.get(role, 0)) for index, role in enumerate(roles, 1)},
            min_group_size,
        )
        role_counts = {role: counts[index] for index, role in enumerate(roles, 1)}
        total = sum(submitted.values())
        shown_total = counts[0] is not None and total >= min_group_size
        items = []
        for domain in definition.domains:
            for item in domain.items:
                by_role = scores.get(item.code, {})
                values = [value for role_values in by_role.values() for value in role_values]
                agreed_row = agreed.get(item.code)
                items.append(
                    ItemConsolidation(
                        domain=domain.title,
                        item_code=item.code,
                        label=item.short_label,
                        text=item.text,
                        low_anchor=item.low_anchor,
                        high_anchor=item.high_anchor,
                        evidence_prompt=item.evidence,
                        overall=score_spread(values if shown_total else [], min_group_size),
                        by_role={
                            role: score_spread(
                                by_role.get(role, []) if shown_total and role_counts[role] else [],
                                min_group_size,
                            )
                            for role in RaterRole
                        },
                        agreed_score=agreed_row.score if agreed_row else None,
                        agreed_evidence=agreed_row.evidence if agreed_row else None,
                    )
                )
        return RoundConsolidation(
            round_id=round_id,
            title=profile_round.title,
            status=profile_round.status,
            held_on=profile_round.held_on,
            raters_submitted=total if shown_total else None,
            raters_by_role=role_counts,
            links_issued=issued,
            min_group_size=min_group_size,
            items=items,
        )


@dataclass(frozen=True)
class AgreedInput:
    score: object
    evidence: str


def record_agreed_scores(
    db: Database, actor: Actor, round_id: int, agreed: Mapping[str, AgreedInput]
) -> int:
    """Record (or revise) agreed scores with their evidence; all or nothing. Returns how
    many were stored. The audit log names the items, never the scores or evidence."""
    if not agreed:
        raise InvalidInput("Choose an item to score.")
    with db.write() as session:
        profile_round = round_for(session, actor, round_id, Role.LEAD)
        if profile_round.status is not RoundStatus.OPEN:
            raise InvalidInput("This round is closed; its agreed scores can no longer change.")
        definition = profile_definition_of(profile_round.instrument_version)
        labels = {item.code: item.short_label for item in definition.items}
        cleaned: dict[str, tuple[int, str]] = {}
        for code, entry in agreed.items():
            if code not in labels:
                raise InvalidInput(f"Unknown item: {code}.")
            score = score_value(entry.score, labels[code])
            evidence = entry.evidence.strip()
            if not evidence:
                raise InvalidInput(f"{labels[code]}: write the evidence behind the agreed score.")
            if len(evidence) > MAX_EVIDENCE_LENGTH:
                raise InvalidInput(
                    f"{labels[code]}: keep the evidence under {MAX_EVIDENCE_LENGTH} characters "
                    f"(it has {len(evidence)})."
                )
            if "\x00" in evidence:
                raise InvalidInput(f"{labels[code]}: the evidence contains a NUL character.")
            cleaned[code] = (score, evidence)
        existing = {
            row.item_code: row
            for row in session.scalars(
                select(AgreedScore).where(
                    AgreedScore.round_id == round_id, AgreedScore.item_code.in_(list(cleaned))
                )
            )
        }
        for code, (score, evidence) in cleaned.items():
            row = existing.get(code)
            if row is None:
                session.add(
                    AgreedScore(
                        round_id=round_id,
                        item_code=code,
                        score=score,
                        evidence=evidence,
                        recorded_by_id=actor.user_id,
                    )
                )
            else:
                row.score, row.evidence, row.recorded_by_id = score, evidence, actor.user_id
        record_event(
            session,
            actor,
            "profile_scores_agreed",
            organisation_id=profile_round.organisation_id,
            target=f"profile_round:{round_id}",
            count=len(cleaned),
            detail="items=" + ",".join(sorted(cleaned)),
        )
        return len(cleaned)


def close_round(db: Database, actor: Actor, round_id: int) -> None:
    """Close a round once every item has an agreed score; closed rounds count in progress."""
    with db.write() as session:
        profile_round = round_for(session, actor, round_id, Role.LEAD)
        if profile_round.status is RoundStatus.CLOSED:
            raise InvalidInput("This round is already closed.")
        definition = profile_definition_of(profile_round.instrument_version)
        agreed = set(
            session.scalars(select(AgreedScore.item_code).where(AgreedScore.round_id == round_id))
        )
        missing = [item.short_label for item in definition.items if item.code not in agreed]
        if missing:
            raise InvalidInput(
                f"{len(missing)} item(s) still need an agreed score before the round can "
                f"close: {', '.join(missing)}."
            )
        profile_round.status = RoundStatus.CLOSED
        forget_recipients(session, MailScope(round_id=round_id))
        forget_rater_drafts(session, round_id=round_id)
        record_event(
            session,
            actor,
            "profile_round_closed",
            organisation_id=profile_round.organisation_id,
            target=f"profile_round:{round_id}",
        )
