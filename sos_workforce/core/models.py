"""SQLAlchemy models. The Alembic migrations in ``migrations/versions`` are the schema's
source of truth; ``alembic check`` in the test suite keeps these models in step with them.

Anonymity is structural: ``response`` has no column that refers to an invitation, a token
or a roster row, stores its submission date only (no time, IP or user agent), and free
text lives in ``text_answer`` with no link to the response that carried it.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sos_workforce.core.enums import (
    Channel,
    DiaryStatus,
    ImplementationPhase,
    MailKind,
    MailStatus,
    RaterRole,
    Role,
    RoundStatus,
    WaveStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    sos_start_date: Mapped[dt.date | None] = mapped_column(Date)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The authority's codes in DfE's published files: the 3-digit old LA code (the key of
    # the statistical-neighbour model) and the 9-character ONS code (new LA code). Unique
    # indexes, not constraints: SQLite adds those without rebuilding the table (a rebuild
    # would cascade-delete the organisation's children).
    old_la_code: Mapped[str | None] = mapped_column(String(3), index=True, unique=True)
    new_la_code: Mapped[str | None] = mapped_column(String(9), index=True, unique=True)

    teams: Mapped[list[Team]] = relationship(back_populates="organisation")


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))

    organisation: Mapped[Organisation] = relationship(back_populates="teams")


class UserAccount(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SignInFailure(Base):
    """Failed sign-ins from one source for one email, both kept only as keyed hashes
    (``security.keyed_hash``: never the address typed, which may be a typo of someone's,
    nor the IP address). Five from one source pause that source for that email; failures
    from other sources only slow it down. Rows older than the pause are deleted as sign-ins
    happen (``access.auth``)."""

    __tablename__ = "sign_in_failure"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)  # the email
    source: Mapped[str] = mapped_column(String(64), primary_key=True)  # the address
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class UserSession(Base):
    """A signed-in browser (``access.sessions``). The browser holds a random token in an
    HttpOnly cookie; only its SHA-256 is kept here, so a copy of the database cannot be
    used to sign in. A single-sign-on session is first created with a one-time ticket
    (also hashed, valid a minute) that a full page load exchanges for the token. Ended
    sessions stay (``ended_at``, ``end_reason``) until a later sign-in clears old rows."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(20))


class Membership(Base):
    """Which organisations a (non-admin) user may act for."""

    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )


class Instrument(Base):
    """A survey instrument (its versions are ``InstrumentVersion``). ``organisation_id`` is
    the organisation an uploaded instrument belongs to and is offered to; None is the
    shared library (the shipped ``surveys/`` files and what an administrator publishes),
    offered to every organisation. Codes are unique across both."""

    __tablename__ = "instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )


