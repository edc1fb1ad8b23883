"""Conference feedback collected all year: the forms an organisation collects, the standing
link (with a printable poster carrying its QR code), the form behind the link, and paper
forms typed in by a lead.

Anonymity. A form keeps the date only: the day it was sent through the link or, for paper,
the conference's date; never a time, an IP address or who typed it in. It waits in
``feedback_pending`` (random id, no rowid on SQLite) until at least the form's
``release_step`` are waiting, and then all of them move to ``feedback_entry`` and
``feedback_comment`` in shuffled order with new random ids, in the same transaction, so a
stored form's id, place and transaction tie it to a batch of at least k, never to the
moment it came. Reports count the waiting forms too: the move changes where a form is
stored, never a figure. What remains is in docs/architecture.md.

Dates. A paper form can be typed in up to ``ENTRY_WINDOW_DAYS`` after its conference, and
a month's figures are final (``report``) only once that time has passed after it ends, so
a figure once shown never changes.
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import segno
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, record_event, require
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, LinkRefused, NotFound
from sos_workforce.core.links import feedback_url, mint_token
from sos_workforce.core.models import (
    FeedbackComment,
    FeedbackEntry,
    FeedbackForm,
    FeedbackPending,
    Instrument,
    InstrumentVersion,
    Organisation,
)
from sos_workforce.core.security import hash_token, is_well_formed_token
from sos_workforce.surveys import (
    AnswerValue,
    InstrumentDefinition,
    check_offered,
    definition_of,
    validate_answers,
)

ENTRY_WINDOW_DAYS = 14  # a paper form can be typed in up to 14 days after its conference
MAX_BATCH = 500  # paper forms saved at once
_shuffle = secrets.SystemRandom().shuffle


def _new_id() -> str:
    """A random id: neither its value nor its sort order says when it was made."""
    return secrets.token_hex(16)


# --- the forms an organisation collects ------------------------------------------------


@dataclass(frozen=True)
class FeedbackFormSummary:
    """A feedback form an organisation collects (``form_id``), or could start collecting
    (``form_id`` None): a continuous instrument version."""

    instrument_version_id: int
    form_id: int | None
    code: str
    version: int
    title: str
    audience_words: str
    has_link: bool
    first_month: dt.date | None  # the first month with forms (a month, never a day)

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"


def _continuous_versions(
    session: Session, organisation_id: int
) -> list[tuple[InstrumentVersion, InstrumentDefinition]]:
    """The continuous versions offered to the organisation: the shared library's and its
    own instruments'."""
    versions = session.scalars(
        select(InstrumentVersion)
        .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
        .where(
            Instrument.organisation_id.is_(None) | (Instrument.organisation_id == organisation_id)
        )
        .order_by(Instrument.title, InstrumentVersion.version)
    ).all()
    found = []
    for version in versions:
        definition = definition_of(version)
        if definition.collection == "continuous":
            found.append((version, definition))
    return found


def _first_month(session: Session, form_id: int) -> dt.date | None:
    firsts = [
        session.scalar(select(func.min(model.received_on)).where(model.form_id == form_id))
        for model in (FeedbackEntry, FeedbackPending)
    ]
    dates = [day for day in firsts if day is not None]
    return min(dates).replace(day=1) if dates else None


def list_feedback_forms(
    db: Database, actor: Actor, organisation_id: int
) -> list[FeedbackFormSummary]:
    """Every continuously collected instrument version, with the organisation's form for
    it where one was started."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        forms = {
            form.instrument_version_id: form
            for form in session.scalars(
                select(FeedbackForm).where(FeedbackForm.organisation_id == organisation_id)
            )
        }
        summaries = []
        for version, definition in _continuous_versions(session, organisation_id):
            form = forms.get(version.id)
            summaries.append(
                FeedbackFormSummary(
                    instrument_version_id=version.id,
                    form_id=form.id if form else None,
                    code=definition.code,
                    version=definition.version,
                    title=definition.title,
                    audience_words=definition.audience_words,
                    has_link=bool(form and form.link_hash),
                    first_month=_first_month(session, form.id) if form else None,
                )
            )
        return summaries


def start_feedback_form(
    db: Database,
    actor: Actor,
    organisation_id: int,
    instrument_version_id: int,
    *,
    release_step: int,
) -> int:
    """Start collecting a continuous instrument version (once per organisation; starting
    it again returns the same form). ``release_step`` is the minimum group size."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    with db.write() as session:
        version = session.get(InstrumentVersion, instrument_version_id)
        if version is None:
            raise NotFound("No such instrument version.")
        check_offered(version, organisation_id)
        if definition_of(version).collection != "continuous":
            raise InvalidInput(
                "This survey is run in waves; choose a feedback form collected all year."
            )
        existing = session.scalar(
            select(FeedbackForm.id).where(
                FeedbackForm.organisation_id == organisation_id,
                FeedbackForm.instrument_version_id == instrument_version_id,
            )
        )
        if existing is not None:
            return existing
        form = FeedbackForm(
            organisation_id=organisation_id,
            instrument_version_id=instrument_version_id,
            release_step=release_step,
        )
        session.add(form)
        session.flush()
        record_event(
            session,
            actor,
            "feedback_form_started",
            organisation_id=organisation_id,
            target=f"feedback_form:{form.id}",
        )
        return form.id


