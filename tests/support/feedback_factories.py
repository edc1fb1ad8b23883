"""Conference feedback forms with figures worked by hand (seed 004 §3.17 and §3.26)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Sequence

from sos_workforce import feedback
from sos_workforce.core.db import Database
from tests.support.factories import World, instrument_version

PROFESSIONAL = "conference_feedback_professional"
FAMILY = "conference_feedback_family"
Form = tuple[dt.date, dict[str, int]]


def start_form(db: Database, world: World, code: str, k: int = 5) -> int:
    """The organisation's form for the latest version of ``code`` (the continuous one)."""
    return feedback.start_feedback_form(
        db, world.lead, world.organisation_id, instrument_version(db, code), release_step=k
    )


def enter(db: Database, world: World, form_id: int, forms: Sequence[Form]) -> None:
    """Type the forms in as paper forms, each on its conference's day."""
    by_day: dict[dt.date, list[feedback.PaperForm]] = defaultdict(list)
    for day, answers in forms:
        by_day[day].append(feedback.PaperForm(day, answers))
    for day, papers in sorted(by_day.items()):
        feedback.enter_paper_forms(db, world.lead, form_id, papers, today=day)


APRIL_TO_DECEMBER_2017 = [dt.date(2017, month, 1) for month in range(4, 13)]


def _spread(scores: list[int], months: Sequence[dt.date]) -> list[Form]:
    """The scores over the months in turn, on working days (the 3rd to the 26th)."""
    days = itertools.cycle(range(3, 27))
    return [
        (months[index % len(months)].replace(day=next(days)), {"overall": score})
        for index, score in enumerate(scores)
    ]


def brent_professionals() -> list[Form]:
    """216 professionals, April to December 2017, scores summing to 1,901: mean 8.8009…,
    shown 8.8 (216 × 8.8 = 1,900.8, so no 216 whole scores average exactly 8.8). 20 tens,
    133 nines, 63 eights: 200 + 1,197 + 504 = 1,901. Agencies in turn: social care,
    health, education, police, other; every form is an initial or a review conference."""
    forms = _spread([10] * 20 + [9] * 133 + [8] * 63, APRIL_TO_DECEMBER_2017)
    for index, (_, answers) in enumerate(forms):
        answers["agency"] = index % 5 + 1
        answers["conference_type"] = index % 2 + 1
    return forms


def brent_parents() -> list[Form]:
    """163 parents and carers, April to December 2017: 65 nines and 98 eights sum to
    585 + 784 = 1,369, mean 8.3988…, shown 8.4."""
    return _spread([9] * 65 + [8] * 98, APRIL_TO_DECEMBER_2017)
