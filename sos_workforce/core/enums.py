"""Enumerations shared by the models, the services and the pages."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    EXECUTIVE = "executive"


class WaveStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Channel(enum.StrEnum):
    PERSONAL_LINK = "personal_link"
    OPEN_LINK = "open_link"


class MailKind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"


class MailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ImplementationPhase(enum.StrEnum):
    """The phases of a Signs of Safety implementation, in order (GUIDE.md section 2)."""

    PREPARATION = "preparation"
    INTENSIVE_YEAR_1 = "intensive_year_1"
    INTENSIVE_YEAR_2 = "intensive_year_2"
    SUSTAINMENT = "sustainment"

    @property
    def label(self) -> str:
        return {
            "preparation": "Preparation",
            "intensive_year_1": "Intensive implementation, year 1",
            "intensive_year_2": "Intensive implementation, year 2",
            "sustainment": "Sustainment",
        }[self.value]


class ExperienceBand(enum.StrEnum):
    """How long an authority has used SoS, grouped as the 10-pilot evaluation did (seed 002)."""

    NEW = "new"
    ABOUT_TWO_YEARS = "about_2_years"
    MORE_THAN_TWO_YEARS = "more_than_2_years"

    @property
    def label(self) -> str:
        return {
            "new": "New (up to 1 year)",
            "about_2_years": "About 2 years",
            "more_than_2_years": "More than 2 years",
        }[self.value]


class RaterRole(enum.StrEnum):
    """Who scores a self-profiling round."""

    LEADER = "leader"
    PRACTICE_LEAD = "practice_lead"
    TEAM_MANAGER = "team_manager"
    FRONT_LINE = "front_line"

    @property
    def label(self) -> str:
        return {
            "leader": "Leaders",
            "practice_lead": "Practice leads",
            "team_manager": "Team managers",
            "front_line": "Front-line representatives",
        }[self.value]


class RoundStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DiaryStatus(enum.StrEnum):
    """A time-diary period: open (staff can record and change entries) or closed."""

    OPEN = "open"
    CLOSED = "closed"


__all__ = [
    "Channel",
    "DiaryStatus",
    "ExperienceBand",
    "ImplementationPhase",
    "MailKind",
    "MailStatus",
    "RaterRole",
    "Role",
    "RoundStatus",
    "WaveStatus",
]
