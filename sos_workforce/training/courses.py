"""Courses as data: ``courses.yaml`` beside this module, checked by pydantic when read.

A course has an id (what a learning-system export's course names are mapped to), a
title, a level (what coverage counts) and, optionally, a refresher interval in months
after which the training no longer counts as current."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sos_workforce.core.errors import InvalidInput

COURSES_FILE = Path(__file__).with_name("courses.yaml")

Level = Literal["introduction", "advanced", "practice_leader", "trainer", "specialist"]
LEVELS: dict[str, str] = {
    "introduction": "Introduction (2 days)",
    "advanced": "Advanced (5 days)",
    "practice_leader": "Practice leaders' sessions",
    "trainer": "Train the trainer",
    "specialist": "Specialist courses",
}
# Coverage shares are counted for these levels (practice leaders' sessions are counted as
# attendance over the year; train-the-trainer as the number of in-house trainers).
COVERAGE_LEVELS: tuple[str, ...] = ("introduction", "advanced", "specialist")


class Course(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,58}$")
    title: str = Field(min_length=3, max_length=200)
    level: Level
    refresher_months: int | None = Field(default=None, ge=1, le=120)

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    def current_until(self, held_on: dt.date) -> dt.date | None:
        """The last day the training counts as current, or None when it never lapses."""
        if self.refresher_months is None:
            return None
        months = held_on.month - 1 + self.refresher_months
        year, month = held_on.year + months // 12, months % 12 + 1
        day = min(held_on.day, _days_in(year, month))
        return dt.date(year, month, day) - dt.timedelta(days=1)


def _days_in(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    courses: list[Course] = Field(min_length=1)

    @field_validator("courses")
    @classmethod
    def _unique(cls, courses: list[Course]) -> list[Course]:
        ids = [course.id for course in courses]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"course ids appear twice: {', '.join(repeated)}")
        return courses


def parse_catalogue(text: str) -> Catalogue:
    """Read a courses file's text; a clear ``InvalidInput`` when it is wrong."""
    try:
        return Catalogue.model_validate(yaml.safe_load(text))
    except (ValidationError, yaml.YAMLError) as error:
        raise InvalidInput(f"The courses file is not valid: {error}") from error


@cache
def all_courses() -> tuple[Course, ...]:
    """Every course, in the file's order."""
    return tuple(parse_catalogue(COURSES_FILE.read_text(encoding="utf-8")).courses)


def course(course_id: str) -> Course:
    for candidate in all_courses():
        if candidate.id == course_id:
            return candidate
    raise InvalidInput(f"'{course_id}' is not a known course.")
