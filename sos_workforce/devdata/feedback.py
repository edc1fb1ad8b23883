"""Fictional conference feedback for the demo authority: about fifteen months of forms from
professionals and from parents and carers, some sent through the standing link (its QR
code on the poster) and most typed in from paper, scored around Brent's 8.8 and 8.4 (seed
004 §3.17, §3.26). Entered through the same services as the app, each on its day."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import select

from sos_workforce.access import Actor
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.models import Instrument, InstrumentVersion
from sos_workforce.feedback import (
    PaperForm,
    enter_paper_forms,
    issue_feedback_link,
    list_feedback_forms,
    months_between,
    start_feedback_form,
    submit_feedback,
)
from sos_workforce.surveys import AnswerValue

# code → (forms a month, centre of the overall score)
_FORMS = {
    "conference_feedback_professional": (22, 8.8),
    "conference_feedback_family": (15, 8.4),
}
# Agencies of professionals at a conference: social care, health, education, police, other.
_AGENCY_WEIGHTS = (35, 25, 25, 10, 5)
_COMMENTS = [
    "The danger statement was written in words the family could follow.",
    "Clear safety goals, and everyone knew their part in the plan.",
    "It would help to have the reports a few days before the conference.",
    "The family's network was there and was listened to.",
    "Good use of the three columns on the board.",
    "It felt rushed at the end; the plan needed more time.",
]


def _score(rng: random.Random, centre: float) -> int:
    return max(0, min(10, round(rng.gauss(centre, 1.1))))


def _answers(rng: random.Random, code: str, centre: float) -> dict[str, AnswerValue]:
    answers: dict[str, AnswerValue] = {
        "overall": _score(rng, centre),
        "conference_type": 1 if rng.random() < 0.4 else 2,
    }
    if code == "conference_feedback_professional":
        answers["agency"] = rng.choices(range(1, 6), weights=_AGENCY_WEIGHTS)[0]
        for item in ("danger_clear", "goals_clear", "family_participated", "balanced_view"):
            if rng.random() < 0.8:
                answers[item] = _score(rng, centre - 0.3)
        if rng.random() < 0.15:
            answers["professional_comment"] = rng.choice(_COMMENTS)
    else:
        for item in ("understood_worries", "strengths_recognised", "views_heard"):
            if rng.random() < 0.7:
                answers[item] = _score(rng, centre - 0.2)
    return answers


def seed_feedback(
    db: Database,
    settings: Settings,
    *,
    organisation_id: int,
    lead: Actor,
    today: dt.date,
    rng: random.Random,
) -> None:
    """Both conference feedback forms, collected for about fifteen months up to today."""
    with db.read() as session:
        versions = dict(
            session.execute(
                select(Instrument.code, InstrumentVersion.id)
                .join(InstrumentVersion.instrument)
                .where(Instrument.code.in_(list(_FORMS)))
                .order_by(InstrumentVersion.version)
            ).all()
        )  # the latest version of each (ordered by version, the last one wins)
    months = months_between(today - dt.timedelta(days=450), today)
    for code, (per_month, centre) in _FORMS.items():
        form_id = start_feedback_form(
            db,
            lead,
            organisation_id,
            versions[code],
            release_step=settings.min_group_size,
        )
        token = issue_feedback_link(db, lead, form_id, base_url=settings.base_url).url.rsplit(
            "f=", 1
        )[1]
        by_day: dict[dt.date, list[PaperForm]] = defaultdict(list)
        for month in months:
            for _ in range(max(0, round(rng.gauss(per_month, 4)))):
                day = month.replace(day=rng.randint(1, 28))
                if day >= today:
                    continue
                answers = _answers(rng, code, centre)
                if rng.random() < 0.3:  # sent from a phone through the poster's QR code
                    submit_feedback(db, token, answers, today=day)
                else:
                    by_day[day + dt.timedelta(days=rng.randint(0, 6))].append(
                        PaperForm(day, answers)
                    )
        for typed_on, papers in sorted(by_day.items()):
            enter_paper_forms(db, lead, form_id, papers, today=min(typed_on, today))
    assert all(f.form_id for f in list_feedback_forms(db, lead, organisation_id))