def _form(session: Session, actor: Actor, form_id: int, *roles: Role) -> FeedbackForm:
    form = session.get(FeedbackForm, form_id)
    if form is None:
        raise NotFound("No such feedback form.")
    require(actor, *roles, organisation_id=form.organisation_id)
    return form


# --- the standing link and its poster ---------------------------------------------------


@dataclass(frozen=True)
class FeedbackLink:
    """A new standing link: shown once (only its hash is kept), with its poster."""

    url: str
    qr_svg: str
    poster_html: str


def qr_svg(url: str, title: str) -> str:
    """The link as an inline SVG QR code (segno), with a title for screen readers."""
    code = segno.make(url, error="m", micro=False)
    return str(code.svg_inline(scale=10, border=4, title=title, svgclass="qr"))


def poster_html(*, organisation: str, title: str, audience_words: str, url: str, qr: str) -> str:
    """A printable A4 poster for the conference room: what to do, the QR code and the
    link written out, in plain language. Everything typed by anyone is escaped."""
    esc = html.escape
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
<style>
@page {{ size: A4; margin: 18mm; }}
body {{ font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; text-align: center; }}
h1 {{ font-size: 30pt; margin: 0 0 8mm; }}
p {{ font-size: 16pt; line-height: 1.4; margin: 0 0 6mm; }}
.qr svg {{ width: 110mm; height: 110mm; }}
.link {{ font-family: "Courier New", monospace; font-size: 11pt; word-break: break-all; }}
</style>
</head>
<body>
<h1>How was this conference for you?</h1>
<p>{esc(organisation)} would like feedback from {esc(audience_words)} after every child
protection conference.</p>
<p>Scan the code with your phone's camera to fill in the short form. It takes about two
minutes. Your answers are anonymous: please do not write names.</p>
<div class="qr">{qr}</div>
<p>Or type this address:</p>
<p class="link">{esc(url)}</p>
<p>{esc(title)}</p>
<p>You can also ask for a paper form.</p>
</body>
</html>
"""


def issue_feedback_link(db: Database, actor: Actor, form_id: int, *, base_url: str) -> FeedbackLink:
    """A standing link for the form, with its QR code and poster. Issuing again replaces
    the link (old posters stop working). Shown once; only its hash is stored."""
    token = mint_token()
    with db.write() as session:
        form = _form(session, actor, form_id, Role.LEAD)
        form.link_hash = hash_token(token)
        definition = definition_of(form.instrument_version)
        organisation = session.get_one(Organisation, form.organisation_id).name
        record_event(
            session,
            actor,
            "feedback_link_issued",
            organisation_id=form.organisation_id,
            target=f"feedback_form:{form.id}",
        )
    url = feedback_url(base_url, token)
    qr = qr_svg(url, f"QR code for {definition.title}")
    return FeedbackLink(
        url,
        qr,
        poster_html(
            organisation=organisation,
            title=definition.title,
            audience_words=definition.audience_words,
            url=url,
            qr=qr,
        ),
    )


# --- the form behind the link ------------------------------------------------------------


@dataclass(frozen=True)
class LinkedForm:
    organisation: str
    definition: InstrumentDefinition


_INVALID_LINK = (
    "This link is not valid. Please check that you copied the whole link, or ask for a paper form."
)


def _linked_form(session: Session, token: str) -> FeedbackForm:
    if not is_well_formed_token(token):
        raise LinkRefused(_INVALID_LINK)
    form = session.scalar(select(FeedbackForm).where(FeedbackForm.link_hash == hash_token(token)))
    if form is None:
        raise LinkRefused(_INVALID_LINK)
    return form


def open_feedback_link(db: Database, token: str) -> LinkedForm:
    """The form a standing link opens. Stores nothing."""
    with db.read() as session:
        form = _linked_form(session, token)
        return LinkedForm(
            session.get_one(Organisation, form.organisation_id).name,
            definition_of(form.instrument_version),
        )


def _stored(
    definition: InstrumentDefinition, answers: Mapping[str, AnswerValue]
) -> dict[str, object]:
    validated = validate_answers(definition, answers)
    return {
        "answers": dict(validated.values),
        "texts": [[code, text] for code, text in validated.texts],
    }


def _release(session: Session, form: FeedbackForm) -> int:
    """Move every waiting form into the entries and comments, shuffled with new ids, once
    at least ``release_step`` wait; returns how many moved."""
    waiting = session.scalars(
        select(FeedbackPending).where(FeedbackPending.form_id == form.id)
    ).all()
    if len(waiting) < form.release_step:
        return 0
    entries = [
        {
            "id": _new_id(),
            "form_id": form.id,
            "received_on": row.received_on,
            "answers": row.answers,
        }
        for row in waiting
    ]
    comments = [
        {
            "id": _new_id(),
            "form_id": form.id,
            "received_on": row.received_on,
            "item_code": str(code),
            "body": str(body),
        }
        for row in waiting
        for code, body in row.texts
    ]
    _shuffle(entries)
    _shuffle(comments)
    session.execute(delete(FeedbackPending).where(FeedbackPending.form_id == form.id))
    session.execute(insert(FeedbackEntry), entries)
    if comments:
        session.execute(insert(FeedbackComment), comments)
    return len(entries)


def submit_feedback(
    db: Database, token: str, answers: Mapping[str, AnswerValue], *, today: dt.date | None = None
) -> None:
    """Store one form sent through a standing link, dated today (the date only)."""
    today = today or dt.date.today()
    with db.write() as session:
        form = _linked_form(session, token)
        stored = _stored(definition_of(form.instrument_version), answers)
        session.add(FeedbackPending(id=_new_id(), form_id=form.id, received_on=today, **stored))
        session.flush()
        _release(session, form)


# --- paper forms typed in by a lead -------------------------------------------------------


@dataclass(frozen=True)
class PaperForm:
    """A paper form as typed in: the conference's date and the answers."""

    conference_on: dt.date
    answers: Mapping[str, AnswerValue]


