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


__all__ = ["Channel", "Role", "WaveStatus"]