class InstrumentVersion(Base):
    """One immutable version of an instrument; ``definition`` is the validated file."""

    __tablename__ = "instrument_version"
    __table_args__ = (UniqueConstraint("instrument_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    instrument: Mapped[Instrument] = relationship()
    items: Mapped[list[InstrumentItem]] = relationship(
        back_populates="instrument_version", order_by="InstrumentItem.position"
    )


class InstrumentItem(Base):
    """An answerable item. ``fingerprint`` hashes its wording and scale: two items are
    comparable across waves only when code and fingerprint are both equal."""

    __tablename__ = "instrument_item"
    __table_args__ = (UniqueConstraint("instrument_version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_version_id: Mapped[int] = mapped_column(
        ForeignKey("instrument_version.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)

    instrument_version: Mapped[InstrumentVersion] = relationship(back_populates="items")


class Wave(Base):
    __tablename__ = "wave"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_version.id"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[WaveStatus] = mapped_column(_enum(WaveStatus), default=WaveStatus.DRAFT)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    allow_identified: Mapped[bool] = mapped_column(Boolean, default=False)
    # Results change only in steps of this many people (surveys.release); fixed at launch
    # so a changed setting cannot shrink the steps of a wave already running.
    release_step: Mapped[int] = mapped_column(SmallInteger, default=5, server_default="5")
    # Off: nothing is released until the close, so no late answer is ever held back.
    live_results: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Set by a reopen: filtered tables are not offered again, since the closed figures of
    # before and after could be compared cell by cell.
    reopened: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    open_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A respondent may ask for support or to become an in-house trainer (sos_workforce
    # .training): a separate, named record, never linked to their anonymous response.
    allow_optin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # The fallback for mail merge: an administrator's switch that lets the lead download
    # the personal links as a file (audited "links_file_enabled").
    links_file_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    # The invitation email (subject and body with a {link} placeholder) when the wave's
    # links were emailed by the app; reminders and resends use it too.
    mail_subject: Mapped[str | None] = mapped_column(String(200))
    mail_body: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    instrument_version: Mapped[InstrumentVersion] = relationship()


class WaveTeam(Base):
    """A team in a wave's audience, with the headcount response rates are measured against."""

    __tablename__ = "wave_team"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    expected_headcount: Mapped[int] = mapped_column(Integer)


class Invitation(Base):
    """A single-use personal link. Only the SHA-256 of the token is stored, and nothing
    records when it was spent, so it cannot be matched to a response by time."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    spent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The staff id from an audience roster, for the "not yet responded" list; never copied
    # to the response.
    roster_ref: Mapped[str | None] = mapped_column(String(100))
    # Minted from the wave's open link (team picker) rather than issued as a personal link.
    channel: Mapped[Channel] = mapped_column(
        _enum(Channel), default=Channel.PERSONAL_LINK, server_default=Channel.PERSONAL_LINK.value
    )


class OpenLinkPending(Base):
    """When an unspent open-link invitation was started, so an abandoned start expires.
    Deleted in the transaction that spends the link: a spent link keeps no time, and the
    invitation table itself has no time column."""

    __tablename__ = "open_link_pending"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class OpenLinkStart(Base):
    """One start through a wave's open link, for the rate limit only: the team and the
    time, nothing pointing to the link minted, no address. Rows older than a minute are
    deleted as starts happen (and by the purge)."""

    __tablename__ = "open_link_start"
    __table_args__ = (Index("ix_open_link_start_wave_team", "wave_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class Response(Base):
    __tablename__ = "response"
    __table_args__ = (Index("ix_response_wave_team", "wave_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    staff_role: Mapped[str | None] = mapped_column(String(80))
    employment_type: Mapped[str | None] = mapped_column(String(40))
    tenure_band: Mapped[str | None] = mapped_column(String(40))
    # Filled only when the respondent chose to be identified (opt-in waves).
    respondent_name: Mapped[str | None] = mapped_column(String(200))
    respondent_email: Mapped[str | None] = mapped_column(String(320))


class Answer(Base):
    """Long format: one row per (response, item, value); multiple choice gives several."""

    __tablename__ = "answer"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("instrument_item.id"), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)


class TextAnswer(Base):
    """Free text, kept apart from the response so it cannot be joined to scale answers."""

    __tablename__ = "text_answer"
    __table_args__ = (Index("ix_text_answer_wave_team", "wave_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("instrument_item.id"))
    body: Mapped[str] = mapped_column(Text)


class ResponseDraft(Base):
    """Unfinished answers for a personal link, so a respondent can resume; deleted when the
    response is submitted. The answers are sealed with a key derived from the link's token
    (``core.sealing``): the database alone cannot read them."""

    __tablename__ = "response_draft"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    sealed_answers: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PendingResponse(Base):
    """A submitted response waiting to enter the results (``surveys.release``).

    Nothing points back to the invitation it spent: the id is random and, on SQLite, the
    table has no rowid, so neither id nor storage order follows submission order. A row
    leaves at the release that adds it, with at least ``release_step`` others of its team,
    to the results tables in shuffled order and in a transaction of its own.
    """

    __tablename__ = "pending_response"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    staff_role: Mapped[str | None] = mapped_column(String(80))
    employment_type: Mapped[str | None] = mapped_column(String(40))
    tenure_band: Mapped[str | None] = mapped_column(String(40))
    respondent_name: Mapped[str | None] = mapped_column(String(200))
    respondent_email: Mapped[str | None] = mapped_column(String(320))
    item_values: Mapped[list[list[int]]] = mapped_column(JSON)  # [item id, value] pairs
    texts: Mapped[list[list[int | str]]] = mapped_column(JSON)  # [item id, comment] pairs


class AuditEvent(Base):
    """Who did what and when, with counts. Never answers or tokens."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    count: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(500))


class StatisticalNeighbour(Base):
    """An authority's statistical neighbours (DfE publishes 10 per authority), for
    benchmarks; editable by administrators and the authority's leads."""

    __tablename__ = "statistical_neighbour"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    neighbour_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )


class AnswerTally(Base):
    """Pre-aggregated answers: how many respondents in a team and grouping chose ``value``
    for an item. Kept in step with ``answer`` in the submitting transaction, so reports
    never scan raw rows and raw rows can be purged (retention) without losing results.
    Empty strings stand for "not asked / not answered" in the grouping columns."""

    __tablename__ = "answer_tally"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("instrument_item.id"), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    staff_role: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    employment_type: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    tenure_band: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer)


class RespondentTally(Base):
    """Respondents per wave, team and grouping (the denominators of response rates)."""

    __tablename__ = "respondent_tally"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    staff_role: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    employment_type: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    tenure_band: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer)


class RosterSnapshot(Base):
    """A staff roster as at one date, imported from an HR extract. ``checksum`` (of the
    file and date) makes importing the same file twice a no-op."""

    __tablename__ = "roster_snapshot"
    __table_args__ = (
        UniqueConstraint("organisation_id", "as_of"),
        UniqueConstraint("organisation_id", "checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RosterMember(Base):
    """One member of staff in a roster snapshot, by pseudonymous staff id."""

    __tablename__ = "roster_member"
    __table_args__ = (UniqueConstraint("snapshot_id", "staff_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("roster_snapshot.id", ondelete="CASCADE"))
    staff_ref: Mapped[str] = mapped_column(String(100))
    team_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(80))
    employment_type: Mapped[str] = mapped_column(String(20))  # permanent | agency
    fte: Mapped[float] = mapped_column(Float)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    leave_date: Mapped[dt.date | None] = mapped_column(Date)
    leave_reason: Mapped[str | None] = mapped_column(String(60))
    case_count: Mapped[int | None] = mapped_column(Integer)
    sickness_days: Mapped[float | None] = mapped_column(Float)


class Establishment(Base):
    """Funded posts and vacancies (FTE) for a team at a date, entered on the establishment
    page or with a roster import."""

    __tablename__ = "establishment"
    __table_args__ = (UniqueConstraint("organisation_id", "team_name", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    team_name: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[dt.date] = mapped_column(Date)
    posts_fte: Mapped[float] = mapped_column(Float)
    vacancies_fte: Mapped[float | None] = mapped_column(Float)  # NULL: not recorded


class WorkforceSummary(Base):
    """Counts only, for authorities without row-level HR data (e.g. a scrutiny report's
    "97 permanent social workers of an establishment of 124"): every field of DfE's
    census. NULL is "not recorded"; 0 is zero. ``precedence`` says, where a roster exists
    for the same date, whose figure counts where both have one ("roster" or "summary")."""

    __tablename__ = "workforce_summary"
    __table_args__ = (UniqueConstraint("organisation_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    establishment_posts: Mapped[float | None] = mapped_column(Float)
    permanent_headcount: Mapped[int | None] = mapped_column(Integer)  # DfE inpost_headcount
    employed_fte: Mapped[float | None] = mapped_column(Float)  # DfE inpost_fte
    starters_fte: Mapped[float | None] = mapped_column(Float)
    starters_headcount: Mapped[int | None] = mapped_column(Integer)
    agency_fte: Mapped[float | None] = mapped_column(Float)
    agency_headcount: Mapped[int | None] = mapped_column(Integer)
    vacancy_fte: Mapped[float | None] = mapped_column(Float)
    leavers_fte: Mapped[float | None] = mapped_column(Float)
    leavers_headcount: Mapped[int | None] = mapped_column(Integer)
    cases: Mapped[int | None] = mapped_column(Integer)
    case_holder_fte: Mapped[float | None] = mapped_column(Float)
    sickness_fte_days: Mapped[float | None] = mapped_column(Float)  # DfE working_days_lost_fte
    precedence: Mapped[str | None] = mapped_column(String(10))


class ClosedWaveTally(Base):
    """Whole-wave answer counts per item and value, written when a wave closes: national
    aggregates and benchmarks read these few rows instead of every team's tallies."""

    __tablename__ = "closed_wave_tally"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("instrument_item.id"), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class ClosedWaveItem(Base):
    """Per closed wave and scale item: how many answered and how many chose the item's top
    band, written with ``closed_wave_tally`` when a wave closes. Benchmarks against other
    authorities read one row per authority and item instead of one per value."""

    __tablename__ = "closed_wave_item"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("instrument_item.id"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    top_n: Mapped[int] = mapped_column(Integer)


# --- implementation timeline and self-profiling ------------------------------------------


class PhaseStart(Base):
    """When an organisation entered an implementation phase; a phase ends where the next
    recorded one starts (the last runs on)."""

    __tablename__ = "phase_start"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    phase: Mapped[ImplementationPhase] = mapped_column(_enum(ImplementationPhase), primary_key=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)


class Milestone(Base):
    """Something the implementation achieved (training delivered, forms aligned…)."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("organisation_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    achieved_on: Mapped[dt.date] = mapped_column(Date)


class ProfileInstrumentVersion(Base):
    """One immutable version of a self-profile instrument (``surveys/self_profile*.yaml``)."""

    __tablename__ = "profile_instrument_version"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProfileRound(Base):
    """An organisation profiling itself on one date with one instrument version."""

    __tablename__ = "profile_round"
    __table_args__ = (UniqueConstraint("organisation_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("profile_instrument_version.id"))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus), default=RoundStatus.OPEN)
    # An administrator's switch: only then may the lead make the raters' links (a file the
    # chair hands out at the meeting). Audited "links_file_enabled".
    links_file_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    # Set when the raters' links were emailed by the app (the template, for resends).
    mail_subject: Mapped[str | None] = mapped_column(String(200))
    mail_body: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    instrument_version: Mapped[ProfileInstrumentVersion] = relationship()


class RaterLink(Base):
    """A rater's single-use link: only the token's SHA-256 and the rater's role are kept."""

    __tablename__ = "rater_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("profile_round.id", ondelete="CASCADE"), index=True
    )
    rater_role: Mapped[RaterRole] = mapped_column(_enum(RaterRole))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    spent: Mapped[bool] = mapped_column(Boolean, default=False)


class RaterDraft(Base):
    """A rater's unfinished scores, so they can resume from the same link; deleted when the
    scores are sent, when the link is replaced and when the round closes. Sealed with a key
    derived from the link's token (``core.sealing``, padded to one size): the database alone
    cannot read the scores nor tell how many there are. No time is kept."""

    __tablename__ = "rater_draft"

    rater_link_id: Mapped[int] = mapped_column(
        ForeignKey("rater_link.id", ondelete="CASCADE"), primary_key=True
    )
    round_id: Mapped[int] = mapped_column(
        ForeignKey("profile_round.id", ondelete="CASCADE"), index=True
    )
    sealed_scores: Mapped[bytes] = mapped_column(LargeBinary)


class RaterScore(Base):
    """One rater's score for one item. No link to the rater's link: scores are grouped by
    role only, like anonymous survey answers."""

    __tablename__ = "rater_score"
    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        Index("ix_rater_score_round_item", "round_id", "item_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("profile_round.id", ondelete="CASCADE"))
    rater_role: Mapped[RaterRole] = mapped_column(_enum(RaterRole))
    item_code: Mapped[str] = mapped_column(String(80))
    score: Mapped[int] = mapped_column(SmallInteger)


class AgreedScore(Base):
    """The score a round agreed for an item, with the evidence behind it."""

    __tablename__ = "agreed_score"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),)

    round_id: Mapped[int] = mapped_column(
        ForeignKey("profile_round.id", ondelete="CASCADE"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(String(80), primary_key=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- time diaries ------------------------------------------------------------------------


class DiaryPeriod(Base):
    """A time-diary period (e.g. one week) launched by a lead for some teams."""

    __tablename__ = "diary_period"
    __table_args__ = (
        UniqueConstraint("organisation_id", "title"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[DiaryStatus] = mapped_column(_enum(DiaryStatus), default=DiaryStatus.OPEN)
    links_file_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    mail_subject: Mapped[str | None] = mapped_column(String(200))
    mail_body: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DiaryPeriodTeam(Base):
    """A team taking part in a diary period."""

    __tablename__ = "diary_period_team"

    period_id: Mapped[int] = mapped_column(
        ForeignKey("diary_period.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )


class DiaryParticipant(Base):
    """A worker keeping a diary in a period, by pseudonymous staff id. Their link is valid
    for the whole period (not single-use); only the token's SHA-256 is stored. No names,
    no child or case identifiers."""

    __tablename__ = "diary_participant"
    __table_args__ = (
        UniqueConstraint("period_id", "worker_ref"),
        CheckConstraint("fte > 0 AND fte <= 1.5", name="fte_range"),
        CheckConstraint(
            "contracted_hours > 0 AND contracted_hours <= 80", name="contracted_hours_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("diary_period.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    worker_ref: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(80))
    fte: Mapped[float] = mapped_column(Float)
    contracted_hours: Mapped[float] = mapped_column(Float)  # per week
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)


class DiaryEntry(Base):
    """Minutes spent on one activity code on one day. ``activity`` and ``sos_tool`` are
    codes from ``surveys/diary_codes.yaml``; there is deliberately no free-text column."""

    __tablename__ = "diary_entry"
    __table_args__ = (
        # Covers the time-use aggregates (per worker, day and activity) without the table.
        Index(
            "ix_diary_entry_participant_day",
            "participant_id",
            "entry_date",
            "activity",
            "minutes",
        ),
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("diary_participant.id", ondelete="CASCADE")
    )
    entry_date: Mapped[dt.date] = mapped_column(Date)
    activity: Mapped[str] = mapped_column(String(40))
    minutes: Mapped[int] = mapped_column(SmallInteger)
    starts_at: Mapped[dt.time | None] = mapped_column(Time)
    ends_at: Mapped[dt.time | None] = mapped_column(Time)
    sos_tool: Mapped[str | None] = mapped_column(String(40))


class DiaryWorkerTotal(Base):
    """Sealed totals of one person who took part in a closed diary period, written when the
    period closes (``diary_tallies.seal_period``). It carries no staff id and no link to the
    participant or their token, so it outlives the retention purge of the raw rows and the
    time-use report of a closed period reads only these rows. ``minutes`` is 0 for someone
    who recorded nothing (they still count as taking part)."""

    __tablename__ = "diary_worker_total"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("diary_period.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(80))
    fte: Mapped[float] = mapped_column(Float)
    contracted_hours: Mapped[float] = mapped_column(Float)
    minutes: Mapped[int] = mapped_column(Integer)
    direct_minutes: Mapped[int] = mapped_column(Integer)
    admin_minutes: Mapped[int] = mapped_column(Integer)
    weekdays_recorded: Mapped[int] = mapped_column(SmallInteger)


class DiaryActivityTotal(Base):
    """Sealed minutes per team, role and activity code of a closed diary period."""

    __tablename__ = "diary_activity_total"

    period_id: Mapped[int] = mapped_column(
        ForeignKey("diary_period.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(80), primary_key=True)
    activity: Mapped[str] = mapped_column(String(40), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)


class DiaryPeriodActivityTotal(Base):
    """Sealed minutes per activity code of a whole closed diary period: national and
    cross-authority figures read these few rows (as ``closed_wave_tally`` for surveys)."""

    __tablename__ = "diary_period_activity_total"

    period_id: Mapped[int] = mapped_column(
        ForeignKey("diary_period.id", ondelete="CASCADE"), primary_key=True
    )
    activity: Mapped[str] = mapped_column(String(40), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)
    workers: Mapped[int] = mapped_column(Integer)  # people who recorded this activity


class DiaryImport(Base):
    """A diary file imported into a period; ``checksum`` makes the same file a no-op."""

    __tablename__ = "diary_import"
    __table_args__ = (UniqueConstraint("period_id", "checksum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("diary_period.id", ondelete="CASCADE"))
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- DfE's published statistics and the outcome indicators -------------------------------


class DfeFile(Base):
    """A DfE file imported once per deployment by an administrator (one per kind of file:
    a newer release of the same file replaces the older one). ``checksum`` makes importing
    the same file again a no-op; ``fictional`` marks the demo's invented series."""

    __tablename__ = "dfe_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(60), unique=True)
    file_name: Mapped[str] = mapped_column(String(200))
    checksum: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    figures: Mapped[int] = mapped_column(Integer)  # cells (or neighbour pairs) stored
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DfeRow(Base):
    """One row of a DfE tidy file: a year, an area and a breakdown, with its measures in
    ``cells`` ({column: number, or DfE's code when the cell held one: c, x, z, low, k, u;
    "" when blank}). A code is "not available", never 0. Rows are stored as published (one
    row, not one per measure): an authority's series reads a few hundred of them."""

    __tablename__ = "dfe_row"
    __table_args__ = (
        Index("ix_dfe_row_old_la_code", "file_id", "old_la_code"),
        Index("ix_dfe_row_level", "file_id", "level"),
    )

    file_id: Mapped[int] = mapped_column(
        ForeignKey("dfe_file.id", ondelete="CASCADE"), primary_key=True
    )
    time_period: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    area_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    breakdown: Mapped[str] = mapped_column(String(120), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))  # national | regional | local_authority
    # Combined authorities keep DfE's combined codes ("314 / 318").
    old_la_code: Mapped[str | None] = mapped_column(String(40))
    area_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    cells: Mapped[dict[str, float | str]] = mapped_column(JSON)


class DfeNeighbour(Base):
    """DfE's statistical-neighbour model: an authority's neighbours by old LA code, nearest
    first, with DfE's closeness words. One model applies to every year."""

    __tablename__ = "dfe_neighbour"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("dfe_file.id", ondelete="CASCADE"), primary_key=True
    )
    old_la_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    rank: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    la_name: Mapped[str] = mapped_column(String(120))
    neighbour_code: Mapped[str] = mapped_column(String(3))
    closeness: Mapped[str] = mapped_column(String(40))


class OutcomeDirection(Base):
    """The direction an authority wants an outcome indicator to move; only then does the
    outcomes page judge a change (better or worse than the neighbours' change)."""

    __tablename__ = "outcome_direction"
    __table_args__ = (CheckConstraint("direction IN ('higher', 'lower')", name="direction"),)

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    indicator_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    direction: Mapped[str] = mapped_column(String(10))


class MailRecipient(Base):
    """The email address a personal link was sent to, kept only while it may be needed for
    a reminder or a resend: deleted when the link is spent and when its wave or diary
    period closes. Never joined to anything a lead sees by name."""

    __tablename__ = "mail_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), unique=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("diary_participant.id", ondelete="CASCADE"), unique=True
    )
    rater_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("rater_link.id", ondelete="CASCADE"), unique=True
    )
    address: Mapped[str] = mapped_column(String(320))


class OutboxMessage(Base):
    """An email waiting to be sent, or the trace of one. The body holds a personal link, so
    it and the address are blanked once the message is sent: a sent message keeps only its
    kind, status and counts."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MailKind] = mapped_column(_enum(MailKind))
    wave_id: Mapped[int | None] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), index=True
    )
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("diary_period.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("profile_round.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_recipient.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(_enum(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# --- conference feedback (continuous collection) -----------------------------------------


class FeedbackForm(Base):
    """A feedback form an organisation collects all year (``collection: continuous``):
    one per instrument version. Its standing link (a QR code on a poster in the conference
    room) is kept only as the SHA-256 of its token; issuing a new link replaces it."""

    __tablename__ = "feedback_form"
    __table_args__ = (UniqueConstraint("organisation_id", "instrument_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_version.id"))
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Forms wait in ``feedback_pending`` until this many can be moved to ``feedback_entry``
    # together, shuffled (the minimum group size when the form was set up).
    release_step: Mapped[int] = mapped_column(SmallInteger, default=5)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    instrument_version: Mapped[InstrumentVersion] = relationship()


class FeedbackPending(Base):
    """A feedback form as sent (through the standing link or typed in from paper), waiting
    to be moved with at least ``release_step`` others into ``feedback_entry`` and
    ``feedback_comment``. It keeps the date only, its id is random and, on SQLite, the
    table has no rowid, so neither id nor storage order says when it came. Reports count
    these rows as well: the move changes where a form is stored, never a figure."""

    __tablename__ = "feedback_pending"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    form_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_form.id", ondelete="CASCADE"), index=True
    )
    received_on: Mapped[dt.date] = mapped_column(Date)
    answers: Mapped[dict[str, int]] = mapped_column(JSON)  # scale and single-choice items
    texts: Mapped[list[list[str]]] = mapped_column(JSON)  # [item code, comment] pairs


class FeedbackEntry(Base):
    """One feedback form's answers (no comments), written in shuffled batches of at least
    ``release_step`` with new random ids: its id, place and transaction tie it only to a
    batch. The date is the day the form was sent or, for paper, the conference's date."""

    __tablename__ = "feedback_entry"
    __table_args__ = (
        Index("ix_feedback_entry_form_received", "form_id", "received_on"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("feedback_form.id", ondelete="CASCADE"))
    received_on: Mapped[dt.date] = mapped_column(Date)
    answers: Mapped[dict[str, int]] = mapped_column(JSON)


class FeedbackComment(Base):
    """A comment written on a feedback form, kept apart from the form's answers."""

    __tablename__ = "feedback_comment"
    __table_args__ = (
        Index("ix_feedback_comment_form_received", "form_id", "received_on"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("feedback_form.id", ondelete="CASCADE"))
    received_on: Mapped[dt.date] = mapped_column(Date)
    item_code: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)


# --- training (sos_workforce.training) ---------------------------------------------------


class TrainingImport(Base):
    """A learning-system export imported once: the same file twice changes nothing."""

    __tablename__ = "training_import"
    __table_args__ = (UniqueConstraint("organisation_id", "checksum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingSession(Base):
    """One session of a course (``training/courses.yaml``) on a date."""

    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[str] = mapped_column(String(60))
    held_on: Mapped[dt.date] = mapped_column(Date)
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_import.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingAttendance(Base):
    """Who attended a session: a staff id from the roster, or a named attendee not on it
    (agency staff, a partner's worker)."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "staff_ref", "attendee_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    staff_ref: Mapped[str] = mapped_column(String(100), default="")  # "" when named
    attendee_name: Mapped[str] = mapped_column(String(200), default="")  # "" when on roster


class TrainingTarget(Base):
    """A lead's coverage target: a share (percent) for a level, or a number of in-house
    trainers (``measure`` = "trainers")."""

    __tablename__ = "training_target"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    measure: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class InvitationIdentity(Base):
    """The name and address of a personal link's recipient in a wave that allows opt-ins
    (from the audience roster at launch), kept like ``mail_recipient``'s address: only
    until the link is spent or the wave closes. Read at submission only when the
    respondent opts in, to name their opt-in; never stored with their answers."""

    __tablename__ = "invitation_identity"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))


class TrainingOptIn(Base):
    """A respondent's request for support or to become an in-house trainer: their name and
    address from their invitation and only the answers they chose to share. Written in a
    transaction of its own, after the response's, with nothing naming the response."""

    __tablename__ = "training_optin"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    wants_support: Mapped[bool] = mapped_column(Boolean)
    wants_trainer: Mapped[bool] = mapped_column(Boolean)
    shared: Mapped[list[list[str]]] = mapped_column(JSON)  # [question, answer] pairs
    made_on: Mapped[dt.date] = mapped_column(Date)
    # Set when the release that took the person's team's pool (surveys.release) ran: until
    # then their response may still wait in the pool, so a release counts them as named.
    released: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class TrainingOptInStep(Base):
    """What followed an opt-in, as the lead recorded it (offered coaching, booked on
    train-the-trainer, licensed trainer, left), with its date."""

    __tablename__ = "training_optin_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    optin_id: Mapped[int] = mapped_column(
        ForeignKey("training_optin.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(40))
    recorded_on: Mapped[dt.date] = mapped_column(Date)