def entry_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last conference dates a paper form may have when typed in today."""
    return today - dt.timedelta(days=ENTRY_WINDOW_DAYS), today


def enter_paper_forms(
    db: Database,
    actor: Actor,
    form_id: int,
    forms: Sequence[PaperForm],
    *,
    today: dt.date | None = None,
) -> int:
    """Store paper forms typed in by a lead, all or none: every form is checked first and
    a problem names the form. Returns how many were stored (audited with the count)."""
    today = today or dt.date.today()
    if not forms:
        raise InvalidInput("There are no forms to save.")
    if len(forms) > MAX_BATCH:
        raise InvalidInput(f"Save at most {MAX_BATCH} forms at a time.")
    earliest, latest = entry_window(today)
    with db.write() as session:
        form = _form(session, actor, form_id, Role.LEAD)
        definition = definition_of(form.instrument_version)
        rows = []
        problems = []
        for number, paper in enumerate(forms, 1):
            if paper.conference_on > latest:
                problems.append(f"Form {number}: the conference date is in the future.")
                continue
            if paper.conference_on < earliest:
                problems.append(
                    f"Form {number}: the conference was on "
                    f"{as_date(paper.conference_on, long=True)}; "
                    f"forms can be typed in up to {ENTRY_WINDOW_DAYS} days after the "
                    "conference, because after that the figures for its month may be "
                    "published, and adding to them would show what this form said."
                )
                continue
            try:
                stored = _stored(definition, paper.answers)
            except InvalidInput as problem:
                problems.append(f"Form {number}: {problem}")
                continue
            rows.append(
                {"id": _new_id(), "form_id": form.id, "received_on": paper.conference_on, **stored}
            )
        if problems:
            raise InvalidInput("Nothing was saved. " + " ".join(problems), problems=problems)
        _shuffle(rows)
        session.execute(insert(FeedbackPending), rows)
        _release(session, form)
        record_event(
            session,
            actor,
            "feedback_paper_forms_entered",
            organisation_id=form.organisation_id,
            target=f"feedback_form:{form.id}",
            count=len(rows),
        )
    return len(rows)
